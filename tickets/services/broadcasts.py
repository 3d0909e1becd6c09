"""Status broadcasts (信息发布, R-BCAST): composition and publication."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from staff.models import User

from ..choices import BroadcastKind, EventKind
from ..models import Broadcast, FaultTicket, ProgressNote
from ..notify import notify_broadcast
from ._common import record_event


def _duration(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(max(minutes, 0), 60)
    return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}


def compose(ticket: FaultTicket, *, at: datetime, since: datetime | None, next_at: datetime | None,
            kind: str, language: str) -> str:
    """The text of one broadcast in ``language``: who, how long, state, each room's progress, arrivals."""
    with translation.override(language):
        involvements = list(ticket.involvements.select_related("room"))
        notes = {}
        for note in ProgressNote.objects.filter(ticket=ticket).select_related("room").order_by("at"):
            notes[note.room_id] = note
        arrived = {a.room_id for a in ticket.arrivals.filter(round=ticket.round)}
        lines = []
        if kind == BroadcastKind.FINAL:
            lines.append(_("【结束通报】故障已%(state)s。") % {"state": ticket.get_state_display()})
        customer = (
            _("%(name)s（%(tier)s）") % {"name": ticket.customer.name, "tier": ticket.customer.get_tier_display()}
            if ticket.customer else _("未匹配客户")
        )
        lines.append(_("工单 %(number)s：%(customer)s，电路 %(circuit)s。") % {
            "number": ticket.number, "customer": customer, "circuit": ticket.circuit_ref or "-",
        })
        lines.append(_("故障已历时 %(duration)s，当前状态：%(state)s。") % {
            "duration": _duration(at - ticket.occurred_at), "state": ticket.get_state_display(),
        })
        for inv in involvements:
            note = notes.get(inv.room_id)
            if note is not None and (since is None or note.at > since):
                progress = note.text
            else:
                progress = _("自上次发布以来无更新")
            arrival = ""
            if inv.must_arrive:
                arrival = _("（已到场）") if inv.room_id in arrived else _("（未到场）")
            lines.append(_("- %(room)s%(arrival)s：%(progress)s") % {
                "room": inv.room, "arrival": arrival, "progress": progress,
            })
        if next_at is not None and kind != BroadcastKind.FINAL:
            lines.append(_("下次发布时间：%(at)s。") % {"at": timezone.localtime(next_at).strftime("%Y-%m-%d %H:%M")})
        return "\n".join(lines)


def publish(
    ticket: FaultTicket,
    *,
    kind: str,
    at: datetime | None = None,
    by: User | None = None,
    via: str = "",
    slot: int | None = None,
    slot_due_at: datetime | None = None,
    missed_slots: int = 0,
    next_at: datetime | None = None,
) -> Broadcast:
    """Publish the next-numbered broadcast of the ticket. Call with the ticket row locked."""
    at = at or timezone.now()
    previous = ticket.broadcasts.order_by("-seq").first()
    since = previous.at if previous else None
    seq = (ticket.broadcasts.aggregate(m=Max("seq"))["m"] or 0) + 1
    broadcast = Broadcast.objects.create(
        ticket=ticket, seq=seq, kind=kind, at=at, slot=slot, slot_due_at=slot_due_at, missed_slots=missed_slots,
        body=compose(ticket, at=at, since=since, next_at=next_at, kind=kind, language="zh-hans"),
        body_en=compose(ticket, at=at, since=since, next_at=next_at, kind=kind, language="en"),
        published_by=by,
    )
    record_event(ticket, kind=EventKind.BROADCAST, by=by, via=via, at=at,
                 note=f"#{seq}", data={"seq": seq, "kind": kind, "missed_slots": missed_slots})
    notify_broadcast(ticket, broadcast)
    return broadcast
