from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("人员与组织")

    def ready(self):
        from . import errors
        from .roles import sync_roles_after_migrate

        errors.register()

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="staff.sync_roles")
