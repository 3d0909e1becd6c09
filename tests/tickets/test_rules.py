"""docs/rules.md §3.4-§3.5 and the "who" column of §3.6: on site, own network first, explanations, manual joint
handling and who may do what."""
from datetime import timedelta

import pytest
from django.utils import timezone

from supportdesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests import factories as f
from tests.builders import crew, fresh, ingest, snapshot, ticket_in
from tickets import services
from tickets.choices import TicketState
from tickets.models import Broadcast, Deadline, Escalation, SiteMember, TicketEvent

pytestmark = pytest.mark.django_db

S = TicketState


def _important(tier="gold", outage="total", **kw):
    """An important customer's alarm ticket, dispatched at ingestion (R-DISPATCH-IMP)."""
    circuit = f.CircuitFactory(customer__tier=tier, service_type="data_line")
    return fresh(ingest(circuit.circuit_id, outage=outage, **kw).ticket)


# --------------------------------------------------------------------------- R-SITE-1 / R-SITE-2 / R-SITE-3 / R-SITE-5
def test_gold_total_outage_needs_a_support_engineer_as_site_lead():
    """R-SITE-1: important customer, total outage: the on-site lead is a support-room engineer; a vendor
    engineer or another room's engineer is refused."""
    c = crew()
    ticket = _important("gold", "total")
    assert ticket.site_lead_required
    vendor = f.vendor_engineer()
    for candidate in (vendor, c.lead):
        before = snapshot(ticket)
        with pytest.raises(ValidationFailed) as caught:
            services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=candidate.pk)
        assert "R-SITE-1" in str(caught.value) and "user" in caught.value.field_errors
        assert snapshot(ticket) == before
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.support.pk)
    assert fresh(ticket).site_lead_id == c.support.pk


def test_a_vendor_engineer_in_the_support_room_is_still_not_a_site_lead():
    """R-SITE-1: a vendor engineer cannot be the on-site lead even if listed in the support room."""
    c = crew()
    ticket = _important("gold", "total")
    vendor = f.person("vendor_engineer", "service_support", vendor=f.VendorFactory())
    with pytest.raises(ValidationFailed):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=vendor.pk)
    assert fresh(ticket).site_lead_id is None


def test_gold_partial_outage_does_not_require_a_support_lead():
    """R-SITE-1 / R-SITE-3: gold without a total outage: the handling lead chooses who leads on site."""
    c = crew()
    ticket = _important("gold", "partial")
    assert not ticket.site_lead_required
    services.designate_site_lead(ticket_id=ticket.pk, by=c.manager, user_id=c.lead.pk)  # R-SITE-5
    assert fresh(ticket).site_lead_id == c.lead.pk


def test_diamond_ordinary_fault_needs_a_support_engineer_as_site_lead():
    """R-SITE-2: a diamond customer's ordinary (partial) fault is treated as R-SITE-1."""
    c = crew()
    ticket = _important("diamond", "partial", severity="minor")
    assert ticket.site_lead_required
    with pytest.raises(ValidationFailed):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.lead.pk)
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.support.pk)
    assert fresh(ticket).site_lead_id == c.support.pk


def test_centre_leader_expedite_requires_a_support_site_lead():
    """R-SITE-2: any fault a centre leader flags "expedite" needs a support-room on-site lead."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c, tier="normal")
    assert not ticket.site_lead_required
    leader = f.centre_leader()
    with pytest.raises(NotPermitted):
        services.flag_expedite(ticket_id=ticket.pk, by=c.op)
    services.flag_expedite(ticket_id=ticket.pk, by=leader, note="领导要求尽快处理")
    ticket = fresh(ticket)
    assert ticket.expedite and ticket.expedite_by == leader and ticket.site_lead_required
    assert TicketEvent.objects.filter(ticket=ticket, kind="expedite", actor=leader).count() == 1
    with pytest.raises(ValidationFailed):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.lead.pk)
    services.flag_expedite(ticket_id=ticket.pk, by=leader)  # again: nothing new
    assert TicketEvent.objects.filter(ticket=ticket, kind="expedite").count() == 1


def test_vendor_engineer_joins_only_as_a_member_under_an_existing_lead():
    """R-SITE-3: vendors go on site under our handling lead: never the lead, and only once a lead exists."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c, tier="normal")
    vendor = f.vendor_engineer()
    services.assign_vendor(ticket_id=ticket.pk, by=c.lead, vendor_id=vendor.vendor_id)
    with pytest.raises(ValidationFailed):
        services.add_site_member(ticket_id=ticket.pk, by=c.lead, user_id=vendor.pk)
    with pytest.raises(ValidationFailed):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.manager, user_id=vendor.pk)
    assert not SiteMember.objects.filter(ticket=ticket).exists() and fresh(ticket).site_lead_id is None
    services.designate_site_lead(ticket_id=ticket.pk, by=c.manager, user_id=c.lead.pk)  # R-SITE-5
    member = services.add_site_member(ticket_id=ticket.pk, by=c.lead, user_id=vendor.pk)
    assert member.user == vendor and fresh(ticket).site_lead_id == c.lead.pk
    with pytest.raises(ValidationFailed):  # the lead is not also a member
        services.add_site_member(ticket_id=ticket.pk, by=c.lead, user_id=c.lead.pk)


def test_replacing_the_site_lead_keeps_exactly_one_lead():
    """R-SITE-5: exactly one on-site lead; the replaced lead stays on site as a member."""
    c = crew()
    ticket = _important("gold", "total")
    second = f.support_engineer()
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.support.pk)
    services.add_site_member(ticket_id=ticket.pk, by=c.support, user_id=second.pk)
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=second.pk)
    ticket = fresh(ticket)
    assert ticket.site_lead_id == second.pk
    members = set(SiteMember.objects.filter(ticket=ticket).values_list("user_id", flat=True))
    assert members == {c.support.pk}
    event = TicketEvent.objects.filter(ticket=ticket, kind="site_lead").last()
    assert event.data == {"lead": second.username, "previous": c.support.username}


# --------------------------------------------------------------------------- R-SITE-4
def test_pre_arrival_call_and_tool_list_are_recorded():
    """R-SITE-4: the call to the customer's technical contact, the ETA and the tool list are on the ticket."""
    c = crew()
    ticket = _important("gold", "total")
    eta = timezone.now() + timedelta(minutes=40)
    check = services.record_pre_arrival(
        ticket_id=ticket.pk, by=c.support, contact_name="张工", contact_phone="13900000001",
        confirmed_arrangements="10:30 机房，张工陪同", equipment_state="路由器端口灯灭", eta=eta,
        told_engineer_details=True, tools={"tool_laptop": True, "tool_router_config_backup": True},
    )
    assert (check.contact_name, check.eta, check.told_engineer_details) == ("张工", eta, True)
    assert check.tool_laptop and check.tool_router_config_backup and not check.tool_router_spares
    event = TicketEvent.objects.get(ticket=ticket, kind="pre_arrival")
    assert set(event.data["missing_tools"]) == {"tool_patch_cables", "tool_transmission_spares",
                                                "tool_router_spares"}


def test_pre_arrival_without_the_contact_is_refused():
    """R-SITE-4: the check names the contact called; every missing field is named, nothing stored."""
    c = crew()
    ticket = _important("gold", "total")
    with pytest.raises(ValidationFailed) as caught:
        services.record_pre_arrival(ticket_id=ticket.pk, by=c.support, contact_name="", contact_phone=" ",
                                    tools={"tool_hammer": True})
    assert set(caught.value.field_errors) == {"contact_name", "contact_phone", "tools"}
    assert not ticket.pre_arrival_checks.exists()


def test_pre_arrival_is_for_people_working_on_the_ticket():
    """R-SITE-4 / docs/rules.md §3.6 who: an engineer of an uninvolved room cannot record the check."""
    ticket = _important("gold", "total")
    with pytest.raises(NotPermitted):
        services.record_pre_arrival(ticket_id=ticket.pk, by=f.room_engineer("wireless"), contact_name="张工",
                                    contact_phone="139")


# --------------------------------------------------------------------------- R-OWN-FIRST
def test_customer_side_check_is_never_blocked_only_the_attribution_waits():
    """R-OWN-FIRST: the checks run in parallel — the support room records its customer-side check before
    transport has written anything; only attributing the cause to the customer side needs the own-network
    check recorded clear."""
    c = crew()
    ticket = _important("gold", "partial")
    services.add_progress(ticket_id=ticket.pk, by=c.support, text="客户路由器掉电", kind="customer_side")
    assert ticket.progress_notes.filter(kind="customer_side").exists()
    before = snapshot(ticket)
    with pytest.raises(ValidationFailed) as caught:
        services.confirm_cause(ticket_id=ticket.pk, by=c.lead, cause_category="customer_side", cause_text="客户端掉电")
    assert "R-OWN-FIRST" in str(caught.value) and snapshot(ticket) == before
    services.accept(ticket_id=ticket.pk, by=c.lead)
    with pytest.raises(ValidationFailed):
        services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="customer_side", cause_text="客户端掉电")
    services.add_progress(ticket_id=ticket.pk, by=c.lead, text="本网传输正常", kind="own_network")
    services.confirm_cause(ticket_id=ticket.pk, by=c.lead, cause_category="customer_side", cause_text="客户端掉电")
    assert fresh(ticket).cause_category == "customer_side"


# --------------------------------------------------------------------------- R-EXPLAIN
def test_explanation_is_drafted_by_the_site_lead_approved_by_the_manager_then_released():
    """R-EXPLAIN: the on-site lead drafts, the support-room manager approves, and only then release."""
    c = crew()
    ticket = _important("gold", "total")
    other_support = f.support_engineer()
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.support.pk)
    with pytest.raises(NotPermitted):
        services.draft_explanation(ticket_id=ticket.pk, by=other_support, text="光缆中断")
    with pytest.raises(NotPermitted):
        services.draft_explanation(ticket_id=ticket.pk, by=c.lead, text="光缆中断")
    exp = services.draft_explanation(ticket_id=ticket.pk, by=c.support, text="光缆中断")
    assert exp.state == "draft" and exp.drafted_by == c.support
    with pytest.raises(TransitionNotAllowed) as caught:
        services.release_explanation(explanation_id=exp.pk, by=c.support)
    assert "approved" in str(caught.value)
    for not_manager in (c.support, c.op, c.lead):
        with pytest.raises(NotPermitted):
            services.approve_explanation(explanation_id=exp.pk, by=not_manager)
    approved = services.approve_explanation(explanation_id=exp.pk, by=c.manager)
    assert approved.state == "approved" and approved.reviewed_by == c.manager
    released = services.release_explanation(explanation_id=exp.pk, by=c.support)
    assert released.state == "released" and released.released_at is not None


def test_a_returned_explanation_is_revised_and_approved():
    """R-EXPLAIN: the manager returns the wording with a note; the lead revises; then it is approved."""
    c = crew()
    ticket = _important("gold", "total")
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.support.pk)
    exp = services.draft_explanation(ticket_id=ticket.pk, by=c.support, text="我方光缆被挖断")
    with pytest.raises(ValidationFailed):
        services.review_explanation(explanation_id=exp.pk, by=c.manager, approve=False, note=" ")
    returned = services.review_explanation(explanation_id=exp.pk, by=c.manager, approve=False,
                                           note="请统一口径：市政施工导致")
    assert returned.state == "returned" and returned.review_note == "请统一口径：市政施工导致"
    with pytest.raises(TransitionNotAllowed):
        services.release_explanation(explanation_id=exp.pk, by=c.support)
    with pytest.raises(TransitionNotAllowed):
        services.approve_explanation(explanation_id=exp.pk, by=c.manager)
    revised = services.draft_explanation(ticket_id=ticket.pk, by=c.support, text="市政施工导致光缆中断")
    assert revised.pk == exp.pk and revised.state == "draft" and revised.text == "市政施工导致光缆中断"
    assert services.approve_explanation(explanation_id=exp.pk, by=c.manager).state == "approved"


# --------------------------------------------------------------------------- R-ESC-MANUAL
def test_lead_room_declares_joint_handling():
    """R-ESC-MANUAL / R-BCAST: the lead room declares it cannot handle the fault: joint handling, an
    escalation row, broadcast #1 at once and the next hourly slot scheduled."""
    c = crew()
    ticket = _important("gold", "total")
    services.accept(ticket_id=ticket.pk, by=c.lead)
    services.start_joint(ticket_id=ticket.pk, by=c.lead, reason="主导室无法定位，请求联合处理")
    ticket = fresh(ticket)
    assert ticket.state == S.JOINT_HANDLING and ticket.joint_started_at is not None
    escalation = Escalation.objects.get(ticket=ticket)
    assert (escalation.kind, escalation.rule, escalation.triggered_by) == ("joint_handling", "R-ESC-MANUAL", c.lead)
    broadcast = Broadcast.objects.get(ticket=ticket, kind="scheduled")
    assert broadcast.seq == 2 and broadcast.at == ticket.joint_started_at and ticket.number in broadcast.body
    assert Broadcast.objects.get(ticket=ticket, seq=1).kind == "dispatch"  # R-BCAST (a)
    slot = Deadline.objects.get(ticket=ticket, kind="broadcast")
    assert slot.is_pending and slot.sequence == 1
    assert slot.due_at == ticket.joint_started_at + timedelta(hours=1)
    joint = Deadline.objects.get(ticket=ticket, kind="joint_handling")
    assert joint.met_at == ticket.joint_started_at  # declared before the 1 h clock ran out
    # R-ESC-1: every related room and the support room join; R-ESC-2 they must arrive
    rooms = {i.room.code: (i.joined_joint_at is not None, i.must_arrive, i.site_kind)
             for i in ticket.involvements.select_related("room")}
    assert rooms == {
        "transport": (True, True, "equipment"),
        "datacom": (True, True, "equipment"),
        "service_support": (True, True, "customer"),
    }


def test_only_the_lead_room_or_monitoring_declares_joint_handling():
    """R-ESC-MANUAL: an engineer of another (even involved) room may not declare joint handling."""
    c = crew()
    ticket = _important("gold", "total")
    before = snapshot(ticket)
    for outsider in (f.room_engineer("datacom"), f.room_engineer("wireless")):
        with pytest.raises(NotPermitted):
            services.start_joint(ticket_id=ticket.pk, by=outsider, reason="无法定位")
    assert snapshot(ticket) == before
    services.start_joint(ticket_id=ticket.pk, by=c.op, reason="监控室判断需联合处理")
    assert fresh(ticket).state == S.JOINT_HANDLING


def test_restore_ends_the_broadcast_series_with_a_final_broadcast():
    """R-BCAST: restoring stops the hourly series: a final broadcast, the pending slot cancelled."""
    c = crew()
    ticket = ticket_in(S.JOINT_HANDLING, c)
    services.restore(ticket_id=ticket.pk, by=c.lead, note="切换备用路由")
    kinds = list(Broadcast.objects.filter(ticket=ticket).order_by("seq").values_list("seq", "kind"))
    assert kinds == [(1, "scheduled"), (2, "final")]
    assert not Deadline.objects.filter(ticket=ticket, kind="broadcast", cancelled_at__isnull=True,
                                       met_at__isnull=True, breached_at__isnull=True).exists()


# --------------------------------------------------------------------------- who may (docs/rules.md §3.6 "who")
def _refusals(c, ticket, outsider, vendor):
    """Each service called by someone who may not; the second element names the refused caller."""
    return {
        "dispatch by a room engineer": lambda: services.dispatch(ticket_id=ticket.pk, by=c.lead),
        "accept by another room's engineer": lambda: services.accept(ticket_id=ticket.pk, by=outsider),
        "accept by monitoring": lambda: services.accept(ticket_id=ticket.pk, by=c.op),
        "restore by another room's engineer": lambda: services.restore(ticket_id=ticket.pk, by=outsider, note="x"),
        "resolve by monitoring": lambda: services.resolve(ticket_id=ticket.pk, by=c.op, cause_category="other",
                                                          cause_text="x"),
        "close by a room engineer": lambda: services.close(ticket_id=ticket.pk, by=c.lead, customer_reply="x"),
        "cancel by a support engineer": lambda: services.cancel(ticket_id=ticket.pk, by=c.support,
                                                                reason="false_alarm"),
        "reopen by a room engineer": lambda: services.reopen(ticket_id=ticket.pk, by=c.lead, note="x"),
        "progress by another room's engineer": lambda: services.add_progress(ticket_id=ticket.pk, by=outsider,
                                                                             text="x"),
        "arrival by another room's engineer": lambda: services.record_arrival(ticket_id=ticket.pk, by=outsider),
        "arrival by an unassigned vendor": lambda: services.record_arrival(ticket_id=ticket.pk, by=vendor),
        "expedite by a room engineer": lambda: services.flag_expedite(ticket_id=ticket.pk, by=c.lead),
        "phone call by a room engineer": lambda: services.record_phone_call(ticket_id=ticket.pk, by=c.lead,
                                                                            room_code="transport", answered=False),
        "dial test by a room engineer": lambda: services.record_dial_test(ticket_id=ticket.pk, by=c.lead,
                                                                          result="fail"),
        "broadcast by a room engineer": lambda: services.publish_manual_broadcast(ticket_id=ticket.pk, by=c.lead),
        "re-route by a room engineer": lambda: services.override_lead_room(ticket_id=ticket.pk, by=c.lead,
                                                                           room_code="datacom", reason="x"),
        "vendor assigned by monitoring": lambda: services.assign_vendor(ticket_id=ticket.pk, by=c.op,
                                                                        vendor_id=vendor.vendor_id),
        "site member by another room's engineer": lambda: services.add_site_member(ticket_id=ticket.pk,
                                                                                   by=outsider, user_id=c.lead.pk),
        "site lead by another room's engineer": lambda: services.designate_site_lead(ticket_id=ticket.pk,
                                                                                     by=outsider, user_id=c.lead.pk),
        "explanation drafted by monitoring": lambda: services.draft_explanation(ticket_id=ticket.pk, by=c.op,
                                                                                text="x"),
        "explanation drafted by a vendor": lambda: services.draft_explanation(ticket_id=ticket.pk, by=vendor,
                                                                              text="x"),
    }


REFUSALS = list(_refusals(None, None, None, None))


@pytest.mark.parametrize("case", REFUSALS)
def test_each_service_refuses_who_may_not(case):
    """docs/rules.md §3.6 "who" column, R-SITE-*, R-EXPLAIN: NotPermitted (403), and nothing changes."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c, tier="normal")
    outsider = f.room_engineer("wireless")
    vendor = f.vendor_engineer()
    before = snapshot(ticket)
    with pytest.raises(NotPermitted) as caught:
        _refusals(c, ticket, outsider, vendor)[case]()
    assert caught.value.status_code == 403
    assert snapshot(ticket) == before


def test_an_inactive_user_may_do_nothing():
    """docs/rules.md §1: a deactivated account keeps no rights."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c)
    c.lead.is_active = False
    c.lead.save(update_fields=["is_active"])
    with pytest.raises(NotPermitted):
        services.accept(ticket_id=ticket.pk, by=c.lead)


def test_the_assigned_vendor_works_on_the_ticket():
    """R-SITE-3: once assigned, the vendor's engineers check in and write progress under the lead."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c)
    vendor = f.vendor_engineer()
    services.assign_vendor(ticket_id=ticket.pk, by=c.lead, vendor_id=vendor.vendor_id)
    arrival = services.record_arrival(ticket_id=ticket.pk, by=vendor)
    assert arrival.vendor_id == vendor.vendor_id and arrival.site_kind == "customer"
    note = services.add_progress(ticket_id=ticket.pk, by=vendor, text="已到客户机房")
    assert note.author == vendor
