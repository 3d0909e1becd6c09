"""The project's URLs plus the yardsticks of the ingest figures, all behind the same token authentication:

- ``/api/v1/bench/ping/``: the cheapest authenticated DRF call (no work);
- ``/api/v1/bench/peer/``: the peer — a plain DRF ``ModelViewSet`` create of a ticket with two related rows
  (a ``ModelSerializer`` validating the ticket, then an event and a deadline row), as a conventional Django
  helpdesk creates a ticket with its follow-up over its DRF API;
- ``/api/v1/bench/raw/``: the ceiling — the alarm's minimal inserts (ticket, alarm, two deadlines, one event)
  in raw SQL in one transaction, and a small answer.
"""
import uuid

from django.db import connection, transaction
from django.urls import include, path
from django.utils import timezone
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from supportdesk.core.api.authentication import API_AUTHENTICATION
from tickets.models import Alarm, Deadline, FaultTicket, TicketEvent


class Ping(APIView):
    """Same token authentication as the alarm endpoint, no work: what any authenticated call costs."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def post(self, request):
        return Response({"ok": True, "echo": len(request.data)})

    def get(self, request):
        return Response({"ok": True})


class PeerTicketSerializer(serializers.ModelSerializer):
    raised_at = serializers.DateTimeField(source="occurred_at", write_only=True)

    class Meta:
        model = FaultTicket
        fields = ["id", "number", "title", "description", "category", "severity", "outage", "raised_at",
                  "occurred_at", "state", "created_at"]
        read_only_fields = ["id", "number", "state", "created_at", "occurred_at"]

    def create(self, validated_data):
        ticket = FaultTicket.objects.create(number=f"PEER-{uuid.uuid4().hex[:20]}", **validated_data)
        TicketEvent.objects.create(ticket=ticket, kind="created", at=timezone.now(), note=ticket.title)
        Deadline.objects.create(ticket=ticket, kind="joint_handling", due_at=ticket.occurred_at + timezone.timedelta(
            hours=2))
        return ticket


class PeerTickets(viewsets.ModelViewSet):
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]
    serializer_class = PeerTicketSerializer
    queryset = FaultTicket.objects.all()

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


def _columns(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]


def raw_insert(cursor, model, values: dict) -> int:
    """One ``INSERT … RETURNING id`` in plain SQL: the given values, the fields' defaults for the rest."""
    fields = _columns(model)
    params = []
    for f in fields:
        value = values.get(f.attname, values.get(f.name, f.get_default()))
        params.append(f.get_db_prep_save(value, connection))
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) "
                   f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id", params)
    return cursor.fetchone()[0]


class RawAlarm(APIView):
    """The floor of any alarm endpoint on this stack: token auth, JSON in, five inserts in SQL, JSON out."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def post(self, request):
        d = request.data
        now = timezone.now()
        raised = timezone.datetime.fromisoformat(d["raised_at"])
        with transaction.atomic(), connection.cursor() as cursor:
            ticket_id = raw_insert(cursor, FaultTicket, {
                "number": f"RAW-{uuid.uuid4().hex[:20]}", "title": d["title"], "category": d["category"],
                "severity": d["severity"], "outage": d["outage"], "occurred_at": raised, "created_at": now,
                "updated_at": now, "needs_triage": True, "source": "alarm"})
            raw_insert(cursor, Alarm, {
                "alarm_id": d["alarm_id"], "ticket_id": ticket_id, "source": "raw", "category": d["category"],
                "severity": d["severity"], "outage": d["outage"], "circuit_ref": d["circuit_id"], "title": d["title"],
                "raised_at": raised, "received_at": now, "payload": {}})
            for kind, hours in (("joint_handling", 2), ("arrival", 4)):
                raw_insert(cursor, Deadline, {"ticket_id": ticket_id, "kind": kind,
                                              "due_at": raised + timezone.timedelta(hours=hours)})
            raw_insert(cursor, TicketEvent, {"ticket_id": ticket_id, "kind": "created", "at": now, "note": d["title"],
                                             "to_state": "new"})
        return Response({"ticket": {"id": ticket_id}, "created": True}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("api/v1/bench/ping/", Ping.as_view()),
    path("api/v1/bench/peer/", PeerTickets.as_view({"post": "create"})),
    path("api/v1/bench/raw/", RawAlarm.as_view()),
    path("", include("supportdesk.urls")),
]
