"""Who may do what to a ticket (docs/rules.md §3.6 "who" column, §3.5, R-EXPLAIN).

``by=None`` is the system itself (automatic dispatch, the deadline sweep) and may do anything
its caller asks. A superuser is the administrator role.
"""
from __future__ import annotations

from django.utils.translation import gettext as _

from staff.choices import RoomCode
from staff.models import User
from supportdesk.core.errors import NotPermitted

# action -> permission codename(s) of the tickets app (any one suffices)
_PERMS = {
    "dispatch": "dispatch_ticket",
    "override_lead_room": "dispatch_ticket",
    "match_customer": "dispatch_ticket",
    "create": "add_faultticket",
    "accept": "accept_ticket",
    "start_joint": "start_joint_ticket",
    "restore": "handle_ticket",
    "resolve": "handle_ticket",
    "progress": "handle_ticket",
    "assign_vendor": "handle_ticket",
    # R-SITE-5: the support-room manager, a centre leader, or monitoring on their behalf.
    "site_lead": ("approve_explanation", "flag_expedite", "dispatch_ticket"),
    "site_lead_exception": ("approve_explanation", "flag_expedite"),
    "confirm_cause": "handle_ticket",
    "add_joint_room": "start_joint_ticket",
    "customer_update": ("close_ticket", "handle_ticket"),
    "ask_help": ("handle_ticket", "record_arrival", "dispatch_ticket", "notify_rooms"),
    "site_member": "handle_ticket",
    "pre_arrival": "record_arrival",
    "arrival": "record_arrival",
    "close": "close_ticket",
    "cancel": "cancel_ticket",
    "reopen": "reopen_ticket",
    "refail": ("handle_ticket", "dispatch_ticket"),
    "phone": "notify_rooms",
    "dial_test": "notify_rooms",
    "broadcast": "publish_broadcast",
    "draft_explanation": "draft_explanation",
    "approve_explanation": "approve_explanation",
    "release_explanation": "draft_explanation",
    "expedite": "flag_expedite",
}

# Actions that only people of the rooms working on the ticket may take.
_ROOM_BOUND = {"accept", "restore", "resolve", "progress", "arrival", "pre_arrival", "site_member", "assign_vendor"}


# Decisions of our handling lead (R-SITE-3 / R-SITE-5) that a vendor engineer never takes.
_LEAD_DECIDES = {"assign_vendor", "site_lead", "site_member"}


def _room_ids(user: User) -> set[int]:
    cached = getattr(user, "_room_ids_cache", None)
    if cached is None:
        cached = set(user.memberships.values_list("room_id", flat=True))
        user._room_ids_cache = cached
    return cached


def _is_monitoring(user: User) -> bool:
    return user.has_perm("tickets.dispatch_ticket")


def _works_on(user: User, ticket) -> bool:
    """A member of an involved room, the on-site lead or someone on site, or the assigned vendor."""
    if ticket.site_lead_id == user.pk:
        return True
    rooms = _room_ids(user)
    if ticket.lead_room_id in rooms:
        return True
    if rooms & set(ticket.involvements.values_list("room_id", flat=True)):
        return True
    if user.vendor_id and user.vendor_id == ticket.vendor_id:
        return True
    return ticket.site_members.filter(user=user).exists()


def can(user: User | None, action: str, ticket=None) -> bool:
    if user is None:
        return True
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    perms = _PERMS.get(action)
    if perms is None:
        return False
    if isinstance(perms, str):
        perms = (perms,)
    if not any(user.has_perm(f"tickets.{p}") for p in perms):
        return False
    if ticket is None:
        return True
    if action == "accept":
        return ticket.lead_room_id in _room_ids(user)
    if action == "start_joint":
        # R-ESC-MANUAL: the lead room declares it cannot handle it; monitoring may too.
        return _is_monitoring(user) or ticket.lead_room_id in _room_ids(user)
    if action == "draft_explanation":
        # R-EXPLAIN: the on-site lead drafts; without one, the handling rooms do.
        if ticket.site_lead_id:
            return ticket.site_lead_id == user.pk
        return _works_on(user, ticket)
    if action == "release_explanation":
        # R-EXPLAIN: whoever may draft it (the on-site lead, or without one the handling rooms), or the manager.
        if user.has_perm("tickets.approve_explanation"):
            return True
        if ticket.site_lead_id:
            return ticket.site_lead_id == user.pk
        return _works_on(user, ticket)
    if action in _LEAD_DECIDES and user.is_vendor_engineer:
        # R-SITE-3: our handling lead sends vendors and decides who goes on site; vendors work under that lead.
        return False
    if action == "site_lead":
        return True  # R-SITE-5: the permission is the rule; self-naming is refused in the service
    if action == "confirm_cause":
        # R-ESC-3: the lead room records the cause as confirmed.
        return ticket.lead_room_id in _room_ids(user)
    if action == "add_joint_room":
        return _is_monitoring(user) or ticket.lead_room_id in _room_ids(user)
    if action == "customer_update":
        # R-CUST-UPDATE: the support room talks to the customer.
        return any(r.code == RoomCode.SERVICE_SUPPORT for r in user.rooms.all()) or user.has_perm(
            "tickets.approve_explanation")
    if action == "refail":
        # R-RESTORE-FIRST: monitoring, or the rooms handling the fault, say the service is down again.
        return _is_monitoring(user) or _works_on(user, ticket)
    if action == "close" and not _is_monitoring(user):
        # "monitoring / support": support-room people close.
        return any(r.code == RoomCode.SERVICE_SUPPORT for r in user.rooms.all()) or user.has_perm(
            "tickets.approve_explanation"
        )
    if action in _ROOM_BOUND:
        return _works_on(user, ticket)
    return True


def ensure_can(user: User | None, action: str, ticket=None) -> None:
    if not can(user, action, ticket):
        who = user.get_username() if user else "system"
        number = f" {ticket.number}" if ticket is not None else ""
        raise NotPermitted(_("%(who)s may not %(action)s ticket%(number)s") % {
            "who": who, "action": action, "number": number,
        })


def visible_tickets(user, qs):
    """Which tickets a person may read: vendor engineers only those their vendor is assigned to or where they
    are on site (R-SITE-3: they work under our lead, not across our customers); everyone else with the read
    permission sees all. API clients (no person) are held to their token's scopes instead."""
    from django.db.models import Exists, OuterRef, Q

    from .models import SiteMember

    if not isinstance(user, User) or user.is_superuser or not user.vendor_id:
        return qs
    on_site = Exists(SiteMember.objects.filter(ticket=OuterRef("pk"), user=user))
    return qs.filter(Q(vendor_id=user.vendor_id) | Q(site_lead=user) | on_site)
