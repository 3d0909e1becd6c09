"""docs/rules.md §1: roles are Django groups carrying real permissions; the duty roster names who is on duty."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from staff.choices import Role, RoomCode
from staff.roles import ROLE_PERMISSIONS, sync_roles
from staff.selectors import duty_engineer
from tests import factories as f

pytestmark = pytest.mark.django_db


def _names(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def _existing() -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}


def test_every_role_has_a_group_after_migrate():
    """docs/rules.md §1: every role of the spec exists as a group once the schema is migrated."""
    assert set(Role.values) <= set(Group.objects.values_list("name", flat=True))
    assert set(ROLE_PERMISSIONS) == set(Role.values)


@pytest.mark.parametrize("role", [r for r in Role.values if ROLE_PERMISSIONS[r] != ["*"]])
def test_each_role_group_holds_exactly_the_listed_permissions(role):
    """docs/rules.md §1: each role's group carries the permissions staff/roles.py lists, no more, no fewer."""
    listed = set(ROLE_PERMISSIONS[role])
    missing = listed - _existing()
    assert not missing, f"{role} lists permissions that no model defines: {sorted(missing)}"
    assert _names(Group.objects.get(name=role)) == listed


def test_the_administrator_holds_every_permission():
    """docs/rules.md §1: the administrator role may do everything."""
    assert _names(Group.objects.get(name=Role.ADMINISTRATOR)) == _existing()


def test_sync_roles_restores_a_tampered_group_and_is_idempotent():
    """docs/rules.md §1: syncing the roles again puts back what was removed and adds nothing else."""
    group = Group.objects.get(name=Role.MONITORING_OPERATOR)
    group.permissions.clear()
    group.permissions.add(Permission.objects.get(codename="approve_explanation"))
    sync_roles()
    sync_roles()
    assert _names(group) == set(ROLE_PERMISSIONS[Role.MONITORING_OPERATOR])


def test_role_permissions_reach_the_user():
    """docs/rules.md §1: a user holding a role has its permissions (and not another role's)."""
    op = f.monitoring_operator()
    manager = f.support_manager()
    assert op.has_perm("tickets.dispatch_ticket") and not op.has_perm("tickets.approve_explanation")
    assert manager.has_perm("tickets.approve_explanation") and not manager.has_perm("tickets.dispatch_ticket")


# --------------------------------------------------------------------------- duty roster
def test_duty_engineer_is_the_one_whose_shift_covers_now():
    """R-DISPATCH-NORM: the support room's duty engineer is the one on shift now."""
    now = timezone.now()
    past, current, future = f.support_engineer(), f.support_engineer(), f.support_engineer()
    f.DutyShiftFactory(user=past, starts_at=now - timedelta(hours=16), ends_at=now - timedelta(hours=8))
    f.DutyShiftFactory(user=current, starts_at=now - timedelta(hours=8), ends_at=now + timedelta(minutes=1))
    f.DutyShiftFactory(user=future, starts_at=now + timedelta(minutes=1), ends_at=now + timedelta(hours=8))
    assert duty_engineer(RoomCode.SERVICE_SUPPORT) == current
    assert duty_engineer(RoomCode.SERVICE_SUPPORT, now + timedelta(hours=1)) == future
    assert duty_engineer(RoomCode.SERVICE_SUPPORT, now - timedelta(hours=10)) == past


def test_a_shift_ends_at_its_end_time():
    """R-DISPATCH-NORM: at the shift's end the next shift takes over (end exclusive, start inclusive)."""
    now = timezone.now()
    early, late = f.support_engineer(), f.support_engineer()
    f.DutyShiftFactory(user=early, starts_at=now - timedelta(hours=8), ends_at=now)
    f.DutyShiftFactory(user=late, starts_at=now, ends_at=now + timedelta(hours=8))
    assert duty_engineer(RoomCode.SERVICE_SUPPORT, now) == late
    assert duty_engineer(RoomCode.SERVICE_SUPPORT, now - timedelta(seconds=1)) == early


def test_the_latest_starting_overlapping_shift_wins():
    """R-DISPATCH-NORM: overlapping shifts (a hand-over): the one that started last is on duty."""
    now = timezone.now()
    day, cover = f.support_engineer(), f.support_engineer()
    f.DutyShiftFactory(user=day, starts_at=now - timedelta(hours=6), ends_at=now + timedelta(hours=6))
    f.DutyShiftFactory(user=cover, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    assert duty_engineer(RoomCode.SERVICE_SUPPORT, now) == cover


def test_no_shift_means_no_duty_engineer_and_rooms_do_not_mix():
    """R-DISPATCH-NORM: nobody on shift → None; another room's shift does not count."""
    now = timezone.now()
    assert duty_engineer(RoomCode.SERVICE_SUPPORT, now) is None
    f.DutyShiftFactory(user=f.room_engineer("transport"), room=f.room(RoomCode.TRANSPORT))
    assert duty_engineer(RoomCode.SERVICE_SUPPORT, now) is None
    assert duty_engineer(RoomCode.TRANSPORT, now) is not None
