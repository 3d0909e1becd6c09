"""``/api/v1/`` routes of the ticket domain (CONTRACT.md)."""
from django.urls import path

from ..integrations.views import AlertmanagerWebhook
from . import views

app_name = "tickets_api"
urlpatterns = [
    path("alarms/", views.AlarmCollection.as_view(), name="alarms"),
    path("alarms/<path:alarm_id>/clear/", views.AlarmClear.as_view(), name="alarm-clear"),
    path("integrations/alertmanager/", AlertmanagerWebhook.as_view(), name="integrations-alertmanager"),
    path("tickets/", views.TicketList.as_view(), name="tickets"),
    path("tickets/<int:pk>/", views.TicketDetail.as_view(), name="ticket"),
    path("tickets/<int:pk>/transitions/<str:name>/", views.TicketTransition.as_view(), name="ticket-transition"),
    path("tickets/<int:pk>/progress/", views.TicketProgress.as_view(), name="ticket-progress"),
    path("tickets/<int:pk>/arrivals/", views.TicketArrivals.as_view(), name="ticket-arrivals"),
    path("tickets/<int:pk>/explanations/", views.TicketExplanations.as_view(), name="ticket-explanations"),
    path("tickets/<int:pk>/explanations/<int:eid>/approve/", views.ExplanationApprove.as_view(),
         name="explanation-approve"),
    path("tickets/<int:pk>/explanations/<int:eid>/release/", views.ExplanationRelease.as_view(),
         name="explanation-release"),
    path("tickets/<int:pk>/phone-notifications/", views.TicketPhoneNotifications.as_view(),
         name="ticket-phone-notifications"),
]
