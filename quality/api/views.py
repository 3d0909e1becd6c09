"""The quality REST API (CONTRACT.md "Service quality"): thin views over ``quality.services`` and selectors."""
from __future__ import annotations

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from staff.models import ApiScope
from tickets.api.views import BAD_INPUT, ApiView

from .. import selectors, services
from ..choices import DialTrigger, Granularity, WarningState
from ..models import QualityWarning
from ..services.ingest import MAX_SAMPLES
from .serializers import DialRefused, DialTestResultOut, DialTestRunIn, NoProber, SamplesIn, SamplesResult, SeriesOut, WarningOut

NOT_FOUND = OpenApiResponse(description="No such circuit.")
SAMPLE_EXAMPLE = {"samples": [{"circuit_id": "SZ-DL-0001", "indicator": "latency_ms",
                               "at": "2026-11-24T08:00:00+08:00", "value": 12.5}]}


class SampleCollection(ApiView):
    queryset = QualityWarning.objects.none()
    scopes = {"POST": ApiScope.QUALITY_WRITE}
    people_permission = "quality.add_sample"

    @extend_schema(
        operation_id="quality_samples_create", tags=["quality"], summary="Post performance samples (R-QUAL-SERIES)",
        description=f"Up to {MAX_SAMPLES:,} 5-minute samples a request. Each sample is checked on its own: the good "
                    "ones are stored even when some are rejected (each rejected one named by its `index`, with its "
                    "errors per field). A sample whose (circuit, indicator, at) is already stored replaces nothing "
                    "and is counted in `duplicates`.",
        request=SamplesIn, responses={202: SamplesResult, 400: BAD_INPUT},
        examples=[OpenApiExample("samples", value=SAMPLE_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("samples"), list):
            raise exceptions.ValidationError({"samples": ["a list of samples is required"]})
        samples = body["samples"]
        if len(samples) > MAX_SAMPLES:
            raise exceptions.ValidationError({"samples": [f"at most {MAX_SAMPLES} samples a request"]})
        outcome = services.ingest_samples(samples=samples)
        return Response({"accepted": outcome.accepted, "duplicates": outcome.duplicates, "rejected": outcome.rejected},
                        status=status.HTTP_202_ACCEPTED)


def _circuit_or_404(circuit_id: str):
    circuit = selectors.circuit_by_ref(circuit_id)
    if circuit is None:
        raise exceptions.NotFound("No such circuit.")
    return circuit


class CircuitSeries(ApiView):
    queryset = QualityWarning.objects.none()
    scopes = {"GET": ApiScope.TICKETS_READ}

    @extend_schema(
        operation_id="circuit_series", tags=["quality"], summary="A circuit's performance series (R-QUAL-SERIES)",
        description="Points `{at, avg, min, max, count}` oldest first. Without `from`/`to`: the latest N intervals "
                    "of the granularity (`latest`, default 288 at 5 m, 192 at 15 m, 168 at 1 h).",
        parameters=[
            OpenApiParameter("indicator", OpenApiTypes.STR, required=True),
            OpenApiParameter("granularity", OpenApiTypes.STR, enum=Granularity.values, default="5m"),
            OpenApiParameter("from", OpenApiTypes.DATETIME), OpenApiParameter("to", OpenApiTypes.DATETIME),
            OpenApiParameter("latest", OpenApiTypes.INT),
        ],
        responses={200: SeriesOut, 400: BAD_INPUT, 404: NOT_FOUND},
    )
    def get(self, request, circuit_id: str):
        circuit = _circuit_or_404(circuit_id)
        params = request.query_params
        errors: dict[str, list[str]] = {}
        code = params.get("indicator", "")
        indicator = selectors.indicator_by_code(code)
        if indicator is None:
            errors["indicator"] = ["required" if not code else f"unknown indicator {code[:32]}"]
        granularity = params.get("granularity") or Granularity.FIVE_MINUTES
        if granularity not in Granularity.values:
            errors["granularity"] = [f"must be one of {', '.join(Granularity.values)}"]
        bounds = {}
        for name in ("from", "to"):
            raw = params.get(name)
            if raw:
                try:
                    value = parse_datetime(raw)
                except ValueError:
                    value = None
                if value is None or value.tzinfo is None:
                    errors[name] = ["an ISO 8601 time with an offset is required"]
                bounds[name] = value
        latest = params.get("latest")
        if latest is not None:
            if not latest.isdigit() or not 1 <= int(latest) <= selectors.MAX_POINTS:
                errors["latest"] = [f"an integer from 1 to {selectors.MAX_POINTS}"]
        if not errors and bounds.get("from") and bounds.get("to") and bounds["from"] >= bounds["to"]:
            errors["to"] = ["must be after from"]
        if errors:
            raise exceptions.ValidationError(errors)
        points = selectors.series(circuit_pk=circuit.pk, indicator_pk=indicator.pk, granularity=granularity,
                                  start=bounds.get("from"), end=bounds.get("to"),
                                  latest=int(latest) if latest else None)
        return Response(SeriesOut({"circuit_id": circuit.circuit_id, "indicator": indicator.code,
                                   "granularity": granularity, "points": points}).data)


class WarningList(ApiView):
    queryset = QualityWarning.objects.none()
    scopes = {"GET": ApiScope.TICKETS_READ}

    @extend_schema(
        operation_id="quality_warnings", tags=["quality"], summary="Quality warnings (R-QUAL-THRESHOLD, -FLUCT)",
        parameters=[OpenApiParameter("state", OpenApiTypes.STR, enum=WarningState.values),
                    OpenApiParameter("circuit_id", OpenApiTypes.STR),
                    OpenApiParameter("limit", OpenApiTypes.INT, description="at most 1000 (default 200), newest first")],
        responses={200: WarningOut(many=True), 400: BAD_INPUT},
    )
    def get(self, request):
        state = request.query_params.get("state") or None
        if state and state not in WarningState.values:
            raise exceptions.ValidationError({"state": [f"must be one of {', '.join(WarningState.values)}"]})
        limit = request.query_params.get("limit", "200")
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise exceptions.ValidationError({"limit": ["an integer from 1 to 1000"]})
        circuit_ref = request.query_params.get("circuit_id") or None
        if circuit_ref is not None and ("\x00" in circuit_ref or len(circuit_ref) > 64):
            raise exceptions.ValidationError({"circuit_id": ["not a circuit id"]})
        rows = selectors.warnings(state=state, circuit_ref=circuit_ref)[:int(limit)]
        return Response(WarningOut(rows, many=True).data)


class CircuitDialTests(ApiView):
    queryset = QualityWarning.objects.none()
    scopes = {"POST": ApiScope.QUALITY_WRITE}
    people_permission = "tickets.dispatch_ticket"

    @extend_schema(
        operation_id="circuit_dial_test", tags=["quality"], summary="Run a dial test now (R-QUAL-DIAL)",
        description="Asks the configured blackbox exporter to probe the circuit's dial target; stores the result on "
                    "the circuit and on its open ticket. 503 when no prober is configured; 409 when the circuit has "
                    "no dial target or the prober does not answer.",
        request=DialTestRunIn,
        responses={200: DialTestResultOut, 400: BAD_INPUT, 404: NOT_FOUND,
                   409: OpenApiResponse(DialRefused, description="No dial target, or the prober did not answer."),
                   503: OpenApiResponse(NoProber, description="No prober configured (BLACKBOX_EXPORTER_URL).")},
    )
    def post(self, request, circuit_id: str):
        circuit = _circuit_or_404(circuit_id)
        data = self.read(DialTestRunIn)
        by, _via = self.actor()
        try:
            test = services.run_dial_test(circuit_id=circuit.circuit_id, trigger=DialTrigger.ON_DEMAND, by=by,
                                          attempts=data.get("attempts", 3))
        except services.ProberNotConfigured as exc:
            # An expected state of an installation, not a crash: answered, not reported as a server error.
            return Response({"type": "server_error", "errors": [{"code": exc.code, "detail": exc.message, "attr": None}]},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(DialTestResultOut(test).data)
