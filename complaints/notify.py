"""What the complaint services tell people, in zh-Hans and English, through staff.notify (the outbox)."""
from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from staff import notify
from staff.choices import Role
from staff.models import User
from staff.notify.api import in_both_languages


def _link(complaint) -> str:
    return f"/complaints/{complaint.pk}/"


def managers() -> list[User]:
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=Role.SUPPORT_MANAGER) | Q(groups__name=Role.CENTRE_LEADER))
        .distinct()
    )


def breach_recipients(complaint) -> list[User]:
    """R-CMP-LIMITS: the responsible room's leader and the managers."""
    people = []
    if complaint.route_id and complaint.route.leader_id and complaint.route.leader.is_active:
        people.append(complaint.route.leader)
    return people + [u for u in managers() if u not in people]


def breach(complaint, deadline, recipients) -> None:
    from .choices import DeadlineStage

    def subject():
        return _("投诉超时：%(number)s %(stage)s") % {
            "number": complaint.number, "stage": DeadlineStage(deadline.stage).label}

    def body():
        return _("%(customer)s 的投诉 %(number)s 的“%(stage)s”环节已超过时限（到期 %(due)s）。") % {
            "customer": complaint.customer.name, "number": complaint.number,
            "stage": DeadlineStage(deadline.stage).label, "due": f"{deadline.due_at:%Y-%m-%d %H:%M}"}

    subject_zh, subject_en = in_both_languages(subject)
    body_zh, body_en = in_both_languages(body)
    notify.send(kind="escalation", subject=subject_zh, subject_en=subject_en, body=body_zh, body_en=body_en,
                recipients=recipients, link=_link(complaint), ticket_number=complaint.number)
