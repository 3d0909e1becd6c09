"""Manager's escalation dashboard: tier × state, joint handling, breaches, per-tier figures, the chart,
the R-EXPLAIN approval queue and the watch on the deadline sweep."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.builders import alarm_ticket
from tickets import selectors, services
from tickets.models import Deadline, Escalation, Explanation, SweepRun

# "today", "this week" and the 7-day series depend on the hour: the clock is frozen in the afternoon.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def breached(tier="gold", hours_ago=3):
    ticket = alarm_ticket(f.CircuitFactory(customer__tier=tier).circuit_id, minutes_ago=hours_ago * 60)
    d = Deadline.objects.get(ticket=ticket, kind="joint_handling")
    Deadline.objects.filter(pk=d.pk).update(breached_at=d.due_at)
    return ticket


def test_dashboard_shows_a_breached_ticket_in_red(client, manager, django_assert_max_num_queries):
    ticket = breached()
    client.force_login(manager)
    with django_assert_max_num_queries(42):  # + action queues first, time range, incoming documents
        html = client.get(reverse("tickets:dashboard")).content.decode()
    assert f'class="is-breached" data-ticket="{ticket.number}"' in html
    assert 'hx-trigger="every 30s"' in html


def test_dashboard_counts_open_tickets_by_tier_and_state(manager):
    alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id)
    alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id)
    alarm_ticket(f.CircuitFactory(customer__tier="normal").circuit_id)
    counts = selectors.open_counts_by_tier_and_state()
    by_tier = {r["tier"]: r for r in counts["rows"]}
    dispatched = counts["columns"].index("dispatched")
    assert by_tier["gold"]["cells"][dispatched] == 2 and by_tier["normal"]["total"] == 1
    assert counts["total"] == 3


def test_joint_tickets_show_each_rooms_latest_progress_and_arrival(client, manager, operator, transport_engineer,
                                                                  gold_ticket):
    """R-ESC-1 / R-ESC-2: every room of the joint handling, its latest note and whether it has arrived."""
    services.start_joint(ticket_id=gold_ticket.pk, by=operator, reason="主导室无法定位")
    services.add_progress(ticket_id=gold_ticket.pk, by=transport_engineer, text="第一次进展")
    services.add_progress(ticket_id=gold_ticket.pk, by=transport_engineer, text="最新：断点在 3 公里处")
    services.record_arrival(ticket_id=gold_ticket.pk, by=transport_engineer)
    joint = selectors.joint_handling_tickets()
    assert [t.pk for t, _ in joint] == [gold_ticket.pk]
    rooms = {r.room.code: r for r in joint[0][1]}
    assert rooms["transport"].latest.text == "最新：断点在 3 公里处" and rooms["transport"].arrived_at
    assert rooms["service_support"].must_arrive and rooms["service_support"].arrived_at is None
    client.force_login(manager)
    html = client.get(reverse("tickets:dashboard")).content.decode()
    assert "最新：断点在 3 公里处" in html and "未到场" in html


def test_breaches_today_and_this_week(manager):
    ticket = breached()
    Escalation.objects.create(ticket=ticket, kind="arrival_breach", rule="R-ESC-2", reason="未到场",
                              room=ticket.lead_room)
    old = breached()
    Deadline.objects.filter(ticket=old).update(breached_at=timezone.now() - timedelta(days=10))
    today = selectors.breaches_since(selectors.start_of_day())
    assert today["count"] == 2  # one arrival breach, one breached deadline
    assert {d.ticket_id for d in today["deadlines"]} == {ticket.pk}


def test_tier_figures_median_restore_and_share_of_deadlines_met(transport_engineer):
    """Per tier: tickets, median time to restore, share of deadlines met (from Deadline rows)."""
    fast = alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=30)
    slow = alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=90)
    for t in (fast, slow):
        services.accept(ticket_id=t.pk, by=transport_engineer)
        services.restore(ticket_id=t.pk, by=transport_engineer, note="恢复")
    Deadline.objects.filter(ticket=slow, kind="joint_handling").update(met_at=None, breached_at=timezone.now())
    rows = {r["tier"]: r for r in selectors.tier_stats(7)}
    assert rows["gold"]["tickets"] == 2
    assert rows["gold"]["median_restore_min"] == 60
    assert rows["gold"]["breached"] == 1 and rows["gold"]["met_share"] == 0
    assert rows["diamond"]["tickets"] == 0 and rows["diamond"]["median_restore_min"] is None


def test_series_counts_open_and_breached_tickets():
    breached(hours_ago=3)
    alarm_ticket(f.CircuitFactory(customer__tier="normal").circuit_id, minutes_ago=30)
    series = selectors.open_and_breached_series(days=7, step_hours=6)
    first, last = series.points[0], series.points[-1]
    assert first[1:] == (0, 0)
    assert last[1:] == (2, 1)


def test_sweep_older_than_five_minutes_is_flagged_red(client, manager):
    """A lost beat must be noticed: the last sweep's time turns red after 5 minutes."""
    now = timezone.now()
    SweepRun.objects.create(started_at=now - timedelta(minutes=11), finished_at=now - timedelta(minutes=10))
    client.force_login(manager)
    html = client.get(reverse("tickets:dashboard")).content.decode()
    assert 'class="sweep is-stale"' in html
    SweepRun.objects.create(started_at=now - timedelta(seconds=61), finished_at=now - timedelta(seconds=60))
    html = client.get(reverse("tickets:dashboard")).content.decode()
    assert 'class="sweep"' in html and "is-stale" not in html


def test_polled_panel_is_a_fragment(client, manager):
    client.force_login(manager)
    html = client.get(reverse("tickets:dashboard"), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html and 'id="sweep-status"' in html
    part = client.get(reverse("tickets:dashboard") + "?part=explanations",
                      headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in part and "sweep-status" not in part


@pytest.fixture
def draft(gold_ticket, transport_engineer):
    return services.draft_explanation(ticket_id=gold_ticket.pk, by=transport_engineer, text="光缆被挖断")


def test_manager_approves_then_releases_the_explanation(client, manager, draft):
    """R-EXPLAIN: the support-room manager approves the wording; only then is it released."""
    client.force_login(manager)
    html = client.get(reverse("tickets:dashboard")).content.decode()
    assert f'data-explanation="{draft.pk}"' in html
    response = client.post(reverse("tickets:explanation-review", args=[draft.pk]), {"decision": "approve"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/#explanations"
    draft.refresh_from_db()
    assert draft.state == "approved" and draft.reviewed_by == manager
    client.post(reverse("tickets:explanation-release", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state == "released" and draft.released_by == manager


def test_return_needs_a_note(client, manager, draft):
    client.force_login(manager)
    response = client.post(reverse("tickets:explanation-review", args=[draft.pk]), {"decision": "return"})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.state == "draft"
    client.post(reverse("tickets:explanation-review", args=[draft.pk]), {"decision": "return", "note": "口径不统一"})
    draft.refresh_from_db()
    assert draft.state == "returned" and draft.review_note == "口径不统一"


def test_release_before_approval_is_409(client, manager, draft):
    client.force_login(manager)
    response = client.post(reverse("tickets:explanation-release", args=[draft.pk]))
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_engineer_cannot_approve(client, transport_engineer, draft):
    client.force_login(transport_engineer)
    response = client.post(reverse("tickets:explanation-review", args=[draft.pk]), {"decision": "approve"})
    assert response.status_code == 403
    assert Explanation.objects.get(pk=draft.pk).state == "draft"


def test_dashboard_lists_are_bounded_but_totals_are_true(client, manager, monkeypatch):
    """At scale the dashboard lists the most important tickets and says how many there are in all."""
    from tickets.choices import TicketState

    monkeypatch.setattr("tickets.views.manager.DASHBOARD_LIST_LIMIT", 2)
    for _ in range(3):
        f.TicketFactory(customer__tier="gold", state=TicketState.JOINT_HANDLING)
    client.force_login(manager)
    html = client.get(reverse("tickets:dashboard")).content.decode()
    assert "最重要的 2 张，共 3 张" in html
