from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("客户拜访")

    def ready(self):
        from supportdesk.core import hooks

        from . import errors, panels, signals  # noqa: F401 - signals connects the receivers

        errors.register()

        hooks.register_dashboard_panel("visits", template="visits/_dashboard_panel.html",
                                       context=panels.dashboard_context, order=100)
        # R-VISIT-4: the customer's correspondence reached from a ticket.
        hooks.register_ticket_panel("visits-correspondence", template="visits/_ticket_correspondence.html",
                                    context=panels.ticket_correspondence_context, order=200)
