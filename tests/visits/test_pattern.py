"""Visits follow the tickets' write pattern: lock, then permission on the locked visit; an optimistic version;
immutable events; the document's state as a state machine; keyword-only services."""
from __future__ import annotations

import inspect

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, models, transaction
from django_fsm import TransitionNotAllowed as FsmRefused

from supportdesk.core.errors import Conflict, NotFound
from tests import factories as f
from visits import services
from visits.choices import DocumentState
from visits.models import DocumentTemplate, Visit, VisitEvent

from .helpers import plan

pytestmark = pytest.mark.django_db


def test_a_visit_changed_by_someone_else_is_refused_with_conflict():
    eng = f.support_engineer()
    visit = plan(by=eng)
    seen = visit.version
    services.update_visit(visit_id=visit.pk, by=eng, expected_version=seen, place="客户分部")
    with pytest.raises(Conflict):
        services.update_visit(visit_id=visit.pk, by=f.support_manager(), expected_version=seen, notes="带上方案")
    stored = Visit.objects.get(pk=visit.pk)
    assert stored.version == seen + 1 and stored.place == "客户分部" and stored.notes == ""


def test_the_api_refuses_a_stale_version_with_409():
    from rest_framework.test import APIClient

    eng = f.support_engineer()
    visit = plan(by=eng)
    api = APIClient()
    api.force_authenticate(eng)
    body = api.get(f"/api/v1/visits/{visit.pk}/").json()
    assert api.patch(f"/api/v1/visits/{visit.pk}/", {"place": "A", "version": body["version"]},
                     format="json").status_code == 200
    response = api.patch(f"/api/v1/visits/{visit.pk}/", {"place": "B", "version": body["version"]}, format="json")
    assert response.status_code == 409
    assert Visit.objects.get(pk=visit.pk).place == "A"


def test_the_edit_page_refuses_a_stale_form(client):
    eng = f.support_engineer()
    visit = plan(by=eng)
    client.force_login(eng)
    services.update_visit(visit_id=visit.pk, by=eng, notes="别人先改了")
    response = client.post(f"/visits/{visit.pk}/edit/", {
        "kind": visit.kind, "planned_at": "", "place": "我的修改", "notes": "", "version": visit.version})
    assert response.status_code in (400, 409)
    assert Visit.objects.get(pk=visit.pk).notes == "别人先改了"


def test_a_missing_visit_is_not_found_even_for_someone_without_the_permission():
    """Lock first, then the permission on the locked visit (as for tickets)."""
    with pytest.raises(NotFound):
        services.update_visit(visit_id=987654, by=f.room_engineer("wireless"), notes="x")


def test_visit_events_are_protected_and_immutable():
    visit = plan()
    event = VisitEvent.objects.filter(visit=visit).first()
    assert VisitEvent._meta.get_field("visit").remote_field.on_delete is models.PROTECT
    with pytest.raises(PermissionDenied):
        VisitEvent.objects.filter(pk=event.pk).update(note="rewritten")
    for sql in ("UPDATE visits_visitevent SET note = 'rewritten' WHERE id = %s",
                "DELETE FROM visits_visitevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="immutable"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])


def test_the_document_state_is_a_state_machine():
    author, reviewer = f.support_engineer(), f.support_manager()
    visit = plan(by=author)
    template = DocumentTemplate.objects.filter(active=True).first()
    doc = services.create_document(visit_id=visit.pk, by=author, kind=template.kind, template_id=template.pk,
                                   title="方案", reviewer_ids=[reviewer.pk])
    assert doc.state == DocumentState.IN_REVIEW
    with pytest.raises(AttributeError):
        doc.state = DocumentState.SENT  # protected: only its transitions move it
    with pytest.raises(FsmRefused):
        doc.send(at=None, by=None, notice="x")  # not approved yet


SERVICES = sorted(n for n in services.__all__ if inspect.isfunction(getattr(services, n)) and n != "ensure_may")


@pytest.mark.parametrize("name", SERVICES)
def test_every_visit_service_takes_keyword_arguments_only(name):
    fn = getattr(services, name)
    params = inspect.signature(fn).parameters.values()
    assert not any(p.kind is p.VAR_KEYWORD for p in params), f"{name} takes **kwargs"
    assert all(p.kind is p.KEYWORD_ONLY for p in params), name
