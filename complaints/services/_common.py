"""Plumbing shared by the complaint services: the core helpers (``supportdesk.core.services``) fixed to the
complaint model and its wording."""
from __future__ import annotations

from datetime import datetime

from staff.models import User
from supportdesk.core import services as core

from ..models import Complaint, ComplaintEvent

actor_label = core.actor_label


def lock_complaint(complaint_id: int, *, expected_version: int | None = None) -> Complaint:
    """Lock the complaint row for this transaction; refuse a caller who saw an older version."""
    return core.lock_row(
        Complaint.objects.select_related("customer", "circuit", "route", "fault_ticket"), complaint_id,
        expected_version=expected_version, not_found=f"complaint {complaint_id} does not exist",
        conflict="complaint {obj.number} changed under you: version {version}, you had {expected}",
    )


def save_complaint(complaint: Complaint, *fields: str) -> None:
    core.save_versioned(complaint, *fields)


def record_event(
    complaint: Complaint, *, kind: str, by: User | None = None, via: str = "", from_stage: str = "",
    to_stage: str = "", note: str = "", data: dict | None = None, at: datetime | None = None,
) -> ComplaintEvent:
    return core.record_event(ComplaintEvent, complaint=complaint, kind=kind, by=by, via=via, at=at, data=data,
                             from_state=from_stage, to_state=to_stage, note=note)
