from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("客户拜访")

    def ready(self):
        from supportdesk.core import hooks

        from . import panels, signals  # noqa: F401 - signals connects the receivers

        hooks.register_dashboard_panel("visits", template="visits/_dashboard_panel.html",
                                       context=panels.dashboard_context, order=100)
