"""The complaints REST API (CONTRACT.md "Complaints"): thin views that parse, call one service, and answer.

Errors come from the shared domain errors: 400 bad input, 403 the caller may not, 404, 409 a transition the
current stage does not allow or a complaint that changed under the caller.
"""
from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from staff.models import ApiScope
from tickets.api.views import BAD_INPUT, ApiView, TicketPagination

from .. import selectors
from ..choices import Transition
from ..models import Complaint
from ..services import intake, transitions
from .filters import ComplaintFilter
from .serializers import ComplaintIn, ComplaintOut, ComplaintResult, ComplaintTransitionIn

CONFLICT = OpenApiResponse(
    description="Not allowed from the complaint's current stage (the message names it), or the complaint changed "
                "under you (stale `version`). Nothing was changed."
)
EXAMPLE = {
    "complaint_id": "KF-2026-004711", "customer_code": "SZ-GOV-001", "circuit_id": "SZ-DL-0001",
    "category": "slow", "description": "专线访问缓慢", "contact_name": "王工", "contact_phone": "13800000000",
    "channel": "customer_service", "received_at": "2026-11-24T10:05:00+08:00",
}


class ComplaintApiView(ApiView):
    queryset = Complaint.objects.none()  # the path's {pk} is a complaint id
    read_permission = "complaints.view_complaint"
    read_refused = "You may not view complaints."


def complaint_body(pk: int) -> dict:
    return ComplaintOut(selectors.complaints().get(pk=pk)).data


class ComplaintList(ComplaintApiView, generics.ListAPIView):
    scopes = {"GET": ApiScope.COMPLAINTS_READ, "POST": ApiScope.COMPLAINTS_WRITE}
    serializer_class = ComplaintOut
    pagination_class = TicketPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ComplaintFilter

    def get_queryset(self):
        return selectors.complaints()

    @extend_schema(operation_id="complaints_list", tags=["complaints"], summary="List complaints",
                   description="Important first, then the nearest pending stage deadline.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="complaints_create", tags=["complaints"], summary="Post a complaint (R-CMP-FLOW)",
        description="Idempotent on `complaint_id`: posting it again answers 200 with the same complaint. "
                    "`importance` is derived from the customer's tier when absent. An unknown `customer_code` "
                    "is 400; an invalid body stores nothing.",
        request=ComplaintIn,
        responses={201: OpenApiResponse(ComplaintResult, description="A new complaint."),
                   200: OpenApiResponse(ComplaintResult, description="This complaint_id was posted before."),
                   400: BAD_INPUT},
        examples=[OpenApiExample("complaint", value=EXAMPLE, request_only=True)],
    )
    def post(self, request):
        data = self.read(ComplaintIn)
        by, via = self.actor()
        data["circuit_id"] = data.get("circuit_id") or ""
        result = intake.receive_complaint(data=intake.ComplaintIn(**data), by=by, via=via)
        body = {"complaint": complaint_body(result.complaint.pk), "created": result.created}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class ComplaintDetail(ComplaintApiView, generics.RetrieveAPIView):
    scopes = {"GET": ApiScope.COMPLAINTS_READ}
    serializer_class = ComplaintOut

    def get_queryset(self):
        return selectors.complaints()

    @extend_schema(operation_id="complaints_retrieve", tags=["complaints"], summary="One complaint")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ComplaintTransition(ComplaintApiView):
    scopes = {"POST": ApiScope.COMPLAINTS_WRITE}

    @extend_schema(
        operation_id="complaints_transition", tags=["complaints"],
        summary="Run a transition of the complaint (R-CMP-FLOW)",
        description="`sort` (route_to, importance?) · `analyse` (finding, note, other_department) · "
                    "`handle` (note) · `reply` (text, customer_reaction?) · `close` (opinion for a repeat "
                    "complaint) · `reopen` (note). An `analyse` with `equipment_fault` raises or links the fault "
                    "ticket (R-CMP-FAULT). Give `version` to be refused with 409 if the complaint changed.",
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Transition.values,
                                     description="the transition")],
        request=ComplaintTransitionIn,
        responses={200: ComplaintOut, 400: BAD_INPUT, 409: CONFLICT},
    )
    def post(self, request, pk: int, name: str):
        if name not in transitions.TRANSITIONS:
            raise exceptions.NotFound(f"Unknown transition {name!r}; one of: {', '.join(transitions.TRANSITIONS)}.")
        data = self.read(ComplaintTransitionIn)
        by, via = self.actor()
        kwargs = {"complaint_id": pk, "by": by, "via": via, "expected_version": data["version"]}
        if name == Transition.SORT:
            kwargs.update(route_to=data["route_to"], importance=data["importance"])
        elif name == Transition.ANALYSE:
            kwargs.update(finding=data["finding"], note=data["note"], other_department=data["other_department"])
        elif name in (Transition.HANDLE, Transition.REOPEN):
            kwargs["note"] = data["note"]
        elif name == Transition.REPLY:
            kwargs.update(text=data["text"], customer_reaction=data["customer_reaction"])
        elif name == Transition.CLOSE:
            kwargs["opinion"] = data["opinion"]
        transitions.TRANSITIONS[name](**kwargs)
        return Response(complaint_body(pk))
