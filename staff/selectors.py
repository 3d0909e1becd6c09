"""Questions about people and rooms."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from supportdesk.core.refcache import Reference

from .choices import RoomCode
from .models import DutyShift, Room, User


def room(code: str) -> Room:
    return Room.objects.get(code=code)


_ROOMS = Reference(lambda: {r.code: r for r in Room.objects.all()}, Room)


def rooms_by_code(codes) -> dict[str, Room]:
    """The rooms of these codes (kept in the process, ``supportdesk.core.refcache``: read once, not per alarm)."""
    rooms = _ROOMS.get()
    return {c: rooms[c] for c in codes if c in rooms}


def room_by_code(code: str) -> Room | None:
    return _ROOMS.get().get(code)


def duty_engineer(room_code: str = RoomCode.SERVICE_SUPPORT, at: datetime | None = None) -> User | None:
    """Who is on duty in the room at ``at`` (R-DISPATCH-NORM); the latest-starting shift wins."""
    at = at or timezone.now()
    shift = (
        DutyShift.objects.select_related("user")
        .filter(room__code=room_code, starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at")
        .first()
    )
    return shift.user if shift else None


def room_members(room_code: str):
    return User.objects.filter(is_active=True, memberships__room__code=room_code)


def is_member(user: User, room_id: int | None) -> bool:
    if user is None or room_id is None:
        return False
    return user.memberships.filter(room_id=room_id).exists()
