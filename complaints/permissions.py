"""Who may do what to a complaint (R-CMP-FLOW, R-CMP-REPEAT).

``by=None`` is the system (an API client without an acting user, the sweep, a fault restored).
"""
from __future__ import annotations

from staff.models import User

from .errors import NotPermitted

_PERMS = {
    "create": "complaints.add_complaint",
    "sort": "complaints.sort_complaint",
    "analyse": "complaints.work_complaint",
    "handle": "complaints.work_complaint",
    "reply": "complaints.work_complaint",
    "close": "complaints.close_complaint",
    "reopen": "complaints.close_complaint",
    "opinion": "complaints.record_opinion",
    "view": "complaints.view_complaint",
}


def can(user: User | None, action: str, complaint=None) -> bool:
    if user is None:
        return True
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if action == "opinion" and complaint is not None and complaint.route_id and complaint.route.leader_id == user.pk:
        return True  # R-CMP-REPEAT: the responsible room's leader
    perm = _PERMS.get(action)
    return bool(perm) and user.has_perm(perm)


def ensure_can(user: User | None, action: str, complaint=None) -> None:
    if not can(user, action, complaint):
        number = f" {complaint.number}" if complaint is not None else ""
        raise NotPermitted(f"{user.get_username()} may not {action} complaint{number}")
