"""Roles as Django groups with real permissions (docs/rules.md §1).

``sync_roles()`` is idempotent; it runs after every ``migrate`` and from ``seed_demo``.
"""
from django.contrib.auth.models import Group, Permission

from .choices import Role

_C = "customers."
_T = "tickets."
_V = "visits."
_CMP = "complaints."
_VIEW_CMP = [_CMP + p for p in ("view_complaint", "view_reply", "view_complaintdeadline", "view_complaintevent")]
_WORK_CMP = [_CMP + p for p in ("add_complaint", "sort_complaint", "work_complaint", "close_complaint")]
_VIEW_TICKETS = [
    _T + p
    for p in (
        "view_faultticket", "view_alarm", "view_deadline",
        "view_escalation", "view_broadcast", "view_arrival", "view_progressnote", "view_ticketevent",
        "view_explanation", "view_phonenotification", "view_dialtest",
    )
] + [_C + p for p in ("view_customer", "view_circuit", "view_escalationpolicy", "view_site", "view_contact")]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.MONITORING_OPERATOR: _VIEW_TICKETS + [
        _T + "dispatch_ticket", _T + "start_joint_ticket", _T + "cancel_ticket", _T + "reopen_ticket",
        _T + "close_ticket", _T + "notify_rooms", _T + "publish_broadcast", _T + "view_dashboard",
        _T + "add_faultticket",
    ] + _VIEW_CMP + _WORK_CMP,
    Role.ROOM_ENGINEER: _VIEW_TICKETS + [
        _T + "accept_ticket", _T + "start_joint_ticket", _T + "handle_ticket", _T + "record_arrival",
        _T + "draft_explanation",
    ] + _VIEW_CMP + [_CMP + "work_complaint"],
    Role.SUPPORT_ENGINEER: _VIEW_TICKETS + [
        _T + "accept_ticket", _T + "start_joint_ticket", _T + "handle_ticket", _T + "record_arrival",
        _T + "draft_explanation", _T + "close_ticket", _T + "notify_rooms", _T + "add_faultticket",
        _V + "add_visit", _V + "change_visit", _V + "view_visit",
    ] + _VIEW_CMP + _WORK_CMP,
    Role.VENDOR_ENGINEER: [_T + "view_faultticket", _T + "handle_ticket", _T + "record_arrival"],
    Role.SUPPORT_MANAGER: _VIEW_TICKETS + [
        _T + "approve_explanation", _T + "draft_explanation", _T + "close_ticket", _T + "view_dashboard",
        _T + "handle_ticket", _T + "accept_ticket", _T + "start_joint_ticket", _T + "record_arrival",
        _T + "add_faultticket", _V + "add_visit", _V + "change_visit", _V + "view_visit",
    ] + _VIEW_CMP + _WORK_CMP + [_CMP + "record_opinion", _CMP + "view_complaint_dashboard"],
    Role.CENTRE_LEADER: _VIEW_TICKETS + [_T + "flag_expedite", _T + "view_dashboard", _V + "view_visit"] + _VIEW_CMP + [
        _CMP + "record_opinion", _CMP + "view_complaint_dashboard"],
    Role.ADMINISTRATOR: ["*"],
}


def _permissions(names: list[str]):
    if names == ["*"]:
        return list(Permission.objects.all())
    wanted = {tuple(n.split(".", 1)) for n in names}
    perms = Permission.objects.select_related("content_type").filter(
        codename__in=[c for _, c in wanted]
    )
    return [p for p in perms if (p.content_type.app_label, p.codename) in wanted]


def sync_roles() -> None:
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions(names))


def sync_roles_after_migrate(sender, **kwargs) -> None:
    if kwargs.get("plan") is not None and not kwargs.get("plan"):
        return
    sync_roles()
