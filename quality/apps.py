from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("业务质量")

    def ready(self):
        from supportdesk.core import hooks

        from . import errors, signals, views  # noqa: F401 - signals connects the receivers

        errors.register()

        hooks.register_console_panel("quality", template="quality/_console_panel.html",
                                     context=views.console_panel_context, order=200)
        hooks.register_ticket_panel("quality", template="quality/_ticket_panel.html",
                                    context=views.ticket_panel_context, order=100)
