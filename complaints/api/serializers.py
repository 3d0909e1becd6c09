"""What the complaints API reads and writes (CONTRACT.md "Complaints": names and codes are the contract)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.api.serializers import AwareDateTimeField, NotInFutureMixin

from ..choices import Channel, ComplaintCategory, CustomerReaction, Finding, Importance, RouteCode
from ..models import Complaint, ComplaintDeadline, ComplaintEvent, Reply


class ComplaintIn(NotInFutureMixin, serializers.Serializer):
    complaint_id = serializers.CharField(max_length=64, help_text="the customer-service department's id (idempotent)")
    customer_code = serializers.CharField(max_length=32)
    circuit_id = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True, default="")
    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    description = serializers.CharField(max_length=5000)
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.CUSTOMER_SERVICE)
    received_at = AwareDateTimeField()
    importance = serializers.ChoiceField(choices=Importance.choices, required=False, allow_blank=True, default="",
                                         help_text="derived from the customer's tier when absent")

    def validate_received_at(self, value):
        return self.not_in_future(value)

    def validate_complaint_id(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("may not be blank")
        return value


class ComplaintTransitionIn(serializers.Serializer):
    """The fields of the complaint transitions; each reads the ones it needs."""

    route_to = serializers.ChoiceField(choices=RouteCode.choices, required=False, allow_blank=True, default="",
                                       help_text="sort (required)")
    importance = serializers.ChoiceField(choices=Importance.choices, required=False, allow_blank=True, default="",
                                         help_text="sort (optional)")
    finding = serializers.ChoiceField(choices=Finding.choices, required=False, allow_blank=True, default="",
                                      help_text="analyse (required)")
    other_department = serializers.BooleanField(required=False, default=False, help_text="analyse")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="",
                                 help_text="analyse, handle, reopen")
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                 help_text="reply (required)")
    customer_reaction = serializers.ChoiceField(choices=CustomerReaction.choices, required=False, allow_blank=True,
                                                default="", help_text="reply (optional)")
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                    help_text="close: the clear handling opinion a repeat complaint needs")
    version = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                       max_value=2**31 - 1, help_text="the version you saw; 409 if it changed since")


class ComplaintCustomerOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.CharField()


class ComplaintFaultTicketRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()


class ComplaintDeadlineOut(serializers.ModelSerializer):
    class Meta:
        model = ComplaintDeadline
        fields = ["stage", "round", "started_at", "limit", "unit", "due_at", "met_at", "breached_at", "cancelled_at",
                  "calendar_gap_year"]


class ComplaintReplyOut(serializers.ModelSerializer):
    by = serializers.CharField(source="by_label")

    class Meta:
        model = Reply
        fields = ["at", "by", "text", "customer_reaction", "round"]


class ComplaintEventOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    transition = serializers.CharField(source="kind")
    from_stage = serializers.CharField(source="from_state")
    to_stage = serializers.CharField(source="to_state")

    class Meta:
        model = ComplaintEvent
        fields = ["at", "actor", "transition", "from_stage", "to_stage", "note"]


class ComplaintOut(serializers.ModelSerializer):
    customer = ComplaintCustomerOut()
    circuit_id = serializers.SerializerMethodField()
    routed_to = serializers.SerializerMethodField()
    finding = serializers.SerializerMethodField()
    fault_ticket = serializers.SerializerMethodField()
    proactive = serializers.SerializerMethodField()
    deadlines = ComplaintDeadlineOut(many=True)
    replies = ComplaintReplyOut(many=True)
    events = ComplaintEventOut(many=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id", "number", "complaint_id", "stage", "version", "round", "importance", "channel", "customer",
            "circuit_id", "category", "description", "contact_name", "contact_phone", "received_at", "routed_to",
            "finding", "other_department", "repeat", "handling_opinion", "fault_ticket", "proactive",
            "calendar_gap_year", "sorted_at", "analysed_at", "handled_at", "replied_at", "closed_at",
            "deadlines", "replies", "events", "url",
        ]

    def get_circuit_id(self, obj) -> str | None:
        return obj.circuit.circuit_id if obj.circuit_id else None

    def get_routed_to(self, obj) -> str | None:
        return obj.route.code if obj.route_id else None

    def get_finding(self, obj) -> str | None:
        return obj.finding or None

    @extend_schema_field(ComplaintFaultTicketRef(allow_null=True))
    def get_fault_ticket(self, obj):
        t = obj.fault_ticket
        return None if t is None else {"id": t.pk, "number": t.number, "state": t.state}

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True,
                          "description": "the problem quality monitoring found first (R-CMP-PROACTIVE)"})
    def get_proactive(self, obj):
        return obj.proactive or None

    def get_url(self, obj) -> str:
        return f"/api/v1/complaints/{obj.pk}/"


class ComplaintResult(serializers.Serializer):
    complaint = ComplaintOut()
    created = serializers.BooleanField()
