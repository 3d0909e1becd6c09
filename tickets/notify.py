"""What the ticket services tell people, composed in zh-Hans and English, sent through staff.notify."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from staff import notify
from staff.choices import Role, RoomCode
from staff.models import DutyShift, Room, RoomMembership, User
from staff.notify import Message
from staff.notify.api import in_both_languages
from staff.selectors import duty_engineer
from supportdesk.core.rows import Columns, hot_cursor


def _link(ticket) -> str:
    return f"/tickets/{ticket.pk}/"


def room_people(room_ids) -> list[User]:
    return list(User.objects.filter(is_active=True, memberships__room_id__in=list(room_ids)).distinct())


def managers() -> list[User]:
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=Role.SUPPORT_MANAGER) | Q(groups__name=Role.CENTRE_LEADER))
        .distinct()
    )


def vendor_people(vendor_id) -> list[User]:
    return list(User.objects.filter(is_active=True, vendor_id=vendor_id))


def support_room_and_manager() -> list[User]:
    """R-DISPATCH-NORM with nobody on duty: every member of the support room and its manager."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(memberships__room__code="service_support") | Q(groups__name=Role.SUPPORT_MANAGER))
        .distinct()
    )


def involved_people(ticket) -> list[User]:
    room_ids = set(ticket.involvements.values_list("room_id", flat=True))
    if ticket.lead_room_id:
        room_ids.add(ticket.lead_room_id)
    people = room_people(room_ids)
    if ticket.vendor_id:
        people += list(User.objects.filter(is_active=True, vendor_id=ticket.vendor_id))
    return people


def outside_text(ticket, text: str) -> str:
    """R-CONF (docs/rules.md; seed 3.4-2): the text for a channel outside the centre — the customer's name, code
    and circuit replaced by the tier, so nothing about one customer reaches another."""
    secrets = []
    if ticket.customer_id:
        secrets += [ticket.customer.name, ticket.customer.code]
    if ticket.circuit_ref:
        secrets.append(ticket.circuit_ref)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _external(ticket, subject, body, subject_en, body_en) -> tuple[str, str, str, str]:
    return tuple(outside_text(ticket, t) for t in (subject, body, subject_en, body_en))


def _message(ticket, kind, recipients, subject_fn, body_fn, *, webhooks=False, sms=None) -> Message:
    subject, subject_en = in_both_languages(subject_fn)
    body, body_en = in_both_languages(body_fn)
    return Message(
        kind=kind, subject=subject, subject_en=subject_en, body=body, body_en=body_en,
        recipients=tuple(recipients), link=_link(ticket), ticket_number=ticket.number, webhooks=webhooks, sms=sms,
        external=_external(ticket, subject, body, subject_en, body_en),
    )


def _send(ticket, kind, recipients, subject_fn, body_fn, *, webhooks=False, sms=None):
    return notify.send_many([_message(ticket, kind, recipients, subject_fn, body_fn, webhooks=webhooks, sms=sms)])[0]


def _head(ticket) -> str:
    customer = ticket.customer.name if ticket.customer else _("未匹配客户")
    return f"{ticket.number} {customer}"


def notify_dispatch(ticket, *, rooms, duty_engineer=None, extra=(), people=None):
    """R-DISPATCH-IMP / R-DISPATCH-NORM: the lead room and the rooms that must stand by (and ``extra``: the
    vendor on standby, R-ESC-1, or the whole support room when nobody is on duty). ``people``: the rooms'
    members when the caller already read them (``people_of_normal_dispatch``)."""
    recipients = list(people) if people is not None else room_people([r.pk for r in rooms])
    if duty_engineer is not None:
        recipients.append(duty_engineer)
    seen = {u.pk for u in recipients}
    recipients += [u for u in extra if u.pk not in seen]
    return notify.send_many([dispatch_message(ticket, recipients)])[0]


def dispatch_message(ticket, recipients) -> Message:
    """The dispatch notification (R-DISPATCH-IMP / R-DISPATCH-NORM) to ``recipients``, not yet written."""
    kind = "dispatch_important" if ticket.important else "dispatch"
    return _message(
        ticket, kind, recipients,
        lambda: _("派单：%(head)s") % {"head": _head(ticket)},
        lambda: _("%(title)s。主导室：%(lead)s。请按职责处理。") % {
            "title": ticket.title, "lead": str(ticket.lead_room) if ticket.lead_room else "-",
        },
    )


def notify_vendor_standby(ticket, *, vendor):
    """R-ESC-1: the vendor assigned to an important customer's ticket after its dispatch is told to stand by."""
    return _send(
        ticket, "vendor_standby", vendor_people(vendor.pk),
        lambda: _("代维待命：%(head)s") % {"head": _head(ticket)},
        lambda: _("%(title)s。主导室：%(lead)s。请%(vendor)s立即待命。") % {
            "title": ticket.title, "lead": str(ticket.lead_room) if ticket.lead_room else "-", "vendor": vendor.name,
        },
    )


def notify_joint_started(ticket, *, rule: str, reason: str):
    """R-ESC-1 / R-ESC-3 / R-ESC-MANUAL: every involved room and the managers."""
    return _send(ticket, "escalation", involved_people(ticket) + managers(), *_joint_texts(ticket, rule, reason),
                 webhooks=True)


def _joint_texts(ticket, rule: str, reason: str):
    return (lambda: _("启动联合处理：%(head)s") % {"head": _head(ticket)},
            lambda: _("%(rule)s：%(reason)s") % {"rule": rule, "reason": reason})


def notify_arrival_breach(ticket, *, missing: list):
    """R-ESC-2: each missing arrival, to the managers."""
    return _send(ticket, "arrival_breach", managers() + involved_people(ticket), *_arrival_texts(ticket, missing),
                 webhooks=True)


def _arrival_texts(ticket, missing: list):
    return (
        lambda: _("未按时到场：%(head)s") % {"head": _head(ticket)},
        lambda: (_("故障发生 %(hours)s 小时仍未到场：%(rooms)s") % {
            "hours": f"{(ticket.policy.get('arrival_after') or 0) / 3600:g}",
            "rooms": _("、").join(str(m) for m in missing),
        }) if ticket.policy.get("arrival_after") else (
            # R-SITE-2: an expedited normal customer's ticket has an arrival row for its lead, not a tier's hours.
            _("到场时限已过：%(rooms)s") % {"rooms": _("、").join(str(m) for m in missing)}),
    )


def notify_broadcast(ticket, broadcast):
    """R-BCAST: involved rooms, managers and subscribed channels."""
    return notify.send_many([broadcast_message(ticket, broadcast, involved_people(ticket) + managers())])[0]


def broadcast_message(ticket, broadcast, recipients) -> Message:
    """R-BCAST: the broadcast's notification to ``recipients`` (involved rooms and managers) and the subscribed
    channels, not yet written; R-CONF: channels outside the centre get the text without the customer."""
    subject, subject_en = _broadcast_subjects(ticket, broadcast)
    return Message(
        kind="broadcast", subject=subject, subject_en=subject_en, body=broadcast.body, body_en=broadcast.body_en,
        recipients=tuple(recipients), link=_link(ticket), ticket_number=ticket.number, webhooks=True, sms=False,
        external=_external(ticket, subject, broadcast.body, subject_en, broadcast.body_en),
    )


def _broadcast_subjects(ticket, broadcast) -> tuple[str, str]:
    return in_both_languages(
        lambda: _("信息发布 %(number)s 第 %(seq)d 期") % {"number": ticket.number, "seq": broadcast.seq})


def people_of_dispatch(room_ids, *, vendor_id=None) -> tuple[list[User], list[User]]:
    """In one query, for an important customer's dispatch and its broadcast #1: (the people of the rooms and of
    the vendor — R-DISPATCH-IMP, R-ESC-1 standby —, the managers — R-BCAST)."""
    if connection.vendor == "postgresql":
        return _people_of_dispatch_sql(list(room_ids), vendor_id)
    in_rooms = Exists(RoomMembership.objects.filter(user=OuterRef("pk"), room_id__in=list(room_ids)))
    manager = Exists(User.groups.through.objects.filter(
        user=OuterRef("pk"), group__name__in=[Role.SUPPORT_MANAGER, Role.CENTRE_LEADER]))
    wanted = Q(in_rooms=True) | Q(manager=True)
    if vendor_id is not None:
        wanted |= Q(vendor_id=vendor_id)
    people = list(User.objects.filter(is_active=True).annotate(in_rooms=in_rooms, manager=manager).filter(wanted))
    concerned = [u for u in people if u.in_rooms or (vendor_id is not None and u.vendor_id == vendor_id)]
    return concerned, [u for u in people if u.manager]


def _people_of_dispatch_sql(room_ids: list[int], vendor_id) -> tuple[list[User], list[User]]:
    """``people_of_dispatch`` on PostgreSQL: the same people, read by a statement written once per process."""
    sql, columns = _people_sql()
    with hot_cursor() as cursor:
        cursor.execute(sql, {"rooms": room_ids, "vendor": vendor_id,
                             "roles": [Role.SUPPORT_MANAGER.value, Role.CENTRE_LEADER.value]})
        rows = cursor.fetchall()
    concerned, managers = [], []
    for row in rows:
        user, at = columns.build(row)
        user.in_rooms, user.manager = row[at:]
        if user.in_rooms or (vendor_id is not None and user.vendor_id == vendor_id):
            concerned.append(user)
        if user.manager:
            managers.append(user)
    return concerned, managers


@functools.cache
def _people_sql():
    columns = Columns(User, "u")
    groups = User.groups.through
    in_rooms = (f"EXISTS (SELECT 1 FROM {RoomMembership._meta.db_table} m "
                "WHERE m.user_id = u.id AND m.room_id = ANY(%(rooms)s::bigint[]))")
    manager = (f"EXISTS (SELECT 1 FROM {groups._meta.db_table} ug JOIN {Group._meta.db_table} g ON g.id = ug.group_id "
               "WHERE ug.user_id = u.id AND g.name = ANY(%(roles)s::text[]))")
    sql = (f"SELECT * FROM (SELECT {columns.sql}, {in_rooms} AS in_rooms, {manager} AS manager "
           f"FROM {User._meta.db_table} u WHERE u.is_active) u "
           "WHERE u.in_rooms OR u.manager OR (%(vendor)s::bigint IS NOT NULL AND u.vendor_id = %(vendor)s::bigint) "
           "ORDER BY u.id")
    return sql, columns


@dataclass
class NormalDispatchPeople:
    """Who R-DISPATCH-NORM tells: the lead room's members, the support room's duty engineer, and — only when
    nobody is on duty — every member of the support room and its manager (``support``)."""

    room_people: list
    duty_engineer: User | None
    support: list


def people_of_normal_dispatch(room_ids, at) -> NormalDispatchPeople:
    """R-DISPATCH-NORM's people in one query on PostgreSQL (written once per process), elsewhere as
    ``room_people``, ``staff.selectors.duty_engineer`` and ``support_room_and_manager`` read them."""
    room_ids = list(room_ids)
    if connection.vendor != "postgresql":
        duty = duty_engineer(RoomCode.SERVICE_SUPPORT, at)
        return NormalDispatchPeople(room_people(room_ids), duty, [] if duty else support_room_and_manager())
    sql, columns = _normal_people_sql()
    with hot_cursor() as cursor:
        cursor.execute(sql, {"rooms": room_ids, "at": at, "duty_room": RoomCode.SERVICE_SUPPORT.value,
                             "manager": Role.SUPPORT_MANAGER.value})
        rows = cursor.fetchall()
    found = NormalDispatchPeople([], None, [])
    for row in rows:
        user, at_col = columns.build(row)
        in_rooms, on_duty, support = row[at_col:]
        if in_rooms:
            found.room_people.append(user)
        if on_duty:
            found.duty_engineer = user
        if support:
            found.support.append(user)
    return found


@functools.cache
def _normal_people_sql():
    columns = Columns(User, "u")
    groups = User.groups.through
    member = RoomMembership._meta.db_table
    duty = (f"(SELECT s.user_id FROM {DutyShift._meta.db_table} s JOIN {Room._meta.db_table} r ON r.id = s.room_id "
            "WHERE r.code = %(duty_room)s AND s.starts_at <= %(at)s AND s.ends_at > %(at)s "
            "ORDER BY s.starts_at DESC, s.id DESC LIMIT 1)")
    in_rooms = f"EXISTS (SELECT 1 FROM {member} m WHERE m.user_id = u.id AND m.room_id = ANY(%(rooms)s::bigint[]))"
    support = (f"EXISTS (SELECT 1 FROM {member} m JOIN {Room._meta.db_table} r ON r.id = m.room_id "
               "WHERE m.user_id = u.id AND r.code = %(duty_room)s) "
               f"OR EXISTS (SELECT 1 FROM {groups._meta.db_table} ug JOIN {Group._meta.db_table} g "
               "ON g.id = ug.group_id WHERE ug.user_id = u.id AND g.name = %(manager)s)")
    sql = (f"WITH duty AS {duty} "
           f"SELECT * FROM (SELECT {columns.sql}, u.is_active AND {in_rooms} AS in_rooms, "
           "u.id IN (SELECT user_id FROM duty) AS on_duty, "
           f"u.is_active AND NOT EXISTS (SELECT 1 FROM duty) AND ({support}) AS support "
           f"FROM {User._meta.db_table} u) u WHERE u.in_rooms OR u.on_duty OR u.support ORDER BY u.id")
    return sql, columns


def notify_restore_proposed(ticket):
    return _send(
        ticket, "restore_proposed", room_people([ticket.lead_room_id]) if ticket.lead_room_id else [],
        lambda: _("告警已清除，请确认抢通：%(head)s") % {"head": _head(ticket)},
        lambda: _("该工单的告警已全部清除，请主导室确认业务是否恢复。"),
    )


def notify_explanation_submitted(ticket, explanation):
    return _send(
        ticket, "explanation_submitted", [u for u in managers() if u.groups.filter(name=Role.SUPPORT_MANAGER).exists()],
        lambda: _("故障解释待审核：%(head)s") % {"head": _head(ticket)},
        lambda: explanation.text,
    )


def notify_explanation_reviewed(ticket, explanation):
    return _send(
        ticket, "explanation_reviewed", [explanation.drafted_by],
        lambda: _("故障解释已审核：%(head)s") % {"head": _head(ticket)},
        lambda: f"{explanation.get_state_display()} {explanation.review_note}",
    )


# --------------------------------------------------------------------------- many tickets at once (the sweep)
def involved_people_of_many(tickets, involvements: dict[int, list]) -> dict[int, list[User]]:
    """``involved_people`` of each ticket of a batch in two queries (room members, vendor people);
    ``involvements`` are the tickets' ``TicketRoom`` rows, already read."""
    rooms: dict[int, set[int]] = {}
    for ticket in tickets:
        ids = {i.room_id for i in involvements.get(ticket.pk, ())}
        if ticket.lead_room_id:
            ids.add(ticket.lead_room_id)
        rooms[ticket.pk] = ids
    members: dict[int, list[User]] = {}
    all_rooms = set().union(*rooms.values()) if rooms else set()
    if all_rooms:
        for m in RoomMembership.objects.filter(room_id__in=all_rooms, user__is_active=True).select_related("user"):
            members.setdefault(m.room_id, []).append(m.user)
    vendors: dict[int, list[User]] = {}
    vendor_ids = {t.vendor_id for t in tickets if t.vendor_id}
    if vendor_ids:
        for user in User.objects.filter(is_active=True, vendor_id__in=vendor_ids):
            vendors.setdefault(user.vendor_id, []).append(user)
    people = {}
    for ticket in tickets:
        seen, users = set(), []
        for room_id in sorted(rooms[ticket.pk]):
            for user in members.get(room_id, ()):
                if user.pk not in seen:
                    seen.add(user.pk)
                    users.append(user)
        people[ticket.pk] = users + vendors.get(ticket.vendor_id, [])
    return people


def joint_started_message(ticket, *, rule: str, reason: str, recipients) -> Message:
    """``notify_joint_started`` as a message for ``notify.send_many`` (R-ESC-1 / R-ESC-3)."""
    return _message(ticket, "escalation", recipients, *_joint_texts(ticket, rule, reason), webhooks=True)


def arrival_breach_message(ticket, *, missing: list, recipients) -> Message:
    """``notify_arrival_breach`` as a message for ``notify.send_many`` (R-ESC-2)."""
    return _message(ticket, "arrival_breach", recipients, *_arrival_texts(ticket, missing), webhooks=True)
