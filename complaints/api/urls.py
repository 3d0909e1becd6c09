"""``/api/v1/complaints/`` routes (CONTRACT.md "Complaints")."""
from django.urls import path

from . import views

app_name = "complaints_api"
urlpatterns = [
    path("complaints/", views.ComplaintList.as_view(), name="complaints"),
    path("complaints/<int:pk>/", views.ComplaintDetail.as_view(), name="complaint"),
    path("complaints/<int:pk>/transitions/<str:name>/", views.ComplaintTransition.as_view(),
         name="complaint-transition"),
]
