"""Complaint pages."""
from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("dashboard/", views.dashboard_panel, name="dashboard"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:name>/", views.action, name="action"),
]
