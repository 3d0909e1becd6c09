from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from staff.models import Delivery, Notification
from tests import factories as f
from visits import selectors, services, tasks
from visits.choices import ReminderKind
from visits.models import VisitPolicy, VisitReminder

from .helpers import call, plan

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=SH)


def _inbox(user, kind):
    return Delivery.objects.filter(recipient=user, channel="inbox", notification__kind=kind)


# --------------------------------------------------------------------------- R-VISIT-1 reminder
def test_call_reminder_goes_out_once_24_hours_before_an_unconfirmed_visit():
    """R-VISIT-1: no appointment call 24 h before the visit → the owner is reminded, once."""
    with time_machine.travel(T0, tick=False):
        eng = f.support_engineer()
        visit = plan(by=eng, planned_at=T0 + timedelta(hours=30))
        assert services.send_reminders().call_due == 0  # 30 h ahead: not yet
    with time_machine.travel(T0 + timedelta(hours=7), tick=False):
        assert services.send_reminders().call_due == 1
        assert services.send_reminders().call_due == 0
        tasks.send_visit_reminders()
    assert _inbox(eng, "visit_call_due").count() == 1
    assert VisitReminder.objects.filter(kind=ReminderKind.CALL_DUE, visit=visit).count() == 1


def test_no_call_reminder_once_the_visit_is_confirmed():
    """R-VISIT-1"""
    with time_machine.travel(T0, tick=False):
        eng = f.support_engineer()
        visit = plan(by=eng, planned_at=T0 + timedelta(hours=10))
        call(visit, eng)
        assert services.send_reminders().call_due == 0
    assert not _inbox(eng, "visit_call_due").exists()


def test_call_reminder_window_follows_the_tier_policy():
    """The 24 h is a policy default: a 48 h window reminds a visit 40 h ahead."""
    VisitPolicy.objects.filter(tier="gold").update(call_reminder_hours=48)
    with time_machine.travel(T0, tick=False):
        visit = plan(customer=f.CustomerFactory(tier="gold"), planned_at=T0 + timedelta(hours=40))
        normal = plan(customer=f.CustomerFactory(tier="normal"), planned_at=T0 + timedelta(hours=40))
        assert services.send_reminders().call_due == 1
    assert VisitReminder.objects.filter(visit=visit).exists()
    assert not VisitReminder.objects.filter(visit=normal).exists()


# --------------------------------------------------------------------------- R-VISIT-3 reminders
def test_follow_up_due_tomorrow_then_overdue_each_reminded_once():
    """R-VISIT-3: the owner hears the day before; when it is overdue the owner and the managers hear, once."""
    with time_machine.travel(T0, tick=False):
        eng, manager = f.support_engineer(), f.support_manager()
        visit = plan(by=eng)
        problem = services.add_problem(visit_id=visit.pk, by=eng, description="需扩容带宽", owner_id=eng.pk,
                                       due_date=T0.date() + timedelta(days=1))
        run = services.send_reminders()
        assert (run.follow_up_tomorrow, run.follow_up_overdue) == (1, 0)
        assert services.send_reminders().follow_up_tomorrow == 0
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        run = services.send_reminders()  # due today: neither tomorrow nor overdue
        assert (run.follow_up_tomorrow, run.follow_up_overdue) == (0, 0)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        assert services.send_reminders().follow_up_overdue == 1
        assert services.send_reminders().follow_up_overdue == 0
    assert _inbox(eng, "visit_follow_up_due").count() == 1
    assert _inbox(eng, "visit_follow_up_overdue").count() == 1
    assert _inbox(manager, "visit_follow_up_overdue").count() == 1
    assert problem.reminders.count() == 2


def test_a_closed_follow_up_is_not_reminded():
    with time_machine.travel(T0, tick=False):
        eng = f.support_engineer()
        visit = plan(by=eng)
        problem = services.add_problem(visit_id=visit.pk, by=eng, description="x", owner_id=eng.pk,
                                       due_date=T0.date())
        services.record_follow_up(problem_id=problem.pk, by=eng, note="已处理", close=True)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        assert services.send_reminders().total == 0
        assert not selectors.overdue_followups(timezone.now()).exists()


def test_a_reminder_row_is_unique_per_kind_and_subject():
    visit = plan()
    VisitReminder.objects.create(kind=ReminderKind.CALL_DUE, visit=visit)
    with pytest.raises(IntegrityError):
        VisitReminder.objects.create(kind=ReminderKind.CALL_DUE, visit=visit)


def test_reminder_run_query_count_does_not_grow_with_visits(django_assert_max_num_queries):
    with time_machine.travel(T0, tick=False):
        eng = f.support_engineer()
        for n in range(3):
            plan(by=eng, planned_at=T0 + timedelta(hours=2 + n))
        before = Notification.objects.count()
        with django_assert_max_num_queries(60):
            assert services.send_reminders().call_due == 3
        assert Notification.objects.count() == before + 3


# --------------------------------------------------------------------------- coverage
def _done_visit(customer, days_ago, eng):
    visit = plan(by=eng, customer=customer, planned_at=timezone.now() - timedelta(days=days_ago))
    call(visit, eng, called_at=timezone.now() - timedelta(days=days_ago + 1))
    services.complete_visit(visit_id=visit.pk, by=eng, actual_at=timezone.now() - timedelta(days=days_ago))
    return visit


def test_coverage_report_lists_customers_overdue_for_a_visit_per_tier(django_assert_max_num_queries):
    """docs/rules.md §4: diamond every 30 days, gold every 90, normal not tracked (policy defaults)."""
    eng = f.support_engineer()
    late_diamond = f.CustomerFactory(tier="diamond")
    fresh_diamond = f.CustomerFactory(tier="diamond")
    fresh_gold = f.CustomerFactory(tier="gold")
    never_gold = f.CustomerFactory(tier="gold")
    new_gold = f.CustomerFactory(tier="gold")
    never_normal = f.CustomerFactory(tier="normal")
    type(never_gold).objects.filter(pk__in=[never_gold.pk, never_normal.pk]).update(
        created_at=timezone.now() - timedelta(days=200))
    _done_visit(late_diamond, 40, eng)
    _done_visit(fresh_diamond, 10, eng)
    _done_visit(fresh_gold, 60, eng)
    with django_assert_max_num_queries(3):
        report = {t.tier: t for t in selectors.coverage_report(timezone.now())}
    assert [r.customer for r in report["diamond"].overdue] == [late_diamond]
    assert report["diamond"].overdue[0].days_overdue == 10
    assert [r.customer for r in report["gold"].overdue] == [never_gold]
    assert new_gold not in [r.customer for r in report["gold"].overdue]
    assert report["normal"].overdue == [] and not report["normal"].tracked
    assert report["diamond"].customers == 2 and report["diamond"].covered == 1


def test_coverage_follows_the_editable_policy():
    eng = f.support_engineer()
    customer = f.CustomerFactory(tier="diamond")
    _done_visit(customer, 40, eng)
    VisitPolicy.objects.filter(tier="diamond").update(interval_days=60)
    report = {t.tier: t for t in selectors.coverage_report(timezone.now())}
    assert report["diamond"].overdue == []


def test_overdue_followups_lists_open_problems_past_their_date():
    with time_machine.travel(T0, tick=False):
        eng = f.support_engineer()
        visit = plan(by=eng)
        late = services.add_problem(visit_id=visit.pk, by=eng, description="late", owner_id=eng.pk,
                                    due_date=T0.date())
        services.add_problem(visit_id=visit.pk, by=eng, description="later", owner_id=eng.pk,
                             due_date=T0.date() + timedelta(days=10))
        services.add_problem(visit_id=visit.pk, by=eng, description="solved", solved_on_site=True)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert list(selectors.overdue_followups(timezone.now())) == [late]
