from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉")

    def ready(self):
        from supportdesk.core import hooks

        from . import errors, panels, signals  # noqa: F401 - signals connects the receivers

        errors.register()

        hooks.register_sweep_step("complaints", panels.sweep_step)
        hooks.register_dashboard_panel("complaints", template="complaints/_dashboard_panel.html",
                                       context=panels.dashboard_context, order=50)
        hooks.register_console_panel("complaints", template="complaints/_console_panel.html",
                                     context=panels.console_context, order=50)
        hooks.register_health_warning("complaints.calendar", panels.calendar_warning)
