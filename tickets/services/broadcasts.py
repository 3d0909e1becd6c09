"""Status broadcasts (信息发布, R-BCAST): composition and publication."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from staff.models import User

from ..choices import BroadcastKind, EventKind
from ..models import Arrival, Broadcast, Deadline, FaultTicket, ProgressNote, TicketEvent, TicketRoom
from ..notify import notify_broadcast
from . import deadlines
from ._common import actor_label, record_event


def _duration(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(max(minutes, 0), 60)
    return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}


def _people(users) -> str:
    return _("、").join(sorted({u.get_full_name() or u.get_username() for u in users}))


@dataclass
class Facts:
    """What a broadcast's text is made of, read once: the involved rooms, the progress notes (oldest first) and
    the check-ins of the ticket's round."""

    involvements: list[TicketRoom]
    notes: list[ProgressNote]
    arrivals: list[Arrival]


def facts_of(ticket: FaultTicket) -> Facts:
    return Facts(
        involvements=list(ticket.involvements.select_related("room")),
        notes=list(ProgressNote.objects.filter(ticket=ticket).select_related("room", "author").order_by("at")),
        arrivals=list(ticket.arrivals.filter(round=ticket.round).select_related("user")),
    )


def facts_of_many(tickets: list[FaultTicket]) -> dict[int, Facts]:
    """``facts_of`` for many tickets in three queries (the sweep's batches)."""
    ids = [t.pk for t in tickets]
    facts = {t.pk: Facts([], [], []) for t in tickets}
    rounds = {t.pk: t.round for t in tickets}
    for inv in TicketRoom.objects.filter(ticket_id__in=ids).select_related("room"):
        facts[inv.ticket_id].involvements.append(inv)
    for note in ProgressNote.objects.filter(ticket_id__in=ids).select_related("room", "author").order_by("at", "pk"):
        facts[note.ticket_id].notes.append(note)
    for arrival in Arrival.objects.filter(ticket_id__in=ids).select_related("user"):
        if arrival.round == rounds[arrival.ticket_id]:
            facts[arrival.ticket_id].arrivals.append(arrival)
    return facts


def compose(ticket: FaultTicket, *, at: datetime, since: datetime | None, next_at: datetime | None,
            kind: str, language: str, operator_text: str = "", internal: bool = True,
            facts: Facts | None = None) -> str:
    """The text of one broadcast in ``language``.

    R-BCAST (b): every involved room **and** the vendor, the lead room marked, who is on site; (c) the
    operator's own text on a manual broadcast; (d) every template is checked for doubled words in both
    languages (tests/rules/test_broadcast_wording.py). R-CONF: with ``internal=False`` (a channel outside the
    centre) the customer's name and circuit are left out: ticket number, tier, state and progress only.

    ``facts``: what the text is made of, when the caller holds it (the sweep's batches read it for many tickets;
    a ticket opened in this transaction has only its rooms: ``Facts(involvements, [], [])``, nothing is read).
    """
    facts = facts or facts_of(ticket)
    with translation.override(language):
        involvements = facts.involvements
        notes, vendor_note = {}, None
        for note in facts.notes:
            if note.room_id:
                notes[note.room_id] = note
            elif note.author is not None and ticket.vendor_id and note.author.vendor_id == ticket.vendor_id:
                vendor_note = note
        arrivals = facts.arrivals
        on_site_by_room: dict[int, list] = {}
        for a in arrivals:
            if a.room_id:
                on_site_by_room.setdefault(a.room_id, []).append(a.user)

        def progress_of(note):
            if note is not None and (since is None or note.at > since):
                return note.text
            return _("自上次发布以来无更新")

        lines = []
        if kind == BroadcastKind.FINAL:
            lines.append(_("【结束通报】故障%(state)s。") % {"state": ticket.get_state_display()})
        elif kind == BroadcastKind.DISPATCH:
            lines.append(_("【派单通报】重要客户故障已派单，主导室：%(lead)s。") % {
                "lead": ticket.lead_room if ticket.lead_room else "-"})
        elif kind == BroadcastKind.MANUAL:
            lines.append(_("【人工发布】"))
        if internal:
            customer = (
                _("%(name)s（%(tier)s）") % {"name": ticket.customer.name, "tier": ticket.customer.get_tier_display()}
                if ticket.customer else _("未匹配客户")
            )
            lines.append(_("工单 %(number)s：%(customer)s，电路 %(circuit)s。") % {
                "number": ticket.number, "customer": customer, "circuit": ticket.circuit_ref or "-",
            })
        else:
            lines.append(_("工单 %(number)s：%(tier)s客户。") % {
                "number": ticket.number, "tier": ticket.get_tier_display()})
        lines.append(_("故障已历时 %(duration)s，当前状态：%(state)s。") % {
            "duration": _duration(at - ticket.occurred_at), "state": ticket.get_state_display(),
        })
        for inv in involvements:
            marks = []
            if inv.room_id == ticket.lead_room_id:
                marks.append(_("主导"))
            if inv.must_arrive or inv.room_id in on_site_by_room:
                marks.append(_("已到场") if inv.room_id in on_site_by_room else _("未到场"))
            mark = _("（%(marks)s）") % {"marks": _("，").join(str(m) for m in marks)} if marks else ""
            lines.append(_("- %(room)s%(mark)s：%(progress)s") % {
                "room": inv.room, "mark": mark, "progress": progress_of(notes.get(inv.room_id)),
            })
        if ticket.vendor_id:
            vendor_here = any(a.vendor_id == ticket.vendor_id for a in arrivals)
            lines.append(_("- 代维 %(vendor)s（%(arrived)s）：%(progress)s") % {
                "vendor": ticket.vendor.name, "arrived": _("已到场") if vendor_here else _("未到场"),
                "progress": progress_of(vendor_note),
            })
        here = [a.user for a in arrivals]
        if ticket.site_lead_id or here:
            lead = ticket.site_lead
            lines.append(_("现场负责人：%(lead)s；在现场：%(people)s。") % {
                "lead": (lead.get_full_name() or lead.get_username()) if lead else _("未指定"),
                "people": _people(here) if here else _("无"),
            })
        if operator_text:
            lines.append(_("监控室说明：%(text)s") % {"text": operator_text})
        if next_at is not None and kind != BroadcastKind.FINAL:
            lines.append(_("下次发布时间：%(at)s。") % {"at": timezone.localtime(next_at).strftime("%Y-%m-%d %H:%M")})
        return "\n".join(lines)


def first_of_new_ticket(ticket: FaultTicket, *, kind: str, at: datetime, by: User | None,
                        involvements: list) -> Broadcast:
    """Broadcast #1 of a ticket opened in this transaction (R-BCAST (a) at an important customer's dispatch),
    composed from memory and not yet written: the caller inserts it, its event and its customer-update deadline
    (R-CUST-UPDATE) with the ticket's other rows."""
    # As ``ticket.involvements`` orders them; a new ticket has no progress note and no arrival: nothing is read.
    facts = Facts(sorted(involvements, key=lambda inv: inv.room_id), [], [])
    return Broadcast(
        ticket=ticket, seq=1, kind=kind, at=at, missed_slots=0, published_by=by,
        body=compose(ticket, at=at, since=None, next_at=None, kind=kind, language="zh-hans", facts=facts),
        body_en=compose(ticket, at=at, since=None, next_at=None, kind=kind, language="en", facts=facts),
    )


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
    operator_text: str = "",
) -> Broadcast:
    """Publish the next-numbered broadcast of the ticket. Call with the ticket row locked."""
    at = at or timezone.now()
    previous = ticket.broadcasts.order_by("-seq").first()
    since = previous.at if previous else None
    seq = (ticket.broadcasts.aggregate(m=Max("seq"))["m"] or 0) + 1
    broadcast = Broadcast.objects.create(
        ticket=ticket, seq=seq, kind=kind, at=at, slot=slot, slot_due_at=slot_due_at, missed_slots=missed_slots,
        body=compose(ticket, at=at, since=since, next_at=next_at, kind=kind, language="zh-hans",
                     operator_text=operator_text),
        body_en=compose(ticket, at=at, since=since, next_at=next_at, kind=kind, language="en",
                        operator_text=operator_text),
        published_by=by,
    )
    record_event(ticket, kind=EventKind.BROADCAST, by=by, via=via, at=at,
                 note=f"#{seq}", data={"seq": seq, "kind": kind, "missed_slots": missed_slots})
    deadlines.schedule_customer_update(ticket, after=at, sequence=seq)  # R-CUST-UPDATE
    notify_broadcast(ticket, broadcast)
    return broadcast


@dataclass
class Publication:
    """One scheduled broadcast a sweep batch publishes (R-BCAST): the slot it answers, if any."""

    ticket: FaultTicket
    next_at: datetime | None
    slot: int | None = None
    slot_due_at: datetime | None = None
    missed_slots: int = 0
    kind: str = BroadcastKind.SCHEDULED


def publish_many(items: list[Publication], *, at: datetime, via: str, facts: dict[int, Facts],
                 events: list[TicketEvent], deadline_rows: list[Deadline]) -> list[Broadcast]:
    """``publish`` for the tickets of a sweep batch (each locked, each at most once): one query for the tickets'
    previous broadcasts, one INSERT of the broadcasts. Their events and the R-CUST-UPDATE rows are appended to
    ``events`` and ``deadline_rows`` for the caller's own INSERTs; the caller notifies (``notify.broadcast_message``).
    """
    if not items:
        return []
    last: dict[int, tuple[int, datetime]] = {}
    for ticket_id, seq, when in Broadcast.objects.filter(
            ticket_id__in=[i.ticket.pk for i in items]).values_list("ticket_id", "seq", "at"):
        if ticket_id not in last or seq > last[ticket_id][0]:
            last[ticket_id] = (seq, when)
    rows = []
    for item in items:
        ticket = item.ticket
        seq, since = last.get(ticket.pk, (0, None))
        seq += 1
        text = dict(at=at, since=since, next_at=item.next_at, kind=item.kind, facts=facts[ticket.pk])
        rows.append(Broadcast(
            ticket=ticket, seq=seq, kind=item.kind, at=at, slot=item.slot, slot_due_at=item.slot_due_at,
            missed_slots=item.missed_slots, body=compose(ticket, language="zh-hans", **text),
            body_en=compose(ticket, language="en", **text),
        ))
        events.append(TicketEvent(ticket=ticket, kind=EventKind.BROADCAST, at=at, actor=None,
                                  actor_label=actor_label(None, via), note=f"#{seq}",
                                  data={"seq": seq, "kind": item.kind, "missed_slots": item.missed_slots}))
        row = deadlines.customer_update_row(ticket, after=at, sequence=seq)  # R-CUST-UPDATE
        if row is not None:
            deadline_rows.append(row)
    return Broadcast.objects.bulk_create(rows)
