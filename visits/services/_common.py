"""Plumbing shared by the visit services: permission, locking, the event log, input checks."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import User
from supportdesk.core import timebounds
from supportdesk.core.errors import TransitionNotAllowed, raise_field_errors
from supportdesk.core.services import ensure_perm, lock_row, record_event, save_versioned

from ..choices import (
    VisitState,
)
from ..models import (
    Visit,
    VisitEvent,
)

log = logging.getLogger(__name__)

MAX_REVIEWERS = 2


# --------------------------------------------------------------------------- plumbing
def ensure_may(user: User | None, perm: str, visit: Visit | None = None) -> None:
    """``by=None`` is the system itself; people need the visits permission (staff/roles.py). Services call it
    after locking the visit, with it, so a missing visit is a 404 whoever asks (as for tickets)."""
    if user is not None:
        ensure_perm(user, f"visits.{perm}", message=_("%(who)s 没有权限：%(perm)s") % {"who": user.get_username(), "perm": perm})


def _lock(visit_id: int, *, expected_version: int | None = None) -> Visit:
    """Lock the visit for this transaction; refuse a caller who saw an older version (two people editing)."""
    return lock_row(
        Visit.objects.select_related("customer"), visit_id, expected_version=expected_version,
        not_found=_("拜访 %(id)s 不存在") % {"id": visit_id},
        conflict=_("拜访 {obj.number} 已被他人修改（当前版本 {version}，您看到的是 {expected}），请刷新后再改"),
    )


def _save(visit: Visit, *fields: str) -> None:
    """Save the locked visit and bump its version."""
    save_versioned(visit, *fields)


def _record(
    visit: Visit,
    *,
    kind: str,
    by: User | None,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> VisitEvent:
    return record_event(VisitEvent, visit=visit, kind=kind, by=by, note=note, from_state=from_state,
                        to_state=to_state, data=data, at=at)


def _fail(errors: dict[str, list[str]]) -> None:
    raise_field_errors(errors)


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def _aware(value, field: str, errors: dict, *, required: bool = True, not_future: bool = False) -> datetime | None:
    if value is None:
        if required:
            errors.setdefault(field, []).append(_("必填"))
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors.setdefault(field, []).append(_("须为带时区的时间"))
        return None
    message = timebounds.problem(value, planned=not not_future)
    if message:
        errors.setdefault(field, []).append(message)
        return None
    return value


def _user(user_id, field: str, errors: dict) -> User | None:
    if user_id in (None, ""):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        errors.setdefault(field, []).append(_("用户 %(id)s 不存在或已停用") % {"id": user_id})
    return user


def _require_upcoming(visit: Visit, what: str) -> None:
    if not visit.is_upcoming:
        raise TransitionNotAllowed(
            _("拜访 %(number)s 已%(state)s，不能%(what)s")
            % {"number": visit.number, "state": visit.get_state_display(), "what": what},
            code="visit_state", params={"number": visit.number, "state": visit.get_state_display(), "action": what},
        )


def _require_not_cancelled(visit: Visit, what: str) -> None:
    if visit.state == VisitState.CANCELLED:
        raise TransitionNotAllowed(_("拜访 %(number)s 已取消，不能%(what)s") % {"number": visit.number, "what": what},
                                   code="visit_cancelled", params={"number": visit.number, "action": what})


def _number(visit: Visit) -> str:
    return f"V{timezone.localtime(visit.created_at):%Y%m%d}-{visit.pk:06d}"
