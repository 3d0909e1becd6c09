from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("quality/", views.warnings_page, name="warnings"),
    path("quality/stats/", views.stats_page, name="stats"),
    path("quality/circuits/<str:circuit_id>/", views.circuit_page, name="circuit"),
    path("quality/circuits/<str:circuit_id>/dial/", views.dial_now, name="dial"),
]
