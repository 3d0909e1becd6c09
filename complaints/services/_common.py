"""Plumbing shared by the complaint services: locking, versions and the event log."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from staff.models import User

from ..errors import Conflict, NotFound
from ..models import Complaint, ComplaintEvent


def actor_label(by: User | None, via: str = "") -> str:
    if by is not None:
        return by.get_username()
    return via or "system"


def lock_complaint(complaint_id: int, *, expected_version: int | None = None) -> Complaint:
    try:
        complaint = (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("customer", "circuit", "route", "fault_ticket")
            .get(pk=complaint_id)
        )
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"complaint {complaint_id} does not exist") from None
    if expected_version is not None and complaint.version != expected_version:
        raise Conflict(
            f"complaint {complaint.number} changed under you: version {complaint.version}, you had {expected_version}"
        )
    return complaint


def save_complaint(complaint: Complaint, *fields: str) -> None:
    complaint.version += 1
    if fields:
        complaint.save(update_fields=sorted({"version", "updated_at", *fields}))
    else:
        complaint.save()


def record_event(
    complaint: Complaint, *, kind: str, by: User | None = None, via: str = "", from_stage: str = "",
    to_stage: str = "", note: str = "", data: dict | None = None, at: datetime | None = None,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint, at=at or timezone.now(), actor=by, actor_label=actor_label(by, via), kind=kind,
        from_state=from_stage, to_state=to_stage, note=note, data=data or {},
    )
