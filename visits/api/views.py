"""The visits REST API (`/api/v1/visits/`): thin views over ``visits.services`` and ``visits.selectors``."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from staff.models import ApiScope
from supportdesk.core.api.authentication import API_AUTHENTICATION, api_client

from .. import selectors, services
from ..choices import VisitKind, VisitState
from . import serializers as s

TAG = ["visits"]


class VisitAccess(BasePermission):
    """An API client is held to its token's scopes: ``visits:read`` reads, ``visits:write`` plans, changes and
    records visits (a ``tickets:*`` token does neither). A person reads with ``visits.view_visit``, creates with
    ``visits.add_visit``, does everything else with ``visits.change_visit`` (support engineers and managers
    write; managers and centre leaders read). The services check again."""

    message = "You may not do this with visits."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        client = api_client(request)
        if client is not None:
            scope = ApiScope.VISITS_READ if request.method in SAFE_METHODS else ApiScope.VISITS_WRITE
            if not client.has_scope(scope):
                self.message = f"This API client lacks the scope '{scope}'."
                return False
            return True
        if request.method in SAFE_METHODS:
            return user.has_perm("visits.view_visit")
        if getattr(view, "action", None) == "create":
            return user.has_perm("visits.add_visit")
        return user.has_perm("visits.change_visit")


def _by(request):
    return request.user if getattr(request.user, "pk", None) else None


@extend_schema_view(
    list=extend_schema(
        tags=TAG, summary="List visits",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=VisitState.values),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=VisitKind.values),
            OpenApiParameter("customer", OpenApiTypes.INT),
            OpenApiParameter("owner", OpenApiTypes.INT),
            OpenApiParameter("upcoming", OpenApiTypes.BOOL, description="planned or confirmed, soonest first"),
        ],
        responses=s.VisitListOut(many=True),
    ),
    retrieve=extend_schema(tags=TAG, summary="One visit with participants, calls, problems, documents",
                           responses=s.VisitOut),
    create=extend_schema(tags=TAG, summary="Plan a visit", request=s.VisitIn, responses={201: s.VisitOut}),
    update=extend_schema(tags=TAG, summary="Change a visit (the given fields)", request=s.VisitUpdateIn,
                         responses=s.VisitOut),
    partial_update=extend_schema(tags=TAG, summary="Change a visit (the given fields)", request=s.VisitUpdateIn,
                                 responses=s.VisitOut),
)
class VisitViewSet(viewsets.ViewSet):
    pagination_class = PageNumberPagination  # the list is paginated (and so documented: count, next, results)
    authentication_classes = API_AUTHENTICATION
    permission_classes = [VisitAccess]
    lookup_value_regex = r"\d+"

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        return Response(s.VisitOut(selectors.visit_detail(pk)).data, status=status_code)

    def _get(self, pk):
        return get_object_or_404(selectors.visits(), pk=pk)

    # ---- the visit
    def list(self, request):
        q = request.query_params
        upcoming = {"true": True, "1": True, "false": False, "0": False}.get(q.get("upcoming", "").lower())
        qs = selectors.visit_list(
            state=q.get("state", ""), kind=q.get("kind", ""), upcoming=upcoming,
            customer_id=int(q["customer"]) if q.get("customer", "").isdigit() else None,
            owner_id=int(q["owner"]) if q.get("owner", "").isdigit() else None,
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.VisitListOut(page, many=True).data)

    def retrieve(self, request, pk=None):
        self._get(pk)
        return self._detail(pk)

    def create(self, request):
        data = _valid(s.VisitIn, request)
        visit = services.create_visit(
            by=_by(request), customer_id=data["customer"], kind=data["kind"], planned_at=data["planned_at"],
            place=data["place"], owner_id=data["owner"], subject=data["subject"], notes=data["notes"],
            checklist_template_id=data["checklist_template"], ticket_ids=data["tickets"],
            participants=[services.ParticipantIn(user_id=p["user"], kind=p["kind"], lead_id=p["lead"])
                          for p in data["participants"]],
            customer_participants=data["customer_participants"],
        )
        return self._detail(visit.pk, status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        self._get(pk)
        serializer = s.VisitUpdateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_visit(visit_id=int(pk), by=_by(request), **serializer.changes())
        return self._detail(pk)

    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(tags=TAG, summary="R-VISIT-1: record the appointment call and confirm the visit",
                   request=s.AppointmentCallIn, responses=s.VisitOut)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        self._get(pk)
        data = _valid(s.AppointmentCallIn, request)
        services.confirm_visit(visit_id=int(pk), by=_by(request), **data)
        return self._detail(pk)

    @extend_schema(tags=TAG, summary="Mark the visit done (R-VISIT-1: needs the appointment call)",
                   request=s.CompleteIn, responses=s.VisitOut)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        self._get(pk)
        data = _valid(s.CompleteIn, request)
        services.complete_visit(visit_id=int(pk), by=_by(request), **data)
        return self._detail(pk)

    @extend_schema(tags=TAG, summary="Cancel the visit", request=s.CancelIn, responses=s.VisitOut)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        self._get(pk)
        data = _valid(s.CancelIn, request)
        services.cancel_visit(visit_id=int(pk), by=_by(request), reason=data["reason"])
        return self._detail(pk)

    @extend_schema(tags=TAG, summary="R-VISIT-2: add one of our people", request=s.ParticipantIn,
                   responses={201: s.ParticipantOut})
    @action(detail=True, methods=["post"])
    def participants(self, request, pk=None):
        self._get(pk)
        data = _valid(s.ParticipantIn, request)
        participant = services.add_participant(visit_id=int(pk), by=_by(request), user_id=data["user"],
                                               kind=data["kind"], lead_id=data["lead"])
        return Response(s.ParticipantOut(participant).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, summary="R-VISIT-2: add one of the customer's people", request=s.CustomerParticipantIn,
                   responses={201: s.CustomerParticipantOut})
    @action(detail=True, methods=["post"], url_path="customer-participants")
    def customer_participants(self, request, pk=None):
        self._get(pk)
        data = _valid(s.CustomerParticipantIn, request)
        cp = services.add_customer_participant(visit_id=int(pk), by=_by(request), **data)
        return Response(s.CustomerParticipantOut(cp).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, summary="Fill in the routine-inspection checklist", request=s.InspectionIn,
                   responses=s.VisitOut)
    @action(detail=True, methods=["post"])
    def checklist(self, request, pk=None):
        self._get(pk)
        data = _valid(s.InspectionIn, request)
        services.record_inspection(visit_id=int(pk), by=_by(request), results=data["results"])
        return self._detail(pk)

    @extend_schema(tags=TAG, summary="Link a fault-review visit to one of the customer's tickets",
                   request=s.LinkTicketIn, responses=s.VisitOut)
    @action(detail=True, methods=["post"])
    def tickets(self, request, pk=None):
        self._get(pk)
        data = _valid(s.LinkTicketIn, request)
        services.link_ticket(visit_id=int(pk), by=_by(request), ticket_id=data["ticket"])
        return self._detail(pk)

    # ---- problems (R-VISIT-3)
    @extend_schema(methods=["GET"], tags=TAG, summary="Problems collected on the visit",
                   responses=s.ProblemOut(many=True))
    @extend_schema(methods=["POST"], tags=TAG, summary="R-VISIT-3: record a problem", request=s.ProblemIn,
                   responses={201: s.ProblemOut})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def problems(self, request, pk=None):
        visit = self._get(pk)
        if request.method == "GET":
            qs = selectors.problems().filter(visit=visit)
            return Response(s.ProblemOut(qs, many=True).data)
        data = _valid(s.ProblemIn, request)
        problem = services.add_problem(
            visit_id=visit.pk, by=_by(request), description=data["description"],
            solved_on_site=data["solved_on_site"], solution=data["solution"], owner_id=data["owner"],
            due_date=data["due_date"],
        )
        return Response(s.ProblemOut(problem).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, summary="R-VISIT-3: record a follow-up (optionally close it)", request=s.FollowUpIn,
                   responses=s.ProblemOut)
    @action(detail=True, methods=["post"], url_path=r"problems/(?P<problem_id>\d+)/follow-up")
    def problem_follow_up(self, request, pk=None, problem_id=None):
        problem = get_object_or_404(selectors.problems(), pk=problem_id, visit_id=pk)
        data = _valid(s.FollowUpIn, request)
        problem = services.record_follow_up(problem_id=problem.pk, by=_by(request), note=data["note"],
                                            close=data["close"], due_date=data["due_date"], owner_id=data["owner"])
        return Response(s.ProblemOut(problem).data)

    @extend_schema(tags=TAG, summary="R-VISIT-3: turn the problem into a fault ticket (linked both ways)",
                   request=s.ProblemTicketIn, responses={201: s.ProblemOut})
    @action(detail=True, methods=["post"], url_path=r"problems/(?P<problem_id>\d+)/ticket")
    def problem_ticket(self, request, pk=None, problem_id=None):
        problem = get_object_or_404(selectors.problems(), pk=problem_id, visit_id=pk)
        data = _valid(s.ProblemTicketIn, request)
        services.raise_problem_ticket(problem_id=problem.pk, by=_by(request), **data)
        problem = selectors.problems().get(pk=problem.pk)
        return Response(s.ProblemOut(problem).data, status=status.HTTP_201_CREATED)

    # ---- documents (R-VISIT-4)
    @extend_schema(methods=["GET"], tags=TAG, summary="Documents for the customer", responses=s.DocumentOut(many=True))
    @extend_schema(methods=["POST"], tags=TAG, summary="R-VISIT-4: a document on a standard template, with reviewers",
                   request=s.DocumentIn, responses={201: s.DocumentOut})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def documents(self, request, pk=None):
        visit = self._get(pk)
        if request.method == "GET":
            qs = selectors.documents().filter(visit=visit)
            return Response(s.DocumentOut(qs, many=True).data)
        data = _valid(s.DocumentIn, request)
        document = services.create_document(
            visit_id=visit.pk, by=_by(request), kind=data["kind"], title=data["title"],
            template_id=data["template"], body=data["body"], reviewer_ids=data["reviewers"],
        )
        return Response(s.DocumentOut(selectors.documents().get(pk=document.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, summary="R-VISIT-4: a reviewer approves or returns the document", request=s.ReviewIn,
                   responses=s.DocumentOut)
    @action(detail=True, methods=["post"], url_path=r"documents/(?P<document_id>\d+)/review")
    def document_review(self, request, pk=None, document_id=None):
        document = get_object_or_404(selectors.documents(), pk=document_id, visit_id=pk)
        data = _valid(s.ReviewIn, request)
        services.review_document(document_id=document.pk, by=_by(request), approve=data["approve"],
                                 note=data["note"])
        return Response(s.DocumentOut(selectors.documents().get(pk=document.pk)).data)

    @extend_schema(tags=TAG, summary="R-VISIT-4: send the reviewed document; record how the customer was told",
                   request=s.NoticeIn, responses=s.DocumentOut)
    @action(detail=True, methods=["post"], url_path=r"documents/(?P<document_id>\d+)/send")
    def document_send(self, request, pk=None, document_id=None):
        document = get_object_or_404(selectors.documents(), pk=document_id, visit_id=pk)
        data = _valid(s.NoticeIn, request)
        services.send_document(document_id=document.pk, by=_by(request), notice=data["notice"])
        return Response(s.DocumentOut(selectors.documents().get(pk=document.pk)).data)

    @extend_schema(tags=TAG, summary="R-VISIT-4: record the customer's receipt", request=s.NoticeIn,
                   responses=s.DocumentOut)
    @action(detail=True, methods=["post"], url_path=r"documents/(?P<document_id>\d+)/received")
    def document_received(self, request, pk=None, document_id=None):
        document = get_object_or_404(selectors.documents(), pk=document_id, visit_id=pk)
        data = _valid(s.NoticeIn, request)
        services.record_document_received(document_id=document.pk, by=_by(request), notice=data["notice"])
        return Response(s.DocumentOut(selectors.documents().get(pk=document.pk)).data)



def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
