"""The NOC REST API (CONTRACT.md): thin views that parse, call one service, and answer.

Every write goes through ``tickets.services``; a ``DomainError`` raised there becomes the API's error body
(``supportdesk.core.api.exceptions``): 400 for bad input, 403 when the caller may not, 404, 409 for a transition the
current state does not allow or a ticket that changed under the caller.
"""
from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from staff.models import ApiScope
from supportdesk.core.api.authentication import API_AUTHENTICATION, api_client
from supportdesk.core.api.exceptions import ErrorResponse400Serializer, ErrorResponse409Serializer
from supportdesk.core.api.permissions import PERSON_ONLY, ApiAccess
from supportdesk.core.api.throttles import ALARM_THROTTLES
from supportdesk.core.safeinput import StrictJSONParser

from .. import selectors, services
from ..choices import Transition
from ..models import Alarm, FaultTicket
from .filters import TicketFilter
from .pagination import TicketKeysetPagination
from .serializers import (
    AlarmClearIn,
    AlarmClearResult,
    AlarmIn,
    AlarmOut,
    AlarmResult,
    ArrivalIn,
    ArrivalOut,
    ExplanationIn,
    ExplanationOut,
    ExplanationReviewIn,
    PhoneCallIn,
    PhoneNotificationOut,
    ProgressIn,
    ProgressOut,
    TicketOut,
    TicketSummaryOut,
    TransitionIn,
    alarm_answer,
    raw_payload,
    ticket_summary_answer,
)

BAD_INPUT = OpenApiResponse(ErrorResponse400Serializer, description="Invalid body: every wrong field is named.")
CONFLICT = OpenApiResponse(
    ErrorResponse409Serializer,
    description="Not allowed from the ticket's current state (the message names it), or the ticket changed "
                "under you (stale `version`). Nothing was changed.",
)


# Bodies PostgreSQL cannot store (too deep, lone surrogates) are refused with 400 (supportdesk.core.safeinput).
BoundedJSONParser = StrictJSONParser


class ApiView(generics.GenericAPIView):
    queryset = FaultTicket.objects.none()  # the path's {pk} is a ticket id
    authentication_classes = API_AUTHENTICATION
    permission_classes = [ApiAccess]
    parser_classes = [BoundedJSONParser]
    pagination_class = None
    filter_backends = []
    # HTTP method -> the API client scope it needs (PERSON_ONLY: people only)
    scopes: dict[str, str | None] = {}
    # the permission a person needs to read, and to write before the service is even asked (None: the service decides)
    read_permission = "tickets.view_faultticket"
    read_refused = "You may not view tickets."
    people_permission: str | None = None

    def actor(self):
        """(by, via) for the services: a person, or a client acting as its user or as the system."""
        client = api_client(self.request)
        if client is not None:
            return (client.acting_user if client.acting_user_id else None), f"api:{client.name}"
        return self.request.user, "api"

    def ticket(self, pk: int) -> FaultTicket:
        """The ticket of the path if the caller may see it; 404 otherwise, before the body is read."""
        return selectors.ticket_for(self.request.user, pk)

    def read(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def ticket_body(ticket_id: int) -> dict:
    return TicketOut(selectors.api_tickets().get(pk=ticket_id)).data


def ticket_summary_body(ticket_id: int, request) -> dict:
    return TicketSummaryOut(selectors.ticket_summary(ticket_id), context={"request": request}).data


# --------------------------------------------------------------------------- alarms
ALARM_EXAMPLE = {
    "alarm_id": "NMS-2026-000123", "category": "transmission", "severity": "critical", "outage": "total",
    "circuit_id": "SZ-DL-0001", "title": "LOS on STM-1 port 3", "raised_at": "2026-11-24T08:00:00+08:00",
}


class AlarmCollection(ApiView):
    throttle_classes = ALARM_THROTTLES  # a storm is not held to the limit for everything else
    queryset = Alarm.objects.none()
    scopes = {"POST": ApiScope.ALARMS_WRITE}
    people_permission = "tickets.dispatch_ticket"

    @extend_schema(
        operation_id="alarms_create",
        tags=["alarms"],
        summary="Post an NMS alarm",
        description="Idempotent on `alarm_id`. An open ticket on the same circuit absorbs the alarm (200, "
                    "`created: false`); an unknown `circuit_id` still opens a ticket, in state `new` with "
                    "`needs_triage: true`. An invalid body stores nothing.",
        request=AlarmIn,
        responses={
            201: OpenApiResponse(AlarmResult, description="A new ticket was opened."),
            200: OpenApiResponse(AlarmResult, description="Seen before (same alarm_id) or absorbed by the open "
                                                          "ticket of the circuit."),
            400: BAD_INPUT,
        },
        examples=[OpenApiExample("alarm", value=ALARM_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        data = self.read(AlarmIn)
        payload = raw_payload(request.data)
        by, via = self.actor()
        source = api_client(request).name if api_client(request) else request.user.get_username()
        result = services.ingest_alarm(
            alarm=services.AlarmIn(**data, source=source, payload=payload), via=via
        )
        body = {
            # Built from what the transaction wrote or read (the ticket, its customer, lead room and clocks).
            "alarm": alarm_answer(result.alarm),
            "ticket": ticket_summary_answer(result.ticket, request),
            "created": result.created,
            "duplicate": result.duplicate,
            "correlated": result.correlated,
            "refailed": result.refailed,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class AlarmClear(ApiView):
    throttle_classes = ALARM_THROTTLES  # a storm is not held to the limit for everything else
    queryset = Alarm.objects.none()
    scopes = {"POST": ApiScope.ALARMS_WRITE}
    people_permission = "tickets.dispatch_ticket"

    @extend_schema(
        operation_id="alarms_clear",
        tags=["alarms"],
        summary="Record an alarm's clear",
        description="Records the clear on the alarm and an event on its ticket; it does not close the ticket. "
                    "A client clears only the alarms it raised (another client's alarm is 404) unless its token "
                    "has the `alarms:clear_any` scope. "
                    "Repeating it changes nothing.",
        request=AlarmClearIn,
        responses={200: AlarmClearResult, 400: BAD_INPUT},
    )
    def post(self, request, alarm_id: str):
        data = self.read(AlarmClearIn)
        _, via = self.actor()
        client = api_client(request)
        # A client clears the alarms it raised, unless it may clear any (alarms:clear_any); people may clear any.
        source = client.name if client is not None and not client.has_scope(ApiScope.ALARMS_CLEAR_ANY) else None
        alarm = services.clear_alarm(alarm_id=alarm_id, cleared_at=data["cleared_at"], via=via, source=source)
        return Response({"alarm": AlarmOut(alarm).data, "ticket": ticket_summary_body(alarm.ticket_id, request)})


# --------------------------------------------------------------------------- tickets
class TicketPagination(PageNumberPagination):
    """Numbered pages (the complaints list); the ticket list itself pages by keyset (``TicketKeysetPagination``)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class TicketList(ApiView, generics.ListAPIView):
    scopes = {"GET": ApiScope.TICKETS_READ}
    serializer_class = TicketOut
    pagination_class = TicketKeysetPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TicketFilter

    def get_queryset(self):
        return selectors.api_tickets(self.request.user)

    @extend_schema(
        operation_id="tickets_list",
        tags=["tickets"],
        summary="List tickets",
        description="R-PRIO order: tier (diamond, gold, normal), then the nearest pending deadline.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TicketDetail(ApiView, generics.RetrieveAPIView):
    scopes = {"GET": ApiScope.TICKETS_READ}
    serializer_class = TicketOut

    def get_queryset(self):
        return selectors.api_tickets(self.request.user)

    @extend_schema(operation_id="tickets_retrieve", tags=["tickets"], summary="Read a ticket")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TicketTransition(ApiView):
    scopes = {"POST": ApiScope.TICKETS_TRANSITION}

    @extend_schema(
        operation_id="tickets_transition",
        tags=["tickets"],
        summary="Run a transition of the ticket (docs/rules.md §3.6)",
        description=(
            "`dispatch` · `accept` (note) · `start_joint` (reason) · `restore` (note) · "
            "`resolve` (cause_category, cause_text, note) · `close` (customer_reply) · "
            "`cancel` (reason: false_alarm | duplicate | cleared; note) · `reopen` (note) · "
            "`refail` (note; R-RESTORE-FIRST: a restored ticket whose service failed again). "
            "Give `version` to be refused with 409 if the ticket changed since you read it."
        ),
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Transition.values,
                                     description="the transition")],
        request=TransitionIn,
        responses={200: TicketOut, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request, pk: int, name: str):
        if name not in services.TRANSITIONS:
            raise exceptions.NotFound(f"Unknown transition {name!r}; one of: {', '.join(services.TRANSITIONS)}.")
        self.ticket(pk)
        data = self.read(TransitionIn)
        by, via = self.actor()
        kwargs = {"ticket_id": pk, "by": by, "via": via, "expected_version": data["version"]}
        if name in ("accept", "restore", "reopen", "refail"):
            kwargs["note"] = data["note"]
        elif name == "start_joint":
            kwargs["reason"] = data["reason"] or data["note"]
        elif name == "resolve":
            kwargs.update(cause_category=data["cause_category"], cause_text=data["cause_text"], note=data["note"])
        elif name == "close":
            kwargs["customer_reply"] = data["customer_reply"]
        elif name == "cancel":
            kwargs.update(reason=data["reason"], note=data["note"])
        services.TRANSITIONS[name](**kwargs)
        return Response(ticket_body(pk))


class TicketProgress(ApiView):
    scopes = {"POST": ApiScope.TICKETS_TRANSITION}

    @extend_schema(
        operation_id="tickets_progress_create",
        tags=["tickets"],
        summary="Add a room's progress note",
        description="R-OWN-FIRST: a `customer_side` note needs an `own_network` note first.",
        request=ProgressIn,
        responses={201: ProgressOut, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request, pk: int):
        self.ticket(pk)
        data = self.read(ProgressIn)
        by, via = self.actor()
        note = services.add_progress(ticket_id=pk, by=by, text=data["text"], kind=data["kind"],
                                     room_code=data["room"], via=via)
        return Response(ProgressOut(note).data, status=status.HTTP_201_CREATED)


class TicketArrivals(ApiView):
    scopes = {"POST": PERSON_ONLY}

    @extend_schema(
        operation_id="tickets_arrivals_create",
        tags=["tickets"],
        summary="Check in on site (R-ESC-2)",
        description="The caller's own check-in, once per ticket; the phone's position is optional.",
        request=ArrivalIn,
        responses={201: ArrivalOut, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request, pk: int):
        self.ticket(pk)
        data = self.read(ArrivalIn)
        arrival = services.record_arrival(
            ticket_id=pk, by=request.user, site_kind=data["site_kind"], latitude=data["latitude"],
            longitude=data["longitude"], accuracy_m=data["accuracy_m"], at=data["at"],
        )
        return Response(ArrivalOut(arrival).data, status=status.HTTP_201_CREATED)


class TicketExplanations(ApiView):
    scopes = {"GET": ApiScope.TICKETS_READ, "POST": PERSON_ONLY}

    @extend_schema(operation_id="tickets_explanations_list", tags=["tickets"],
                   summary="The ticket's explanations to the customer (R-EXPLAIN)",
                   responses={200: ExplanationOut(many=True)})
    def get(self, request, pk: int):
        return Response(ExplanationOut(selectors.ticket_explanations(self.ticket(pk)), many=True).data)

    @extend_schema(
        operation_id="tickets_explanations_create",
        tags=["tickets"],
        summary="Draft the explanation to the customer (R-EXPLAIN)",
        description="The on-site lead (or, without one, the handling rooms) drafts; an open draft is revised.",
        request=ExplanationIn,
        responses={201: ExplanationOut, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request, pk: int):
        self.ticket(pk)
        data = self.read(ExplanationIn)
        explanation = services.draft_explanation(ticket_id=pk, by=request.user, text=data["text"])
        return Response(ExplanationOut(explanation).data, status=status.HTTP_201_CREATED)


class ExplanationApprove(ApiView):
    scopes = {"POST": PERSON_ONLY}

    @extend_schema(
        operation_id="tickets_explanations_approve",
        tags=["tickets"],
        summary="Approve the wording (support-room manager, R-EXPLAIN)",
        request=ExplanationReviewIn,
        responses={200: ExplanationOut, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request, pk: int, eid: int):
        self.ticket(pk)
        data = self.read(ExplanationReviewIn)
        explanation = services.approve_explanation(explanation_id=eid, by=request.user, note=data["note"],
                                                   ticket_id=pk)
        return Response(ExplanationOut(explanation).data)


class ExplanationRelease(ApiView):
    scopes = {"POST": PERSON_ONLY}

    @extend_schema(
        operation_id="tickets_explanations_release",
        tags=["tickets"],
        summary="Release an approved explanation to the customer (R-EXPLAIN)",
        request=None,
        responses={200: ExplanationOut, 409: CONFLICT},
    )
    def post(self, request, pk: int, eid: int):
        self.ticket(pk)
        explanation = services.release_explanation(explanation_id=eid, by=request.user, ticket_id=pk)
        return Response(ExplanationOut(explanation).data)


class TicketPhoneNotifications(ApiView):
    scopes = {"GET": ApiScope.TICKETS_READ, "POST": ApiScope.PHONE_WRITE}

    @extend_schema(operation_id="tickets_phone_notifications_list", tags=["tickets"],
                   summary="The phone checklist (R-DISPATCH-IMP): one line per room to call",
                   responses={200: PhoneNotificationOut(many=True)})
    def get(self, request, pk: int):
        return Response(PhoneNotificationOut(selectors.ticket_phone_notifications(self.ticket(pk)), many=True).data)

    @extend_schema(
        operation_id="tickets_phone_notifications_create",
        tags=["tickets"],
        summary="Record a phone call to a room (R-DISPATCH-IMP)",
        description="Who called whom, when, answered or not; each call adds an attempt to the room's line.",
        request=PhoneCallIn,
        responses={201: PhoneNotificationOut, 400: BAD_INPUT},
    )
    def post(self, request, pk: int):
        self.ticket(pk)
        data = self.read(PhoneCallIn)
        by, _ = self.actor()
        row = services.record_phone_call(
            ticket_id=pk, by=by, room_code=data["room"], answered=data["answered"], callee=data["callee"],
            callee_phone=data["callee_phone"], note=data["note"], channel=data["channel"],
        )
        row = selectors.ticket_phone_notifications(row.ticket).get(pk=row.pk)
        return Response(PhoneNotificationOut(row).data, status=status.HTTP_201_CREATED)
