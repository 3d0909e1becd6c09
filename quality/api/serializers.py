"""Bodies of the quality API (CONTRACT.md "Service quality"). Samples are checked by the service, one by one,
so a bad sample is named by its index and the good ones are kept; these serializers describe the shapes."""
from drf_spectacular.utils import extend_schema_field
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from rest_framework import serializers

from ..choices import DialOutcome, Granularity, WarningKind, WarningState


class SampleIn(serializers.Serializer):
    circuit_id = serializers.CharField(max_length=64)
    indicator = serializers.CharField(max_length=32, help_text="latency_ms, jitter_ms, loss_pct, util_in_pct, "
                                                               "util_out_pct, errored_seconds (or one added in the admin)")
    at = serializers.DateTimeField(help_text="ISO 8601 with an offset")
    value = serializers.FloatField()


class SamplesIn(serializers.Serializer):
    samples = SampleIn(many=True, max_length=10_000)


class RejectedSample(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class SamplesResult(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="samples stored now")
    duplicates = serializers.IntegerField(help_text="samples whose (circuit, indicator, at) was already stored: "
                                                    "nothing replaced")
    rejected = RejectedSample(many=True)


class PointOut(serializers.Serializer):
    at = serializers.DateTimeField()
    avg = serializers.FloatField(allow_null=True)
    min = serializers.FloatField()
    max = serializers.FloatField()
    count = serializers.IntegerField()


class SeriesOut(serializers.Serializer):
    circuit_id = serializers.CharField()
    indicator = serializers.CharField()
    granularity = serializers.ChoiceField(choices=Granularity.choices)
    points = PointOut(many=True)


class SeriesQuery(serializers.Serializer):
    indicator = serializers.CharField(max_length=32)
    granularity = serializers.ChoiceField(choices=Granularity.choices, default=Granularity.FIVE_MINUTES)
    # "from" is a Python keyword: the query parameter is read by name in the view.
    to = serializers.DateTimeField(required=False)
    latest = serializers.IntegerField(required=False, min_value=1, max_value=20_000)


class TicketRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class WarningOut(serializers.Serializer):
    id = serializers.IntegerField()
    circuit_id = serializers.CharField(source="circuit.circuit_id")
    indicator = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=WarningKind.choices)
    state = serializers.ChoiceField(choices=WarningState.choices)
    started_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    limit_or_baseline = serializers.FloatField(allow_null=True)
    ticket = serializers.SerializerMethodField()

    def get_indicator(self, obj) -> str | None:
        return obj.indicator.code if obj.indicator_id else None

    @extend_schema_field(TicketRef(allow_null=True))
    def get_ticket(self, obj):
        if not obj.ticket_id:
            return None
        return {"id": obj.ticket_id, "number": obj.ticket.number}


class DialTestRunIn(serializers.Serializer):
    attempts = serializers.IntegerField(required=False, min_value=1, max_value=10, default=3)


class DialTestResultOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    result = serializers.ChoiceField(choices=DialOutcome.choices)
    latency_ms = serializers.FloatField(allow_null=True)
    loss_pct = serializers.FloatField(allow_null=True)
    detail = serializers.CharField()
    trigger = serializers.CharField()
    ticket = serializers.SerializerMethodField()

    @extend_schema_field(TicketRef(allow_null=True))
    def get_ticket(self, obj):
        if not obj.ticket_id:
            return None
        return {"id": obj.ticket_id, "number": obj.ticket.number}


class DialRefusedItem(serializers.Serializer):
    code = serializers.ChoiceField(choices=["dial_refused", "conflict"])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class DialRefused(serializers.Serializer):
    """409: the circuit has no dial target, or the prober did not answer."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = DialRefusedItem(many=True)


class NoProberItem(serializers.Serializer):
    code = serializers.ChoiceField(choices=["no_prober"])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class NoProber(serializers.Serializer):
    """503: no blackbox exporter is configured (``BLACKBOX_EXPORTER_URL``)."""

    type = serializers.ChoiceField(choices=ServerErrorEnum.choices)
    errors = NoProberItem(many=True)
