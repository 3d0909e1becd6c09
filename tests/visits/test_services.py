from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from supportdesk.core.errors import Conflict, NotPermitted, TransitionNotAllowed, ValidationFailed
from tests import factories as f
from tickets import services as ticket_services
from tickets.choices import TicketSource, TicketState
from visits import services
from visits.choices import DocumentState, ParticipantKind, VisitEventKind, VisitKind, VisitState
from visits.models import ChecklistTemplate, DocumentTemplate, Visit, VisitProblem

from .helpers import call, plan

# Dates ("today", due dates, day boundaries) are read from a frozen afternoon clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


# --------------------------------------------------------------------------- planning and R-VISIT-1
def test_a_planned_visit_gets_a_number_an_owner_and_a_created_event():
    eng = f.support_engineer()
    visit = plan(by=eng)
    assert visit.state == VisitState.PLANNED
    assert visit.number.startswith("V") and visit.owner == eng
    assert list(visit.events.values_list("kind", flat=True)) == [VisitEventKind.CREATED]


def test_a_role_without_visit_permission_cannot_plan_a_visit():
    with pytest.raises(NotPermitted):
        plan(by=f.monitoring_operator())


def test_visit_permissions_follow_the_roles():
    assert f.support_engineer().has_perms(["visits.add_visit", "visits.change_visit", "visits.view_visit"])
    assert f.support_manager().has_perm("visits.change_visit")
    leader = f.centre_leader()
    assert leader.has_perm("visits.view_visit") and not leader.has_perm("visits.change_visit")


def test_bad_input_names_each_wrong_field():
    with pytest.raises(ValidationFailed) as err:
        services.create_visit(by=f.support_engineer(), customer_id=999999, kind="party", planned_at=None)
    assert set(err.value.field_errors) >= {"customer", "kind", "planned_at"}


def test_visit_cannot_be_marked_done_without_the_appointment_call():
    """R-VISIT-1: no appointment call, no done visit; nothing changes."""
    eng = f.support_engineer()
    visit = plan(by=eng)
    with pytest.raises(ValidationFailed) as err:
        services.complete_visit(visit_id=visit.pk, by=eng)
    assert "R-VISIT-1" in err.value.message
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED and visit.actual_at is None


def test_the_appointment_call_confirms_time_place_and_leaves_our_contact():
    """R-VISIT-1: recording the call confirms the visit at the confirmed time and place."""
    eng = f.support_engineer()
    visit = plan(by=eng)
    new_time = visit.planned_at + timedelta(hours=3)
    c = call(visit, eng, confirmed_time=new_time, confirmed_place="客户总部 5 楼会议室")
    visit.refresh_from_db()
    assert visit.state == VisitState.CONFIRMED
    assert visit.planned_at == new_time and visit.place == "客户总部 5 楼会议室"
    assert c.caller == eng and c.callee_name == "张工" and c.contact_left
    services.complete_visit(visit_id=visit.pk, by=eng, summary="交流顺利")
    visit.refresh_from_db()
    assert visit.state == VisitState.DONE and visit.actual_at is not None and visit.summary == "交流顺利"


@pytest.mark.parametrize("missing", ["callee_name", "callee_phone", "confirmed_place", "confirmed_participants",
                                     "contact_left"])
def test_an_appointment_call_without_its_facts_is_refused(missing):
    """R-VISIT-1: whom we called, the confirmed place and participants, and our contact details are required."""
    eng = f.support_engineer()
    visit = plan(by=eng)
    with pytest.raises(ValidationFailed) as err:
        call(visit, eng, **{missing: "  "})
    assert missing in err.value.field_errors
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED and not visit.calls.exists()


def test_a_cancelled_visit_cannot_be_confirmed_or_completed():
    eng = f.support_engineer()
    visit = plan(by=eng)
    services.cancel_visit(visit_id=visit.pk, by=eng, reason="客户改期")
    with pytest.raises(TransitionNotAllowed):
        call(visit, eng)
    with pytest.raises(TransitionNotAllowed):
        services.complete_visit(visit_id=visit.pk, by=eng)


def test_after_the_visit_only_notes_and_summary_may_change():
    eng = f.support_engineer()
    visit = plan(by=eng)
    call(visit, eng)
    services.complete_visit(visit_id=visit.pk, by=eng)
    services.update_visit(visit_id=visit.pk, by=eng, summary="补充纪要")
    with pytest.raises(TransitionNotAllowed):
        services.update_visit(visit_id=visit.pk, by=eng, place="别处")
    visit.refresh_from_db()
    assert visit.summary == "补充纪要" and visit.place != "别处"


# --------------------------------------------------------------------------- R-VISIT-2
def test_support_staff_and_virtual_team_members_join_with_their_kind():
    """R-VISIT-2: the support room's own staff, and engineers of other rooms as the virtual team."""
    eng = f.support_engineer()
    visit = plan(by=eng)
    colleague = services.add_participant(visit_id=visit.pk, by=eng, user_id=f.support_engineer().pk)
    helper = services.add_participant(visit_id=visit.pk, by=eng, user_id=f.room_engineer("datacom").pk)
    assert colleague.kind == ParticipantKind.STAFF
    assert helper.kind == ParticipantKind.VIRTUAL_TEAM and helper.room.code == "datacom"


def test_vendor_engineer_joins_only_under_a_named_lead_of_ours():
    """R-VISIT-2: a vendor engineer needs a lead who is our own staff on the visit."""
    eng = f.support_engineer()
    visit = plan(by=eng)
    vendor = f.vendor_engineer()
    with pytest.raises(ValidationFailed) as err:
        services.add_participant(visit_id=visit.pk, by=eng, user_id=vendor.pk)
    assert "lead" in err.value.field_errors and "R-VISIT-2" in err.value.message
    other_vendor = f.vendor_engineer()
    with pytest.raises(ValidationFailed):
        services.add_participant(visit_id=visit.pk, by=eng, user_id=vendor.pk, lead_id=other_vendor.pk)
    outsider = f.support_engineer()  # our staff, but not on this visit
    with pytest.raises(ValidationFailed):
        services.add_participant(visit_id=visit.pk, by=eng, user_id=vendor.pk, lead_id=outsider.pk)
    joined = services.add_participant(visit_id=visit.pk, by=eng, user_id=vendor.pk, lead_id=eng.pk)
    assert joined.kind == ParticipantKind.VENDOR and joined.lead == eng


def test_the_database_refuses_a_vendor_participant_without_a_lead():
    """R-VISIT-2 is also a check constraint."""
    from visits.models import VisitParticipant

    visit = plan()
    with pytest.raises(IntegrityError):
        VisitParticipant.objects.create(visit=visit, user=f.vendor_engineer(), kind=ParticipantKind.VENDOR)


def test_a_lead_cannot_leave_while_leading_vendor_engineers():
    eng = f.support_engineer()
    visit = plan(by=eng)
    lead = services.add_participant(visit_id=visit.pk, by=eng, user_id=f.support_engineer().pk)
    services.add_participant(visit_id=visit.pk, by=eng, user_id=f.vendor_engineer().pk, lead_id=lead.user_id)
    with pytest.raises(ValidationFailed):
        services.remove_participant(participant_id=lead.pk, by=eng)


def test_customer_participants_are_recorded_with_name_title_and_phone():
    eng = f.support_engineer()
    visit = plan(by=eng)
    cp = services.add_customer_participant(visit_id=visit.pk, by=eng, name="王主任", title="信息中心主任",
                                           phone="13700000000")
    assert (cp.name, cp.title, cp.phone) == ("王主任", "信息中心主任", "13700000000")
    with pytest.raises(ValidationFailed):
        services.add_customer_participant(visit_id=visit.pk, by=eng, name="")


# --------------------------------------------------------------------------- R-VISIT-3
def test_a_problem_is_solved_on_site_or_gets_an_owner_and_a_due_date():
    """R-VISIT-3"""
    eng = f.support_engineer()
    visit = plan(by=eng)
    with pytest.raises(ValidationFailed) as err:
        services.add_problem(visit_id=visit.pk, by=eng, description="路由器告警灯常亮")
    assert {"owner", "due_date"} <= set(err.value.field_errors)
    solved = services.add_problem(visit_id=visit.pk, by=eng, description="网线松动", solved_on_site=True,
                                  solution="重新压接")
    owned = services.add_problem(visit_id=visit.pk, by=eng, description="需扩容带宽", owner_id=eng.pk,
                                 due_date=timezone.localdate() + timedelta(days=7))
    assert solved.solved_on_site and solved.owner is None
    assert owned.owner == eng and not owned.solved_on_site and owned.open_follow_up


def test_the_database_refuses_an_unsolved_problem_without_owner():
    """R-VISIT-3 is also a check constraint."""
    visit = plan()
    with pytest.raises(IntegrityError):
        VisitProblem.objects.create(visit=visit, description="x", solved_on_site=False)


def test_follow_up_is_recorded_and_closed():
    """R-VISIT-3: a follow-up note; closing it ends the follow-up."""
    eng = f.support_engineer()
    visit = plan(by=eng)
    problem = services.add_problem(visit_id=visit.pk, by=eng, description="需扩容", owner_id=eng.pk,
                                   due_date=timezone.localdate() + timedelta(days=3))
    services.record_follow_up(problem_id=problem.pk, by=eng, note="已提交扩容申请")
    problem = services.record_follow_up(problem_id=problem.pk, by=eng, note="扩容完成", close=True)
    assert "已提交扩容申请" in problem.follow_up and "扩容完成" in problem.follow_up
    assert problem.closed_at is not None and not problem.open_follow_up
    with pytest.raises(TransitionNotAllowed):
        services.record_follow_up(problem_id=problem.pk, by=eng, note="again")


def test_a_problem_becomes_a_fault_ticket_linked_both_ways():
    """R-VISIT-3: one action makes the ticket; the problem holds it and the ticket reaches the problem."""
    eng = f.support_engineer()
    customer = f.CustomerFactory(tier="gold")
    visit = plan(by=eng, customer=customer)
    problem = services.add_problem(visit_id=visit.pk, by=eng, description="专线夜间丢包", owner_id=eng.pk,
                                   due_date=timezone.localdate() + timedelta(days=2))
    ticket = services.raise_problem_ticket(problem_id=problem.pk, by=eng, category="datacom")
    problem.refresh_from_db()
    assert problem.ticket == ticket
    assert list(ticket.visit_problems.all()) == [problem]
    assert ticket.customer == customer and ticket.source == TicketSource.VISIT
    assert ticket.state == TicketState.NEW  # monitoring dispatches it
    assert visit.number in ticket.description
    with pytest.raises(Conflict):
        services.raise_problem_ticket(problem_id=problem.pk, by=eng)


def test_a_monitoring_operator_who_may_open_tickets_dispatches_the_visit_ticket_at_once():
    """R-VISIT-3 with an operator's rights: create_ticket opens and dispatches it in their name."""
    from django.contrib.auth.models import Group

    eng = f.support_engineer()
    visit = plan(by=eng, customer=f.CustomerFactory(tier="gold"))
    problem = services.add_problem(visit_id=visit.pk, by=eng, description="丢包", solved_on_site=True)
    operator = f.monitoring_operator()
    operator.groups.add(Group.objects.get(name="support_engineer"))
    operator = type(operator).objects.get(pk=operator.pk)
    ticket = services.raise_problem_ticket(problem_id=problem.pk, by=operator)
    assert ticket.reported_by == operator and ticket.state == TicketState.DISPATCHED


# --------------------------------------------------------------------------- R-VISIT-4
def _template(kind="report"):
    return DocumentTemplate.objects.filter(kind=kind, active=True).first()


def test_standard_templates_exist_for_every_document_kind():
    assert {t.kind for t in DocumentTemplate.objects.all()} >= {"proposal", "report", "fax", "email"}


def test_a_document_cannot_be_sent_before_its_reviews():
    """R-VISIT-4: reviewers approve first; then it may be sent, and the customer's notice is recorded."""
    author, reviewer1, reviewer2 = f.support_engineer(), f.support_engineer(), f.support_manager()
    visit = plan(by=author)
    doc = services.create_document(visit_id=visit.pk, by=author, kind="report", title="故障总结报告",
                                   template_id=_template().pk, reviewer_ids=[reviewer1.pk, reviewer2.pk])
    assert doc.state == DocumentState.IN_REVIEW and doc.body  # the template's body
    with pytest.raises(ValidationFailed) as err:
        services.send_document(document_id=doc.pk, by=author, notice="邮件告知张工")
    assert "R-VISIT-4" in err.value.message
    services.review_document(document_id=doc.pk, by=reviewer1, approve=True)
    with pytest.raises(ValidationFailed):  # one of two reviewers is not enough
        services.send_document(document_id=doc.pk, by=author, notice="邮件告知张工")
    services.review_document(document_id=doc.pk, by=reviewer2, approve=True, note="可以")
    doc = services.send_document(document_id=doc.pk, by=author, notice="邮件告知张工")
    assert doc.state == DocumentState.SENT and doc.sent_at and doc.sent_notice == "邮件告知张工"
    doc = services.record_document_received(document_id=doc.pk, by=author, notice="张工电话确认收到")
    assert doc.state == DocumentState.RECEIVED and doc.received_notice
    with pytest.raises(TransitionNotAllowed):
        services.send_document(document_id=doc.pk, by=author, notice="again")


def test_the_author_cannot_review_their_own_document():
    """R-VISIT-4"""
    author = f.support_engineer()
    visit = plan(by=author)
    with pytest.raises(ValidationFailed) as err:
        services.create_document(visit_id=visit.pk, by=author, kind="report", title="报告",
                                 template_id=_template().pk, reviewer_ids=[author.pk])
    assert "reviewers" in err.value.field_errors
    doc = services.create_document(visit_id=visit.pk, by=author, kind="report", title="报告",
                                   template_id=_template().pk, reviewer_ids=[f.support_manager().pk])
    with pytest.raises(NotPermitted):
        services.review_document(document_id=doc.pk, by=author, approve=True)
    with pytest.raises(NotPermitted):  # someone who is not an assigned reviewer
        services.review_document(document_id=doc.pk, by=f.support_engineer(), approve=True)


def test_one_or_two_reviewers_and_the_standard_template_are_required():
    """R-VISIT-4"""
    author = f.support_engineer()
    visit = plan(by=author)
    three = [f.support_engineer().pk for _ in range(3)]
    with pytest.raises(ValidationFailed) as err:
        services.create_document(visit_id=visit.pk, by=author, kind="report", title="报告", template_id=None,
                                 reviewer_ids=three)
    assert {"template", "reviewers"} <= set(err.value.field_errors)
    with pytest.raises(ValidationFailed) as err:
        services.create_document(visit_id=visit.pk, by=author, kind="fax", title="传真",
                                 template_id=_template("report").pk, reviewer_ids=three[:1])
    assert "template" in err.value.field_errors


def test_a_returned_document_is_revised_and_reviewed_again():
    author, reviewer = f.support_engineer(), f.support_manager()
    visit = plan(by=author)
    doc = services.create_document(visit_id=visit.pk, by=author, kind="proposal", title="扩容建议",
                                   template_id=_template("proposal").pk, reviewer_ids=[reviewer.pk])
    with pytest.raises(ValidationFailed):
        services.review_document(document_id=doc.pk, by=reviewer, approve=False)  # a return needs a note
    services.review_document(document_id=doc.pk, by=reviewer, approve=False, note="口径需统一")
    doc.refresh_from_db()
    assert doc.state == DocumentState.IN_REVIEW
    services.revise_document(document_id=doc.pk, by=author, body="修改后的正文")
    services.review_document(document_id=doc.pk, by=reviewer, approve=True)
    doc.refresh_from_db()
    assert doc.state == DocumentState.APPROVED and doc.body == "修改后的正文"


# --------------------------------------------------------------------------- routine inspection
def test_a_routine_inspection_is_done_only_with_its_checklist_filled():
    eng = f.support_engineer()
    visit = plan(by=eng, kind=VisitKind.ROUTINE_INSPECTION)
    template = ChecklistTemplate.objects.get(pk=visit.checklist_template_id)
    items = list(template.items.all())
    assert items
    call(visit, eng)
    with pytest.raises(ValidationFailed) as err:
        services.complete_visit(visit_id=visit.pk, by=eng)
    assert "checklist" in err.value.field_errors
    with pytest.raises(ValidationFailed):  # a fault needs a note
        services.record_inspection(visit_id=visit.pk, by=eng, results=[
            {"item_id": items[0].pk, "result": "fault", "note": ""}])
    services.record_inspection(visit_id=visit.pk, by=eng, results=[
        {"item_id": i.pk, "result": "ok" if n else "fault", "note": "" if n else "光功率偏低"}
        for n, i in enumerate(items)])
    services.complete_visit(visit_id=visit.pk, by=eng)
    visit.refresh_from_db()
    assert visit.state == VisitState.DONE
    assert visit.inspection_results.filter(result="fault").count() == 1


# --------------------------------------------------------------------------- fault reviews
def test_fault_review_links_only_the_customers_tickets():
    eng = f.support_engineer()
    customer = f.CustomerFactory()
    own, foreign = f.TicketFactory(customer=customer), f.TicketFactory()
    visit = plan(by=eng, customer=customer, kind=VisitKind.FAULT_REVIEW, ticket_ids=[own.pk])
    assert list(visit.tickets.all()) == [own] and list(own.review_visits.all()) == [visit]
    with pytest.raises(ValidationFailed):
        services.link_ticket(visit_id=visit.pk, by=eng, ticket_id=foreign.pk)
    with pytest.raises(ValidationFailed):
        plan(by=eng, customer=customer, kind=VisitKind.TECHNICAL_EXCHANGE, ticket_ids=[own.pk])


def test_propose_fault_review_is_idempotent_and_only_for_important_total_outages():
    gold_total = f.TicketFactory(customer__tier="gold", outage="total", resolved_at=timezone.now())
    normal_total = f.TicketFactory(customer__tier="normal", outage="total")
    gold_partial = f.TicketFactory(customer__tier="gold", outage="partial")
    first = services.propose_fault_review(ticket_id=gold_total.pk)
    again = services.propose_fault_review(ticket_id=gold_total.pk)
    assert first is not None and again.pk == first.pk
    assert Visit.objects.filter(proposed_for=gold_total).count() == 1
    assert first.kind == VisitKind.FAULT_REVIEW and list(first.tickets.all()) == [gold_total]
    assert first.planned_at > timezone.now() + timedelta(days=6)
    assert services.propose_fault_review(ticket_id=normal_total.pk) is None
    assert services.propose_fault_review(ticket_id=gold_partial.pk) is None


def fresh_ticket_needs_lead(ticket) -> bool:
    from tickets.models import FaultTicket

    return FaultTicket.objects.get(pk=ticket.pk).site_lead_required


def _resolved_ticket(tier: str, outage: str, django_capture_on_commit_callbacks):
    circuit = f.CircuitFactory(customer__tier=tier)
    result = ticket_services.ingest_alarm(alarm=ticket_services.AlarmIn(
        alarm_id=f"A-{circuit.circuit_id}", category="transmission", severity="critical", outage=outage,
        circuit_id=circuit.circuit_id, title="LOS", raised_at=timezone.now() - timedelta(minutes=30)))
    eng = f.room_engineer("transport")
    ticket_services.accept(ticket_id=result.ticket.pk, by=eng)
    if fresh_ticket_needs_lead(result.ticket):  # R-SITE-1: the manager's recorded exception
        ticket_services.record_site_lead_exception(ticket_id=result.ticket.pk, by=f.support_manager(),
                                                   reason="客户要求远程处理")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.resolve(ticket_id=result.ticket.pk, by=eng, cause_category="fibre_cut",
                                cause_text="光缆挖断")
    return result.ticket


def test_resolving_an_important_total_outage_proposes_a_fault_review(django_capture_on_commit_callbacks):
    ticket = _resolved_ticket("diamond", "total", django_capture_on_commit_callbacks)
    visit = Visit.objects.get(proposed_for=ticket)
    assert visit.kind == VisitKind.FAULT_REVIEW and visit.customer == ticket.customer
    assert ticket.proposed_review == visit
    assert visit.reminders.filter(kind="fault_review_proposed").exists()


def test_resolving_a_normal_customers_outage_proposes_nothing(django_capture_on_commit_callbacks):
    ticket = _resolved_ticket("normal", "total", django_capture_on_commit_callbacks)
    assert not Visit.objects.filter(proposed_for=ticket).exists()
