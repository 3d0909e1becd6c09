from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.home, name="home"),
    path("console/", views.console, name="console"),
    path("console/queue/", views.console_queue, name="console-queue"),
    path("console/tickets/new/", views.create_ticket, name="create"),
    path("console/triage/<int:pk>/", views.triage, name="triage"),
    path("console/customers/", views.customer_options, name="customer-options"),
    path("broadcasts/", views.broadcasts, name="broadcasts"),
    path("m/", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/<int:pk>/", views.ticket_detail, name="detail"),
    path("tickets/<int:pk>/do/<slug:action>/", views.ticket_action, name="action"),
    path("tickets/<int:pk>/broadcast-preview/", views.broadcast_preview, name="broadcast-preview"),
    path("explanations/<int:pk>/review/", views.explanation_review, name="explanation-review"),
    path("explanations/<int:pk>/release/", views.explanation_release, name="explanation-release"),
    path("help/<int:pk>/answer/", views.help_answer, name="help-answer"),
]
