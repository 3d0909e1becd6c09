"""What the REST API reads and writes (CONTRACT.md: field names and codes are the contract)."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import SkipField

from staff.choices import RoomCode
from supportdesk.core.services import in_future

from ..choices import (
    AlarmCategory,
    CancelReason,
    CauseCategory,
    DialTestResult,
    Outage,
    PhoneChannel,
    ProgressKind,
    Severity,
    SiteKind,
)
from ..models import (
    Alarm,
    Arrival,
    Broadcast,
    Deadline,
    Escalation,
    Explanation,
    FaultTicket,
    PhoneNotification,
    ProgressNote,
    TicketEvent,
    TicketRoom,
)
from ..services import ingest

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset; a naive time is refused rather than guessed, and so is a time before 2000
    (a fault clock cannot start there, and such times have no clean offset in Asia/Shanghai)."""

    default_error_messages = {
        "naive": "An ISO 8601 time with an offset (e.g. +08:00) is required.",
        "too_old": "is before 2000-01-01.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        value = super().to_internal_value(value)
        if value < EARLIEST:
            self.fail("too_old")
        return value


class NotInFutureMixin:
    future_error = "is in the future"

    def not_in_future(self, value: datetime) -> datetime:
        if in_future(value):
            raise serializers.ValidationError(self.future_error, code="future")
        return value


def _user_name(user) -> str | None:
    return user.get_username() if user is not None else None


# --------------------------------------------------------------------------- alarms (in)
# The alarm's rules (required, lengths, choices, offset, not in the future, not before 2000, the dial test's
# result) live once, in ``tickets.services.ingest.alarm_errors``. These fields check only the JSON shape and
# types; the limits and choices they carry document the schema and are enforced by the service.
class ShapeCharField(serializers.CharField):
    """A JSON string, kept as posted: blank or long strings are the service's to refuse (the schema still
    documents ``minLength``/``maxLength``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        return serializers.Field.run_validation(self, data)  # without CharField's blank check

    def run_validators(self, value):
        documented_only = (MaxLengthValidator, MinLengthValidator)
        enforced = [v for v in self.validators if not isinstance(v, documented_only)]
        original, self.validators = self.validators, enforced
        try:
            super().run_validators(value)
        finally:
            self.validators = original


class ShapeChoiceField(serializers.ChoiceField):
    """A JSON string documented as one of ``choices``; whether it is one is the service's to say."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid_choice", input=data)
        return str(data)


class ShapeDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time, left naive when posted naive (the service refuses it rather than guessing)."""

    def enforce_timezone(self, value):
        return value


class DialTestIn(serializers.Serializer):
    result = ShapeChoiceField(choices=DialTestResult.choices)
    detail = ShapeCharField(required=False, allow_blank=True, max_length=2000, default="")


class AlarmIn(serializers.Serializer):
    """An NMS alarm (CONTRACT.md ``POST /api/v1/alarms/``); unknown extra fields are kept in the raw payload."""

    # Shape errors and the service's refusals (``alarm_errors``) come back together, one per wrong field.

    alarm_id = ShapeCharField(max_length=128)
    category = ShapeChoiceField(choices=AlarmCategory.choices, help_text="R-LEAD: only `transmission` "
                                "goes to the transport room")
    severity = ShapeChoiceField(choices=Severity.choices)
    outage = ShapeChoiceField(choices=Outage.choices)
    circuit_id = ShapeCharField(max_length=64)
    title = ShapeCharField(max_length=300)
    raised_at = ShapeDateTimeField(help_text="ISO 8601 with offset; not in the future (5 min clock skew tolerated)")
    dial_test = DialTestIn(required=False, allow_null=True)

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # refused as not an object
        values, errors = {}, {}
        for name, field in self.fields.items():
            try:
                values[name] = field.run_validation(field.get_value(data))
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
            except SkipField:
                pass
        shaped = ingest.AlarmIn(**{name: values.get(name) for name in self.fields})
        for name, refusals in ingest.alarm_errors(shaped).items():
            if name.split(".")[0] not in errors:
                errors[name] = [ErrorDetail(str(r), code=r.code) for r in refusals]
        if errors:
            raise serializers.ValidationError(errors)
        return values


class AlarmClearIn(NotInFutureMixin, serializers.Serializer):
    cleared_at = AwareDateTimeField()

    def validate_cleared_at(self, value):
        return self.not_in_future(value)


def raw_payload(data) -> dict:
    """The body as posted, for ``Alarm.payload``; PostgreSQL's jsonb cannot hold a NUL character."""
    body = dict(data)
    if "\\u0000" in json.dumps(body):
        raise serializers.ValidationError({"payload": ["The body must not contain NUL characters."]})
    return body


# --------------------------------------------------------------------------- tickets (out)
class ReadOnlyModelSerializer(serializers.ModelSerializer):
    """An answer's shape: every field read-only and always present (so the schema marks it required)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class TicketCustomerOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.CharField()


class DeadlineOut(ReadOnlyModelSerializer):
    class Meta:
        model = Deadline
        fields = ["kind", "round", "due_at", "met_at", "breached_at", "cancelled_at"]


class EscalationOut(ReadOnlyModelSerializer):
    room = serializers.CharField(source="room.code", allow_null=True, default=None)

    class Meta:
        model = Escalation
        fields = ["kind", "at", "reason", "rule", "round", "room"]


class BroadcastOut(ReadOnlyModelSerializer):
    class Meta:
        model = Broadcast
        fields = ["seq", "at", "body", "body_en", "kind"]


class ArrivalOut(ReadOnlyModelSerializer):
    room = serializers.CharField(source="room.code", allow_null=True, default=None)
    by = serializers.CharField(source="user.username")
    vendor = serializers.CharField(source="vendor.name", allow_null=True, default=None)

    class Meta:
        model = Arrival
        fields = ["id", "room", "site_kind", "at", "by", "vendor", "latitude", "longitude", "accuracy_m",
                  "distance_m", "received_at", "stated_at", "without_pre_arrival_call"]


class TicketEventOut(ReadOnlyModelSerializer):
    actor = serializers.CharField(source="actor_label")
    transition = serializers.CharField(source="kind", help_text="the event kind: a transition name or another fact")

    class Meta:
        model = TicketEvent
        fields = ["at", "actor", "transition", "from_state", "to_state", "note"]


class InvolvementOut(ReadOnlyModelSerializer):
    room = serializers.CharField(source="room.code")

    class Meta:
        model = TicketRoom
        fields = ["room", "role", "notified_at", "joined_joint_at", "must_arrive", "site_kind"]


class AlarmOut(ReadOnlyModelSerializer):
    circuit_id = serializers.CharField(source="circuit_ref")
    ticket = serializers.IntegerField(source="ticket_id")

    class Meta:
        model = Alarm
        fields = ["alarm_id", "ticket", "source", "category", "severity", "outage", "circuit_id", "title",
                  "raised_at", "received_at", "cleared_at", "correlated"]


class ProgressOut(ReadOnlyModelSerializer):
    room = serializers.CharField(source="room.code", allow_null=True, default=None)
    author = serializers.SerializerMethodField()

    class Meta:
        model = ProgressNote
        fields = ["id", "at", "room", "author", "kind", "text"]

    def get_author(self, obj) -> str | None:
        return _user_name(obj.author)


class ExplanationOut(ReadOnlyModelSerializer):
    drafted_by = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    released_by = serializers.SerializerMethodField()

    class Meta:
        model = Explanation
        fields = ["id", "state", "text", "drafted_by", "drafted_at", "reviewed_by", "reviewed_at", "review_note",
                  "released_by", "released_at"]

    def get_drafted_by(self, obj) -> str | None:
        return _user_name(obj.drafted_by)

    def get_reviewed_by(self, obj) -> str | None:
        return _user_name(obj.reviewed_by)

    def get_released_by(self, obj) -> str | None:
        return _user_name(obj.released_by)


class PhoneNotificationOut(ReadOnlyModelSerializer):
    room = serializers.CharField(source="room.code")
    called_by = serializers.SerializerMethodField()

    class Meta:
        model = PhoneNotification
        fields = ["id", "room", "channel", "callee", "callee_phone", "called_by", "called_at", "answered",
                  "attempts", "note"]

    def get_called_by(self, obj) -> str | None:
        return _user_name(obj.called_by)


class TicketOut(ReadOnlyModelSerializer):
    """A ticket as CONTRACT.md describes it, plus what an operator's screen needs."""

    customer = serializers.SerializerMethodField()
    circuit_id = serializers.CharField(source="circuit_ref", allow_null=True)
    lead_room = serializers.CharField(source="lead_room.code", allow_null=True, default=None)
    site_lead = serializers.SerializerMethodField()
    vendor = serializers.CharField(source="vendor.name", allow_null=True, default=None)
    next_due_at = serializers.DateTimeField(source="clock_due_at", read_only=True, allow_null=True, default=None,
                                            help_text="the nearest pending joint_handling/arrival deadline")
    deadlines = DeadlineOut(source="clock_deadlines", many=True, help_text="joint_handling (R-ESC-1/3), "
                            "arrival (R-ESC-2)")
    escalations = EscalationOut(many=True)
    broadcasts = BroadcastOut(many=True)
    arrivals = ArrivalOut(many=True)
    events = TicketEventOut(many=True)
    rooms = InvolvementOut(source="involvements", many=True, help_text="the rooms involved and their part")
    alarms = AlarmOut(many=True)
    progress = ProgressOut(source="progress_notes", many=True)
    explanations = ExplanationOut(many=True)

    class Meta:
        model = FaultTicket
        fields = [
            "id", "number", "state", "version", "round", "source", "title", "description",
            "customer", "circuit_id", "needs_triage", "tier", "important", "category", "severity", "outage",
            "lead_room", "lead_room_override_reason", "rooms", "vendor", "expedite", "site_lead_required",
            "site_lead", "site_lead_exception", "no_duty_engineer", "cause_confirmed_at",
            "occurred_at", "created_at", "updated_at", "dispatched_at", "accepted_at", "joint_started_at",
            "joint_reason", "restored_at", "resolved_at", "closed_at", "cancelled_at", "alarm_cleared_at",
            "restore_proposed_at", "cause_category", "cause_text", "customer_reply", "cancel_reason",
            "next_due_at", "deadlines", "escalations", "broadcasts", "arrivals", "events", "alarms", "progress",
            "explanations",
        ]

    @extend_schema_field(TicketCustomerOut(allow_null=True))
    def get_customer(self, obj):
        c = obj.customer
        return None if c is None else {"code": c.code, "name": c.name, "tier": c.tier}

    def get_site_lead(self, obj) -> str | None:
        return _user_name(obj.site_lead)


class TicketSummaryOut(ReadOnlyModelSerializer):
    """The ticket in an alarm answer (CONTRACT.md, changed 2026-11-30): its size does not grow with the
    ticket's history; the whole ticket is at ``url``."""

    customer = serializers.SerializerMethodField()
    circuit_id = serializers.CharField(source="circuit_ref", allow_null=True)
    lead_room = serializers.CharField(source="lead_room.code", allow_null=True, default=None)
    deadlines = DeadlineOut(source="clock_deadlines", many=True, help_text="joint_handling (R-ESC-1/3), "
                            "arrival (R-ESC-2)")
    url = serializers.SerializerMethodField(help_text="the whole ticket: GET /api/v1/tickets/{id}/")

    class Meta:
        model = FaultTicket
        fields = ["id", "number", "state", "version", "customer", "circuit_id", "needs_triage", "lead_room",
                  "occurred_at", "dispatched_at", "deadlines", "url"]

    @extend_schema_field(TicketCustomerOut(allow_null=True))
    def get_customer(self, obj):
        c = obj.customer
        return None if c is None else {"code": c.code, "name": c.name, "tier": c.tier}

    def get_url(self, obj) -> str:
        path = f"/api/v1/tickets/{obj.pk}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


_TIME = serializers.DateTimeField()


def _time(value):
    return None if value is None else _TIME.to_representation(value)


def alarm_answer(alarm: Alarm) -> dict:
    """``AlarmOut(alarm).data``, built without a serializer's fields per request (the ingest answer is a hot path;
    tests/api/test_alarm_answer.py checks they agree)."""
    return {
        "alarm_id": alarm.alarm_id, "ticket": alarm.ticket_id, "source": alarm.source, "category": str(alarm.category),
        "severity": str(alarm.severity), "outage": str(alarm.outage), "circuit_id": alarm.circuit_ref,
        "title": alarm.title, "raised_at": _time(alarm.raised_at), "received_at": _time(alarm.received_at),
        "cleared_at": _time(alarm.cleared_at), "correlated": alarm.correlated,
    }


def ticket_summary_answer(ticket: FaultTicket, request=None) -> dict:
    """``TicketSummaryOut(ticket).data`` (``ticket.clock_deadlines`` set), built the same way as
    ``alarm_answer``."""
    customer = ticket.customer
    path = f"/api/v1/tickets/{ticket.pk}/"
    return {
        "id": ticket.pk, "number": ticket.number, "state": str(ticket.state), "version": ticket.version,
        "customer": None if customer is None else {"code": customer.code, "name": customer.name,
                                                   "tier": customer.tier},
        "circuit_id": ticket.circuit_ref, "needs_triage": ticket.needs_triage,
        "lead_room": ticket.lead_room.code if ticket.lead_room_id else None,
        "occurred_at": _time(ticket.occurred_at), "dispatched_at": _time(ticket.dispatched_at),
        "deadlines": [{"kind": str(d.kind), "round": d.round, "due_at": _time(d.due_at), "met_at": _time(d.met_at),
                       "breached_at": _time(d.breached_at), "cancelled_at": _time(d.cancelled_at)}
                      for d in ticket.clock_deadlines],
        "url": request.build_absolute_uri(path) if request is not None else path,
    }


class AlarmResult(serializers.Serializer):
    alarm = AlarmOut()
    ticket = TicketSummaryOut()
    created = serializers.BooleanField(help_text="a new ticket was opened for this alarm")
    duplicate = serializers.BooleanField(help_text="this alarm_id was seen before (idempotent repeat)")
    correlated = serializers.BooleanField(help_text="an open ticket on the same circuit absorbed the alarm")
    refailed = serializers.BooleanField(
        help_text="R-RESTORE-FIRST: the circuit's ticket was restored; this alarm moved it back to handling")


class AlarmClearResult(serializers.Serializer):
    alarm = AlarmOut()
    ticket = TicketSummaryOut()


# --------------------------------------------------------------------------- ticket writes (in)
class TransitionIn(serializers.Serializer):
    """The fields of docs/rules.md §3.6's transitions; each transition reads the ones it needs."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                 help_text="accept, restore (required), resolve, cancel, reopen (required)")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="",
                                   help_text="start_joint: why (text, required); cancel: "
                                             + " | ".join(CancelReason.values))
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, required=False, allow_blank=True,
                                             default="", help_text="resolve (required)")
    cause_text = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                       help_text="resolve (required)")
    customer_reply = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                           help_text="close (required)")
    version = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                       max_value=2**31 - 1,
                                       help_text="the ticket version you saw; 409 if it changed since")


class ProgressIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    kind = serializers.ChoiceField(choices=ProgressKind.choices, required=False, default=ProgressKind.GENERAL,
                                   help_text="R-OWN-FIRST: own_network before customer_side")
    room = serializers.ChoiceField(choices=RoomCode.choices, required=False, allow_null=True, default=None,
                                   help_text="the room the note speaks for (default: the author's room)")


class ArrivalIn(NotInFutureMixin, serializers.Serializer):
    site_kind = serializers.ChoiceField(choices=SiteKind.choices, required=False, allow_null=True, default=None)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True,
                                        default=None, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(max_digits=10, decimal_places=6, required=False, allow_null=True,
                                         default=None, min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0,
                                        max_value=1e7)
    at = AwareDateTimeField(required=False, allow_null=True, default=None)

    def validate_at(self, value):
        return value if value is None else self.not_in_future(value)


class ExplanationIn(serializers.Serializer):
    text = serializers.CharField(max_length=10000)


class ExplanationReviewIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class PhoneCallIn(serializers.Serializer):
    room = serializers.ChoiceField(choices=RoomCode.choices)
    answered = serializers.BooleanField()
    callee = serializers.CharField(required=False, allow_blank=True, max_length=64, default="",
                                   help_text="who answered (required when answered)")
    callee_phone = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    channel = serializers.ChoiceField(choices=PhoneChannel.choices, required=False, default=PhoneChannel.PHONE)
