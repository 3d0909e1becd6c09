"""The project's URLs plus ``/api/v1/bench/ping/``: the cheapest authenticated DRF call, the ingest's yardstick."""
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from supportdesk.core.api.authentication import API_AUTHENTICATION


class Ping(APIView):
    """Same token authentication as the alarm endpoint, no work: what any authenticated call costs."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def post(self, request):
        return Response({"ok": True, "echo": len(request.data)})

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/bench/ping/", Ping.as_view()),
    path("", include("supportdesk.urls")),
]
