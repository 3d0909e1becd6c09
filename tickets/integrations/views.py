"""``POST /api/v1/integrations/alertmanager/``: Alertmanager's ``webhook_config`` receiver.

Authenticated like the rest of the API (``Authorization: Bearer <token>`` — Alertmanager's
``http_config.authorization`` — or ``Token <token>``), with the ``alarms:write`` scope.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from staff.models import ApiScope
from supportdesk.core.api.authentication import api_client
from supportdesk.core.api.exceptions import ErrorResponse400Serializer
from supportdesk.core.api.throttles import ALARM_THROTTLES
from supportdesk.core.safeinput import LenientJSONParser

from ..api.views import ApiView
from ..models import Alarm
from . import alertmanager

WEBHOOK_EXAMPLE = {
    "version": "4",
    "groupKey": "{}:{alertname=\"LinkDown\"}",
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "supportdesk",
    "groupLabels": {"alertname": "LinkDown"},
    "commonLabels": {"alertname": "LinkDown", "circuit_id": "SZ-DL-0001"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager.example:9093",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "LinkDown", "circuit_id": "SZ-DL-0001", "category": "transmission",
                   "severity": "critical", "outage": "total", "instance": "pe1.sz:9100"},
        "annotations": {"summary": "LOS on STM-1 port 3"},
        "startsAt": "2026-11-24T08:00:00.000+08:00",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up+%3D%3D+0",
        "fingerprint": "1a30ba71cca2921f",
    }],
}


class AlertResultOut(serializers.Serializer):
    index = serializers.IntegerField(help_text="the alert's position in `alerts`")
    fingerprint = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True, help_text="firing | resolved")
    outcome = serializers.ChoiceField(choices=["created", "correlated", "duplicate", "cleared", "error"])
    alarm_id = serializers.CharField(required=False, help_text="am:<fingerprint>:<startsAt, UTC>")
    ticket = serializers.CharField(required=False, help_text="the ticket number")
    ticket_id = serializers.IntegerField(required=False)
    created = serializers.BooleanField(required=False)
    duplicate = serializers.BooleanField(required=False, help_text="seen before (a resend): nothing changed")
    correlated = serializers.BooleanField(required=False, help_text="an open ticket on the circuit absorbed it")
    cleared = serializers.BooleanField(required=False)
    defaults = serializers.ListField(child=serializers.CharField(), required=False,
                                     help_text="the fields that took the integration's default value")
    errors = serializers.ListField(child=serializers.DictField(), required=False,
                                   help_text="[{attr, detail}] for an alert that was not stored")


class WebhookResultOut(serializers.Serializer):
    integration = serializers.CharField(allow_null=True)
    alerts = serializers.IntegerField()
    stored = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = AlertResultOut(many=True)


class AlertmanagerWebhook(ApiView):
    throttle_classes = ALARM_THROTTLES  # a storm is not held to the limit for everything else
    queryset = Alarm.objects.none()
    scopes = {"POST": ApiScope.ALARMS_WRITE}
    people_permission = "tickets.add_faultticket"
    parser_classes = [LenientJSONParser]  # one alert's bad text must not cost the batch's good alerts

    @extend_schema(
        operation_id="integrations_alertmanager",
        tags=["alarms"],
        summary="Prometheus Alertmanager webhook receiver",
        description=(
            "Alertmanager's `webhook_config` payload (version 4). Every alert becomes an alarm "
            "(`am:<fingerprint>:<startsAt>`), through the same path as `POST /api/v1/alarms/`; a resolved "
            "alert clears its alarm. Labels `circuit_id`, `category`, `severity`, `outage` by default "
            "(configurable per integration); missing or unknown values take the integration's defaults. "
            "An unreadable alert is reported in `results` while the others are stored; a body that is not "
            "Alertmanager's, or whose every alert is unreadable, is a 400."
        ),
        parameters=[OpenApiParameter("integration", OpenApiTypes.STR, OpenApiParameter.QUERY,
                                     description="the integration's name (default: the calling client's)")],
        request=OpenApiTypes.OBJECT,
        responses={200: WebhookResultOut, 400: OpenApiResponse(ErrorResponse400Serializer)},
        examples=[OpenApiExample("firing", value=WEBHOOK_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        integration = alertmanager.find_integration(client=api_client(request),
                                                    name=request.query_params.get("integration"))
        try:
            body = request.data
        except exceptions.ParseError:
            alertmanager.count_receipt(integration, received=0, rejected=1)
            raise
        report = alertmanager.receive_webhook(body=body, integration=integration, client=api_client(request))
        return Response(report)
