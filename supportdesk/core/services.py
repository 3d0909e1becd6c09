"""Plumbing every service shares: lock a row, refuse a stale version, bump the version, record an event,
check a permission, refuse a time in the future.

The order a write follows (STYLE.md): ``lock_row`` → permission on the locked object → FSM → ``save_versioned``
→ ``record_event``, all in one ``transaction.atomic``. Each app wraps these in its own names
(``tickets.services._common.lock_ticket``, ``visits.services._common.lock_visit``) to fix the model and
the wording of its messages.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from .errors import Conflict, NotFound, NotPermitted


def actor_label(by, via: str = "") -> str:
    """Who did it, as the event log shows it: the username, else the channel (``api:noc``), else ``system``."""
    if by is not None:
        return by.get_username()
    return via or "system"


def lock_row(queryset: models.QuerySet, pk, *, expected_version: int | None = None,
             not_found: str = "", conflict: str = ""):
    """Lock the row for this transaction (``select_for_update`` of the row itself); refuse a caller who saw an
    older ``version``. ``not_found`` / ``conflict`` are the messages (``conflict`` is formatted with ``obj``,
    ``version`` and ``expected``)."""
    try:
        obj = queryset.select_for_update(of=("self",)).get(pk=pk)
    except queryset.model.DoesNotExist:
        raise NotFound(not_found or f"{queryset.model._meta.model_name} {pk} does not exist") from None
    check_row_version(obj, expected_version, conflict=conflict)
    return obj


def check_row_version(obj: models.Model, expected_version: int | None, *, conflict: str = "") -> None:
    """Refuse a caller who saw an older ``version``. A service that checks permission on the locked row calls
    ``lock_row`` without ``expected_version`` and this after the permission check: a 403 reveals nothing."""
    if expected_version is not None and obj.version != expected_version:
        raise Conflict((conflict or "{obj} changed under you: version {version}, you had {expected}").format(
            obj=obj, version=obj.version, expected=expected_version))


def save_versioned(obj: models.Model, *fields: str) -> None:
    """Save (the given fields, or the whole row) and bump ``version`` (optimistic locking). Call it with the
    row locked (``lock_row``)."""
    obj.version += 1
    if fields:
        update = {"version", *fields}
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            update.add("updated_at")
        obj.save(update_fields=sorted(update))
    else:
        obj.save()


def event_row(event_model: type[models.Model], *, by=None, via: str = "", at: datetime | None = None,
              data: dict | None = None, **fields):
    """One immutable event (``supportdesk.core.events.EventRecord``), not yet written: ``fields`` name the subject
    (``ticket=...``/``visit=...``), ``kind``, ``from_state``, ``to_state``, ``note``. For a path that writes its
    events in one ``INSERT``; ``record_event`` writes it at once."""
    return event_model(at=at or timezone.now(), actor=by, actor_label=actor_label(by, via), data=data or {}, **fields)


def record_event(event_model: type[models.Model], **fields):
    """Append one immutable event: ``event_row`` written now."""
    row = event_row(event_model, **fields)
    row.save(force_insert=True)
    return row


def ensure_perm(user, perm: str, *, message: str = "") -> None:
    """``user=None`` is the system itself; a person needs to be active and hold ``perm``."""
    if user is None:
        return
    if not user.is_active or not user.has_perm(perm):
        raise NotPermitted(message or f"{user.get_username()} may not: {perm}")


def in_future(at: datetime, *, now: datetime | None = None) -> bool:
    """Later than now plus the tolerated clock skew (``settings.CLOCK_SKEW``)."""
    return at > (now or timezone.now()) + settings.CLOCK_SKEW
