"""``/api/v1/`` routes of the quality domain (CONTRACT.md "Service quality")."""
from django.urls import path

from . import views

app_name = "quality_api"
urlpatterns = [
    path("quality/samples/", views.SampleCollection.as_view(), name="samples"),
    path("quality/warnings/", views.WarningList.as_view(), name="warnings"),
    path("circuits/<str:circuit_id>/series/", views.CircuitSeries.as_view(), name="circuit-series"),
    path("circuits/<str:circuit_id>/dial-tests/", views.CircuitDialTests.as_view(), name="circuit-dial-tests"),
]
