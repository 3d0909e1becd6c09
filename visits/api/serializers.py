"""What the visits API reads and writes. Input serializers only check shapes; the rules are in the services."""
from __future__ import annotations

from rest_framework import serializers

from tickets.choices import AlarmCategory, Outage, Severity

from ..choices import CallDirection, CheckResult, DocumentKind, ParticipantKind, VisitKind
from ..models import (
    AppointmentCall,
    CustomerParticipant,
    DocumentReview,
    InspectionResult,
    Visit,
    VisitDocument,
    VisitEvent,
    VisitParticipant,
    VisitProblem,
)


# --------------------------------------------------------------------------- out
class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class CustomerOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.CharField()


class TicketRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()


class ParticipantOut(serializers.ModelSerializer):
    user = PersonOut()
    lead = PersonOut(allow_null=True)
    room = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = VisitParticipant
        fields = ["id", "kind", "user", "lead", "room"]


class CustomerParticipantOut(serializers.ModelSerializer):
    class Meta:
        model = CustomerParticipant
        fields = ["id", "name", "title", "phone"]


class AppointmentCallOut(serializers.ModelSerializer):
    caller = PersonOut()

    class Meta:
        model = AppointmentCall
        fields = ["id", "direction", "caller", "callee_name", "callee_phone", "called_at", "confirmed_time",
                  "confirmed_place", "confirmed_participants", "contact_left", "note"]


class ProblemOut(serializers.ModelSerializer):
    owner = PersonOut(allow_null=True)
    ticket = TicketRefOut(allow_null=True)

    class Meta:
        model = VisitProblem
        fields = ["id", "description", "solved_on_site", "solution", "owner", "due_date", "follow_up",
                  "closed_at", "ticket", "created_at"]


class ReviewOut(serializers.ModelSerializer):
    reviewer = PersonOut()

    class Meta:
        model = DocumentReview
        fields = ["id", "reviewer", "decision", "note", "decided_at"]


class DocumentOut(serializers.ModelSerializer):
    author = PersonOut()
    template = serializers.StringRelatedField()
    reviews = ReviewOut(many=True)

    class Meta:
        model = VisitDocument
        fields = ["id", "kind", "title", "template", "body", "author", "state", "reviews", "created_at",
                  "sent_at", "sent_notice", "received_at", "received_notice"]


class InspectionResultOut(serializers.ModelSerializer):
    item = serializers.CharField(source="item.text")
    item_id = serializers.IntegerField()

    class Meta:
        model = InspectionResult
        fields = ["item_id", "item", "result", "note", "recorded_at"]


class EventOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = VisitEvent
        fields = ["at", "actor", "kind", "from_state", "to_state", "note"]


class VisitListOut(serializers.ModelSerializer):
    customer = CustomerOut()
    owner = PersonOut(allow_null=True)

    class Meta:
        model = Visit
        fields = ["id", "number", "state", "version", "kind", "customer", "subject", "planned_at", "actual_at",
                  "place", "owner"]


class VisitOut(VisitListOut):
    tickets = TicketRefOut(many=True)
    proposed_for = TicketRefOut(allow_null=True)
    participants = ParticipantOut(many=True)
    customer_participants = CustomerParticipantOut(many=True)
    calls = AppointmentCallOut(many=True)
    problems = ProblemOut(many=True)
    documents = DocumentOut(many=True)
    inspection_results = InspectionResultOut(many=True)
    events = EventOut(many=True)

    class Meta(VisitListOut.Meta):
        fields = VisitListOut.Meta.fields + [
            "notes", "summary", "cancel_reason", "checklist_template", "tickets", "proposed_for", "participants",
            "customer_participants", "calls", "problems", "documents", "inspection_results", "events",
            "created_at", "updated_at",
        ]


# --------------------------------------------------------------------------- in
class ParticipantIn(serializers.Serializer):
    user = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ParticipantKind.choices, required=False, allow_blank=True, default="")
    lead = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="R-VISIT-2: required for a vendor engineer; one of our staff on the visit")


class CustomerParticipantIn(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class VisitIn(serializers.Serializer):
    customer = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=VisitKind.choices)
    planned_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    owner = serializers.IntegerField(required=False, allow_null=True, default=None)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    checklist_template = serializers.IntegerField(required=False, allow_null=True, default=None)
    tickets = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    participants = ParticipantIn(many=True, required=False, default=list)
    customer_participants = CustomerParticipantIn(many=True, required=False, default=list)


class VisitUpdateIn(serializers.Serializer):
    """Every field optional: the plan while the visit is ahead; afterwards only ``notes`` and ``summary``."""

    kind = serializers.ChoiceField(choices=VisitKind.choices, required=False)
    planned_at = serializers.DateTimeField(required=False)
    place = serializers.CharField(max_length=300, required=False, allow_blank=True)
    owner = serializers.IntegerField(required=False, allow_null=True)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    checklist_template = serializers.IntegerField(required=False, allow_null=True)
    tickets = serializers.ListField(child=serializers.IntegerField(), required=False)
    version = serializers.IntegerField(required=False, help_text="The version you read: 409 if the visit changed since")

    def changes(self) -> dict:
        renamed = {"owner": "owner_id", "checklist_template": "checklist_template_id", "tickets": "ticket_ids",
                   "version": "expected_version"}
        return {renamed.get(k, k): v for k, v in self.validated_data.items()}


class AppointmentCallIn(serializers.Serializer):
    """R-VISIT-1: the appointment call that confirms the visit."""

    direction = serializers.ChoiceField(choices=CallDirection.choices, default=CallDirection.OUTGOING)
    callee_name = serializers.CharField(max_length=64)
    callee_phone = serializers.CharField(max_length=32)
    called_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    confirmed_time = serializers.DateTimeField()
    confirmed_place = serializers.CharField(max_length=300)
    confirmed_participants = serializers.CharField(max_length=5000)
    contact_left = serializers.CharField(max_length=200, help_text="Our name and phone left with the customer")
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CompleteIn(serializers.Serializer):
    actual_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ProblemIn(serializers.Serializer):
    """R-VISIT-3: solved on site, or an owner and a due date."""

    description = serializers.CharField(max_length=5000)
    solved_on_site = serializers.BooleanField(default=False)
    solution = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    owner = serializers.IntegerField(required=False, allow_null=True, default=None)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class FollowUpIn(serializers.Serializer):
    note = serializers.CharField(max_length=5000)
    close = serializers.BooleanField(default=False)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    owner = serializers.IntegerField(required=False, allow_null=True, default=None)


class ProblemTicketIn(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    circuit_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=AlarmCategory.choices, required=False, default=AlarmCategory.OTHER)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.MAJOR)
    outage = serializers.ChoiceField(choices=Outage.choices, required=False, default=Outage.PARTIAL)


class DocumentIn(serializers.Serializer):
    """R-VISIT-4: on a standard template, with one or two reviewers who are not the author."""

    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    title = serializers.CharField(max_length=200)
    template = serializers.IntegerField()
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    reviewers = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=2)


class ReviewIn(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class NoticeIn(serializers.Serializer):
    notice = serializers.CharField(max_length=300, help_text="How the customer was told (who, by what means)")


class InspectionItemIn(serializers.Serializer):
    item_id = serializers.IntegerField()
    result = serializers.ChoiceField(choices=CheckResult.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class InspectionIn(serializers.Serializer):
    results = InspectionItemIn(many=True)


class LinkTicketIn(serializers.Serializer):
    ticket = serializers.IntegerField()
