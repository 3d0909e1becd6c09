"""What the visit services tell people, composed in zh-Hans and English, sent through staff.notify."""
from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from staff import notify
from staff.choices import Role
from staff.models import User
from staff.notify.api import in_both_languages

from .choices import ParticipantKind


def _link(visit) -> str:
    return f"/visits/{visit.pk}/"


def _when(dt) -> str:
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}"


def support_managers() -> list[User]:
    return list(User.objects.filter(is_active=True).filter(Q(groups__name=Role.SUPPORT_MANAGER)).distinct())


def visit_people(visit) -> list[User]:
    """The owner and our own staff on the visit (vendor engineers follow their lead)."""
    people = [visit.owner] if visit.owner_id else []
    people += [
        p.user for p in visit.participants.select_related("user").exclude(kind=ParticipantKind.VENDOR)
    ]
    return people or support_managers()


def _send(kind, recipients, subject_fn, body_fn, *, link, sms=False):
    subject, subject_en = in_both_languages(subject_fn)
    body, body_en = in_both_languages(body_fn)
    return notify.send(kind=kind, subject=subject, subject_en=subject_en, body=body, body_en=body_en,
                       recipients=recipients, link=link, sms=sms)


def call_due(visit):
    """R-VISIT-1: the appointment call has not been made and the visit is close."""
    return _send(
        "visit_call_due", visit_people(visit),
        lambda: _("拜访前请先电话预约：%(number)s %(customer)s") % {
            "number": visit.number, "customer": visit.customer.name},
        lambda: _("拜访计划于 %(when)s（%(place)s），尚未与客户电话确认时间、地点和参加人员，并留下我方联系方式。") % {
            "when": _when(visit.planned_at), "place": visit.place or "-"},
        link=_link(visit),
    )


def follow_up_tomorrow(problem):
    """R-VISIT-3: a follow-up is due tomorrow."""
    visit = problem.visit
    return _send(
        "visit_follow_up_due", [problem.owner],
        lambda: _("拜访问题明天到期：%(customer)s") % {"customer": visit.customer.name},
        lambda: _("%(number)s 收集的问题“%(problem)s”跟进期限为 %(due)s。") % {
            "number": visit.number, "problem": problem.description[:80], "due": problem.due_date.isoformat()},
        link=_link(visit),
    )


def follow_up_overdue(problem):
    """R-VISIT-3: a follow-up is overdue: the owner and the support-room managers."""
    visit = problem.visit
    return _send(
        "visit_follow_up_overdue", [problem.owner, *support_managers()],
        lambda: _("拜访问题跟进已超期：%(customer)s") % {"customer": visit.customer.name},
        lambda: _("%(number)s 收集的问题“%(problem)s”应于 %(due)s 前完成跟进，责任人：%(owner)s。") % {
            "number": visit.number, "problem": problem.description[:80], "due": problem.due_date.isoformat(),
            "owner": str(problem.owner)},
        link=_link(visit),
    )


def fault_review_proposed(visit, ticket):
    """A fault-review visit was proposed after an important customer's total outage."""
    return _send(
        "visit_fault_review_proposed", [*([visit.owner] if visit.owner_id else []), *support_managers()],
        lambda: _("建议安排故障总结拜访：%(customer)s") % {"customer": visit.customer.name},
        lambda: _("工单 %(ticket)s（全阻）已修复，建议于 %(when)s 前拜访客户进行故障总结（%(number)s）。") % {
            "ticket": ticket.number, "when": _when(visit.planned_at), "number": visit.number},
        link=_link(visit),
    )
