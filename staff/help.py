"""R-HELP (docs/rules.md; seed 4.3-3(3) "杜绝一口回绝"): asking a room leader or the centre leader for higher support
from a ticket or a visit, tracked until answered. Lives in ``staff`` so tickets and visits can both use it."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed

from . import notify
from .choices import Role, RoomCode
from .models import HelpRequest, Room, User

SUBJECT_KINDS = ("ticket", "visit")


def leaders_of(request: HelpRequest) -> list[User]:
    """Who answers: the centre leaders, or the asker's room leaders (the support room's manager leads it)."""
    people = User.objects.filter(is_active=True)
    if request.asked_of == HelpRequest.AskOf.CENTRE_LEADER:
        return list(people.filter(groups__name=Role.CENTRE_LEADER).distinct())
    if request.room_id is None:
        return []
    q = Q(memberships__room_id=request.room_id, memberships__is_leader=True)
    if request.room.code == RoomCode.SERVICE_SUPPORT:
        q |= Q(groups__name=Role.SUPPORT_MANAGER)
    return list(people.filter(q).distinct())


@transaction.atomic
def ask_for_help(*, by: User, asked_of: str, subject_kind: str, subject_id: int, subject_label: str,
                 question: str, link: str = "", room: Room | None = None) -> HelpRequest:
    """R-HELP: an engineer facing something beyond their authority or knowledge asks for higher support."""
    errors, codes = {}, {}
    question = (question or "").strip()
    if asked_of not in HelpRequest.AskOf.values:
        errors["asked_of"] = [f"must be one of {', '.join(HelpRequest.AskOf.values)}"]
        codes["asked_of"] = ("bad_choice", {})
    if subject_kind not in SUBJECT_KINDS:
        errors["subject_kind"] = [f"must be one of {', '.join(SUBJECT_KINDS)}"]
        codes["subject_kind"] = ("bad_choice", {})
    if not question:
        errors["question"] = ["say what support is needed"]
        codes["question"] = ("help_question_required", {})
    if room is None:
        membership = by.memberships.select_related("room").first()
        room = membership.room if membership else None
    if asked_of == HelpRequest.AskOf.ROOM_LEADER and room is None:
        errors["asked_of"] = ["you belong to no room: ask the centre leader"]
        codes["asked_of"] = ("help_no_room", {})
    if errors:
        raise ValidationFailed.from_errors(errors, codes=codes)
    request = HelpRequest.objects.create(asked_by=by, asked_of=asked_of, room=room, subject_kind=subject_kind,
                                         subject_id=subject_id, subject_label=subject_label[:64], link=link[:200],
                                         question=question)
    recipients = leaders_of(request)
    notify.send(
        kind="help_request", recipients=recipients, link=link, ticket_number=subject_label[:32],
        subject=_("请求上级支持：%(subject)s") % {"subject": subject_label},
        body=f"{by.get_full_name() or by.get_username()}: {question}",
    )
    return request


@transaction.atomic
def answer_help(*, request_id: int, by: User, answer: str) -> HelpRequest:
    """R-HELP: the leader asked (or a centre leader, who sees every open request) answers; the request is then
    no longer open."""
    request = HelpRequest.objects.select_for_update(of=("self",)).select_related("room").filter(pk=request_id).first()
    if request is None:
        raise ValidationFailed.of("request", f"help request {request_id} does not exist", code="help_request_not_found")
    if not (by.is_superuser or _is_centre_leader(by)) and by.pk not in {u.pk for u in leaders_of(request)}:
        raise NotPermitted(f"R-HELP: {by.get_username()} is not a leader this request was addressed to",
                           code="help_not_addressed")
    if request.answered_at is not None:
        raise TransitionNotAllowed(f"help request {request_id} was already answered", code="help_already_answered")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed.of("answer", "the answer needs text", code="help_answer_required")
    request.answer, request.answered_by, request.answered_at = answer, by, timezone.now()
    request.save(update_fields=["answer", "answered_by", "answered_at"])
    notify.send(kind="help_answered", recipients=[request.asked_by], link=request.link,
                subject=_("上级已答复：%(subject)s") % {"subject": request.subject_label}, body=answer)
    return request


def _is_centre_leader(user: User) -> bool:
    return user.groups.filter(name=Role.CENTRE_LEADER).exists()


def unanswered_for(user: User) -> QuerySet:
    """R-HELP: the unanswered requests this leader must see: a room's leaders see those asked of their room's
    leader; the centre leaders, above every room, see all of them (and may answer any, docs/decisions.md)."""
    if user.is_superuser or _is_centre_leader(user):
        return HelpRequest.objects.filter(answered_at__isnull=True).select_related("asked_by", "room")
    q = Q(pk__in=[])
    led = list(user.memberships.filter(is_leader=True).values_list("room_id", flat=True))
    if user.groups.filter(name=Role.SUPPORT_MANAGER).exists():
        led += list(Room.objects.filter(code=RoomCode.SERVICE_SUPPORT).values_list("pk", flat=True))
    if led:
        q |= Q(asked_of=HelpRequest.AskOf.ROOM_LEADER, room_id__in=led)
    return HelpRequest.objects.filter(q, answered_at__isnull=True).select_related("asked_by", "room")
