"""The ticket page: its timeline and the actions the person may take on it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django import forms as djforms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import condition, require_GET, require_http_methods
from django_fsm import can_proceed

from staff import help as help_service
from staff.choices import RoomCode
from staff.models import HelpRequest, User
from supportdesk.core.errors import DomainError

from .. import selectors, services
from ..choices import (
    ACTIVE_FAULT_STATES,
    OPEN_STATES,
    ContactChannel,
    ExplanationState,
    PhoneChannel,
    SiteKind,
    TicketState,
)
from ..forms import (
    AddJointRoomForm,
    ArrivalForm,
    CancelForm,
    CloseForm,
    DialTestForm,
    ExplanationForm,
    NoteForm,
    OverrideLeadRoomForm,
    PhoneCallForm,
    PreArrivalForm,
    ProgressForm,
    ReasonForm,
    RequiredNoteForm,
    ResolveForm,
    RestoreForm,
    SiteLeadForm,
)
from ..models import FaultTicket, PreArrivalCheck
from ..permissions import can
from ..services.onsite import site_with_position
from ._common import (
    _form_errors,
    _is_htmx,
    _next_url,
    error_text,
    is_engineer,
    is_staff_reader,
    live_etag,
    page,
    render_ticket_panels,
    ticket_or_404,
)
from .field import _now_ctx


# --------------------------------------------------------------------------- ticket actions
@dataclass(frozen=True)
class Action:
    """A button or form on the ticket page that calls one service."""

    name: str
    label: str
    perm: str  # the action name of ``tickets.permissions.can``
    form: type[djforms.Form]
    run: Callable[[HttpRequest, FaultTicket, dict], str]  # calls the service, returns the success message
    transition: str = ""  # an FSM transition of the ticket: shown only when it starts from the current state
    states: tuple = ()  # otherwise: the states in which it makes sense
    primary: bool = False


def _run_dispatch(request, ticket, data):
    t = services.dispatch(ticket_id=ticket.pk, by=request.user)
    return _("已派单至 %(room)s") % {"room": t.lead_room}


def _run_override(request, ticket, data):
    t = services.override_lead_room(ticket_id=ticket.pk, by=request.user, room_code=data["room_code"],
                                    reason=data["reason"])
    return _("主导室已改为 %(room)s") % {"room": t.lead_room}


def _run_accept(request, ticket, data):
    services.accept(ticket_id=ticket.pk, by=request.user, note=data.get("note", ""))
    return _("已接单")


def _run_start_joint(request, ticket, data):
    services.start_joint(ticket_id=ticket.pk, by=request.user, reason=data["reason"])
    return _("已启动联合处理")


def _run_progress(request, ticket, data):
    services.add_progress(ticket_id=ticket.pk, by=request.user, text=data["text"], kind=data["kind"])
    return _("进展已记录")


def _run_pre_arrival(request, ticket, data):
    check = services.record_pre_arrival(
        ticket_id=ticket.pk, by=request.user, contact_name=data["contact_name"], contact_phone=data["contact_phone"],
        confirmed_arrangements=data["confirmed_arrangements"], equipment_state=data["equipment_state"],
        eta=data["eta"], told_engineer_details=data["told_engineer_details"], tools={t: data[t] for t in PreArrivalCheck.TOOLS},
        uniform_and_badge=data["uniform_and_badge"],
    )
    missing = [PreArrivalCheck._meta.get_field(t).verbose_name for t in PreArrivalCheck.TOOLS if not getattr(check, t)]
    if missing:
        return _("到场前准备已记录；未带：%(tools)s") % {"tools": _("、").join(str(m) for m in missing)}
    return _("到场前准备已记录；工具齐全")


def _run_arrival(request, ticket, data):
    arrival = services.record_arrival(
        ticket_id=ticket.pk, by=request.user, site_kind=data["site_kind"] or None,
        latitude=data["latitude"], longitude=data["longitude"], accuracy_m=data["accuracy"], at=data.get("at"),
    )
    if arrival.distance_m is not None:
        return _("已签到（%(kind)s），距站点约 %(m)d 米") % {"kind": arrival.get_site_kind_display(),
                                                     "m": round(arrival.distance_m)}
    if arrival.latitude is not None:
        return _("已签到（%(kind)s），已记录定位") % {"kind": arrival.get_site_kind_display()}
    return _("已签到（%(kind)s），未提供定位") % {"kind": arrival.get_site_kind_display()}


def _run_site_lead(request, ticket, data):
    t = services.designate_site_lead(ticket_id=ticket.pk, by=request.user, user_id=data["user"], note=data["note"])
    return _("现场负责人：%(who)s") % {"who": t.site_lead}


def _run_restore(request, ticket, data):
    services.restore(ticket_id=ticket.pk, by=request.user, note=data["note"])
    return _("已抢通")


def _run_resolve(request, ticket, data):
    services.resolve(ticket_id=ticket.pk, by=request.user, cause_category=data["cause_category"],
                     cause_text=data["cause_text"], note=data["note"])
    return _("已修复")


def _run_confirm_cause(request, ticket, data):
    services.confirm_cause(ticket_id=ticket.pk, by=request.user, cause_category=data["cause_category"],
                           cause_text=data["cause_text"])
    return _("已确认故障原因")


def _run_site_lead_exception(request, ticket, data):
    services.record_site_lead_exception(ticket_id=ticket.pk, by=request.user, reason=data["reason"])
    return _("已记录现场负责人例外")


def _run_add_joint_room(request, ticket, data):
    services.add_joint_room(ticket_id=ticket.pk, by=request.user, room_code=data["room_code"], reason=data["reason"])
    return _("已加入联合处理")


def _run_close(request, ticket, data):
    services.close(ticket_id=ticket.pk, by=request.user, customer_reply=data["customer_reply"])
    return _("工单已关闭")


def _run_cancel(request, ticket, data):
    services.cancel(ticket_id=ticket.pk, by=request.user, reason=data["reason"], note=data["note"])
    return _("工单已取消")


def _run_reopen(request, ticket, data):
    services.reopen(ticket_id=ticket.pk, by=request.user, note=data["note"])
    return _("工单已重新打开")


def _run_ask_help(request, ticket, data):
    help_service.ask_for_help(by=request.user, asked_of=data["asked_of"], subject_kind="ticket",
                              subject_id=ticket.pk, subject_label=ticket.number, link=f"/tickets/{ticket.pk}/",
                              question=data["question"])
    return _("已请求上级支持")


def _run_customer_update(request, ticket, data):
    services.record_customer_update(ticket_id=ticket.pk, by=request.user, contact=data["contact"],
                                    channel=data["channel"], text=data["text"])
    return _("已记录向客户的通报")


def _run_refail(request, ticket, data):
    services.refail(ticket_id=ticket.pk, by=request.user, note=data["note"])
    return _("业务再次中断，工单已退回处理")


def _run_dial_test(request, ticket, data):
    test = services.record_dial_test(ticket_id=ticket.pk, by=request.user, result=data["result"],
                                     detail=data["detail"], method=data["method"])
    return _("拨测已记录：%(result)s") % {"result": test.get_result_display()}


def _run_phone(request, ticket, data):
    row = services.record_phone_call(ticket_id=ticket.pk, by=request.user, room_code=data["room_code"],
                                     answered=data["answered"], callee=data["callee"],
                                     callee_phone=data["callee_phone"], note=data["note"],
                                     channel=data["channel"] or PhoneChannel.PHONE)
    if row.answered:
        return _("%(room)s：%(who)s 已接听") % {"room": row.room, "who": row.callee}
    return _("%(room)s：未接通（第 %(n)d 次）") % {"room": row.room, "n": row.attempts}


def _run_broadcast(request, ticket, data):
    b = services.publish_manual_broadcast(ticket_id=ticket.pk, by=request.user, text=data.get("text", ""))
    return _("已发布第 %(seq)d 期信息") % {"seq": b.seq}


def _run_draft_explanation(request, ticket, data):
    services.draft_explanation(ticket_id=ticket.pk, by=request.user, text=data["text"])
    return _("故障解释已提交经理审核")


def _run_release_explanation(request, ticket, data):
    services.release_explanation(explanation_id=data["explanation"], by=request.user, ticket_id=ticket.pk)
    return _("故障解释已发布给客户")


def _run_expedite(request, ticket, data):
    services.flag_expedite(ticket_id=ticket.pk, by=request.user, note=data.get("note", ""))
    return _("已督办")


class ReleaseExplanationForm(djforms.Form):
    explanation = djforms.IntegerField(widget=djforms.HiddenInput)


class EmptyForm(djforms.Form):
    pass


class HelpForm(djforms.Form):
    """R-HELP: ask for higher support."""

    asked_of = djforms.ChoiceField(label=gettext_lazy("请求对象"), choices=HelpRequest.AskOf.choices)
    question = djforms.CharField(label=gettext_lazy("需要的支持"), widget=djforms.Textarea(attrs={"rows": 2}))


class CustomerUpdateForm(djforms.Form):
    """R-CUST-UPDATE: who at the customer was told, by which channel, what."""

    contact = djforms.CharField(label=gettext_lazy("客户联系人"), max_length=120)
    channel = djforms.ChoiceField(label=gettext_lazy("方式"), choices=ContactChannel.choices)
    text = djforms.CharField(label=gettext_lazy("通报内容"), widget=djforms.Textarea(attrs={"rows": 2}))


class BroadcastForm(djforms.Form):
    """R-BCAST (c): monitoring's own words added to a manual broadcast."""

    text = djforms.CharField(label=gettext_lazy("监控室说明"), required=False, max_length=2000,
                             widget=djforms.Textarea(attrs={"rows": 2}))


_OVERRIDABLE = (TicketState.NEW, TicketState.DISPATCHED, TicketState.LEAD_HANDLING)
_DRAFTABLE = tuple(s for s in TicketState.values if s not in (TicketState.CLOSED, TicketState.CANCELLED))

ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("accept", gettext_lazy("接单"), "accept", NoteForm, _run_accept, transition="accept", primary=True),
    Action("dispatch", gettext_lazy("派单"), "dispatch", EmptyForm, _run_dispatch, transition="dispatch", primary=True),
    Action("arrival", gettext_lazy("到场签到"), "arrival", ArrivalForm, _run_arrival, states=OPEN_STATES, primary=True),
    Action("progress", gettext_lazy("记录进展"), "progress", ProgressForm, _run_progress, states=OPEN_STATES),
    Action("pre_arrival", gettext_lazy("到场前准备"), "pre_arrival", PreArrivalForm, _run_pre_arrival, states=OPEN_STATES),
    Action("site_lead", gettext_lazy("指定现场负责人"), "site_lead", SiteLeadForm, _run_site_lead, states=OPEN_STATES),
    Action("restore", gettext_lazy("抢通"), "restore", RestoreForm, _run_restore, transition="restore"),
    Action("resolve", gettext_lazy("修复"), "resolve", ResolveForm, _run_resolve, transition="resolve"),
    # R-ESC-3: the lead room records the cause as confirmed.
    Action("confirm_cause", gettext_lazy("确认故障原因"), "confirm_cause", ResolveForm, _run_confirm_cause,
           states=(TicketState.DISPATCHED, TicketState.LEAD_HANDLING, TicketState.JOINT_HANDLING)),
    # R-SITE-1 / R-SITE-2: a manager's recorded exception.
    Action("site_lead_exception", gettext_lazy("记录现场负责人例外"), "site_lead_exception", ReasonForm,
           _run_site_lead_exception, states=OPEN_STATES),
    # R-ESC-1: a room found to be involved later.
    Action("add_joint_room", gettext_lazy("加入联合处理"), "add_joint_room", AddJointRoomForm, _run_add_joint_room,
           states=(TicketState.JOINT_HANDLING,)),
    Action("draft_explanation", gettext_lazy("起草故障解释"), "draft_explanation", ExplanationForm, _run_draft_explanation,
           states=_DRAFTABLE),
    Action("release_explanation", gettext_lazy("发布故障解释"), "release_explanation", ReleaseExplanationForm,
           _run_release_explanation, states=_DRAFTABLE),
    Action("override_lead_room", gettext_lazy("改派主导室"), "override_lead_room", OverrideLeadRoomForm, _run_override,
           states=_OVERRIDABLE),
    Action("dial_test", gettext_lazy("记录拨测"), "dial_test", DialTestForm, _run_dial_test, states=OPEN_STATES),
    Action("phone", gettext_lazy("电话通知"), "phone", PhoneCallForm, _run_phone, states=OPEN_STATES),
    Action("ask_help", gettext_lazy("请求上级支持"), "ask_help", HelpForm, _run_ask_help, states=OPEN_STATES),
    Action("customer_update", gettext_lazy("向客户通报"), "customer_update", CustomerUpdateForm,
           _run_customer_update, states=OPEN_STATES),
    Action("broadcast", gettext_lazy("立即信息发布"), "broadcast", BroadcastForm, _run_broadcast, states=ACTIVE_FAULT_STATES),
    Action("start_joint", gettext_lazy("启动联合处理"), "start_joint", ReasonForm, _run_start_joint, transition="start_joint"),
    Action("expedite", gettext_lazy("领导督办"), "expedite", NoteForm, _run_expedite, states=OPEN_STATES),
    Action("close", gettext_lazy("关闭工单"), "close", CloseForm, _run_close, transition="close"),
    Action("cancel", gettext_lazy("取消工单"), "cancel", CancelForm, _run_cancel, transition="cancel"),
    Action("reopen", gettext_lazy("重新打开"), "reopen", RequiredNoteForm, _run_reopen, transition="reopen"),
    # R-RESTORE-FIRST: the temporary restore failed.
    Action("refail", gettext_lazy("业务再次中断"), "refail", RequiredNoteForm, _run_refail, transition="refail"),
]}


def available_actions(user, ticket: FaultTicket) -> list[Action]:
    """What the user may do to the ticket now: permitted (``can``) and starting from the current state."""
    out = []
    for action in ACTIONS.values():
        if action.transition:
            if not can_proceed(getattr(ticket, action.transition), check_conditions=False):
                continue
        elif ticket.state not in action.states:
            continue
        if action.name == "expedite" and ticket.expedite:
            continue
        if action.name == "site_lead_exception" and (not ticket.site_lead_required or ticket.site_lead_exception):
            continue
        if action.name == "dispatch" and ticket.needs_triage:
            continue
        if can(user, action.perm, ticket):
            out.append(action)
    return out


def _site_lead_people(ticket: FaultTicket) -> list[User]:
    return selectors.site_lead_candidates(ticket)


def _initial_forms(request, ticket: FaultTicket, actions: list[Action],
                   bound: tuple[str, djforms.Form] | None = None) -> list[tuple[Action, djforms.Form]]:
    """Each action with its empty form; ids carry the action's name (several forms share field names).
    ``bound``: the action whose form was just refused, with the person's input (shown instead, open)."""
    out = []
    for action in actions:
        auto_id = f"id_{action.name}_%s"
        if bound and bound[0] == action.name:
            form = bound[1]
        elif action.form is SiteLeadForm:
            form = SiteLeadForm(people=_site_lead_people(ticket), initial={"user": request.user.pk}, auto_id=auto_id)
        elif action.form is PreArrivalForm:
            contact = selectors.technical_contact(ticket)
            existing = selectors.pre_arrival_check_of(ticket, request.user)
            initial = {"contact_name": contact.name if contact else "", "contact_phone": contact.phone if contact else ""}
            if existing:
                initial.update({f: getattr(existing, f) for f in PreArrivalForm.base_fields if hasattr(existing, f)})
            form = PreArrivalForm(initial=initial, auto_id=auto_id)
        elif action.form is ArrivalForm:
            involvement = next((i for i in ticket.involvements.all()
                                if i.room_id in set(request.user.memberships.values_list("room_id", flat=True))), None)
            kind = involvement.site_kind if involvement and involvement.site_kind else (
                SiteKind.CUSTOMER if request.user.vendor_id or involvement and
                involvement.room.code == RoomCode.SERVICE_SUPPORT else SiteKind.EQUIPMENT)
            form = ArrivalForm(initial={"site_kind": kind}, auto_id=auto_id)
        else:
            form = action.form(auto_id=auto_id)
        out.append((action, form))
    return out



FIELD_FLOW = ("pre_arrival", "arrival", "progress", "restore", "draft_explanation")


def next_step(user, ticket: FaultTicket, action_names: set[str], my_arrival) -> str:
    """The field flow's next step for this person: pre-arrival call → check-in → progress → restore →
    explanation; the first one offered and not yet done (accepting, when offered, comes before all)."""
    if "accept" in action_names or not is_engineer(user):
        return ""
    done = {
        "pre_arrival": lambda: ticket.pre_arrival_checks.filter(engineer=user).exists(),
        "arrival": lambda: my_arrival is not None,
        "progress": lambda: ticket.progress_notes.filter(author=user).exists(),
        "restore": lambda: ticket.restored_at is not None,
        "draft_explanation": lambda: ticket.explanations.exists(),
    }
    for name in FIELD_FLOW:
        if name in action_names and not done[name]():
            return name
    return ""


def _ticket_context(request, ticket: FaultTicket, bound: tuple[str, djforms.Form] | None = None) -> dict:
    user = request.user
    my_arrival = selectors.arrival_of(ticket, user)
    actions = [a for a in available_actions(user, ticket) if not (a.name == "arrival" and my_arrival)]
    action_names = {a.name for a in actions}
    kept = _kept_input(bound[1]) if bound and bound[0] not in action_names else []
    step = next_step(user, ticket, action_names, my_arrival)
    deadlines = selectors.ticket_deadlines(ticket)
    pending = [d for d in deadlines if d.is_pending]
    explanations = list(ticket.explanations.select_related("drafted_by", "reviewed_by", "released_by"))
    phone_rows = list(ticket.phone_notifications.select_related("room", "called_by"))
    return {
        "ticket": ticket,
        "actions": actions,
        "action_names": action_names,
        "action_forms": _initial_forms(request, ticket, actions, bound),
        "open_action": bound[0] if bound else step,
        "next_step": step,
        "contacts": list(ticket.customer.contacts.order_by("-is_technical", "pk")[:3]) if ticket.customer_id else [],
        "next_step_label": ACTIONS[step].label if step else "",
        "kept_input": kept,
        "drawn_at": timezone.now().isoformat(),
        "canonical_url": reverse("tickets:detail", args=[ticket.pk]),
        "deadlines": deadlines,
        "next_deadline": pending[0] if pending else None,
        "has_breach": any(d.breached_at and d.round == ticket.round for d in deadlines),
        "timeline": selectors.ticket_timeline(ticket),
        "explanations": explanations,
        "approved_explanation": next((e for e in explanations if e.state == ExplanationState.APPROVED), None),
        "phone_rows": phone_rows,
        "phone_form_can": "phone" in action_names,
        "dial_tests": list(ticket.dial_tests.select_related("by")),
        "site": site_with_position(ticket),
        "my_arrival": my_arrival,
        "site_members": list(ticket.site_members.select_related("user")),
        "involvements": list(ticket.involvements.all()),
        "arrived_rooms": set(ticket.arrivals.values_list("room_id", flat=True)),
        "extra_panels": render_ticket_panels(request, ticket),
        **_now_ctx(),
    }


@page(is_staff_reader)
@require_GET
@condition(etag_func=live_etag)
def ticket_detail(request, pk):
    ticket = _get_ticket(request, pk)  # a hidden ticket answers 404, polled parts included
    part = request.GET.get("part", "")
    if part:
        return _ticket_part(request, ticket, part)
    return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket))


def _ticket_part(request, ticket: FaultTicket, part: str):
    """The ticket page's live parts, polled: what changed since the page was drawn (and who did it), the
    deadlines, the timeline. The forms are never redrawn, so what the person is typing stays."""
    if part == "changes":
        try:
            seen = int(request.GET.get("seen", ""))
            drawn = datetime.fromisoformat(request.GET.get("drawn", ""))
        except ValueError:
            return HttpResponse("")
        if ticket.version <= seen:
            return HttpResponse("")
        return render(request, "tickets/partials/ticket_changes.html", {
            "changes": selectors.changes_since(ticket, drawn), "version": ticket.version, "state": ticket.state,
            "state_label": ticket.get_state_display()})
    if part == "deadlines":
        return render(request, "tickets/partials/ticket_deadlines.html",
                      {"ticket": ticket, "deadlines": selectors.ticket_deadlines(ticket), **_now_ctx()})
    if part == "timeline":
        return render(request, "tickets/partials/ticket_timeline.html",
                      {"ticket": ticket, "timeline": selectors.ticket_timeline(ticket)})
    raise Http404(part)


def _get_ticket(request, pk) -> FaultTicket:
    return ticket_or_404(request, pk, for_page=True)


def _kept_input(form: djforms.Form) -> list[tuple[str, str]]:
    """What the person typed into a form whose action is no longer offered: shown so nothing is lost."""
    out = []
    for name, field in form.fields.items():
        value = form.data.get(name, "") if hasattr(form.data, "get") else ""
        if isinstance(value, str) and value.strip() and isinstance(field.widget, (djforms.Textarea, djforms.TextInput)):
            out.append((str(field.label), value))
    return out


def _changed_since(request, ticket: FaultTicket) -> str:
    """If the ticket changed after the page was drawn: what happened and who did it, as one sentence."""
    try:
        seen = int(request.POST.get("seen", ""))
        drawn = datetime.fromisoformat(request.POST.get("drawn", ""))
    except ValueError:
        return ""
    if seen >= ticket.version:
        return ""
    events = selectors.changes_since(ticket, drawn)
    what = _("、").join(
        _("%(who)s %(what)s（%(at)s）") % {"who": e.actor or e.actor_label, "what": e.get_kind_display(),
                                          "at": date_format(timezone.localtime(e.at), "H:i")}
        for e in events)
    return _("您打开此页后，工单已有变化：%(what)s。现在的状态是「%(state)s」。您填写的内容已保留。") % {
        "what": what or _("他人修改了工单"), "state": ticket.get_state_display()}


@page(is_staff_reader)
@require_http_methods(["GET", "POST"])
def ticket_action(request, pk, action):
    """One action of the ticket page: validate the form, call the service, show the domain error if refused.

    Success redirects (post/redirect/get). A refusal re-renders the ticket page in place with what the person
    typed and the error next to the field; the address bar is put back on the ticket page (``canonical_url``),
    and a GET of this address (refresh, Back) goes to the ticket page instead of a blank 405."""
    if request.method != "POST":
        return redirect("tickets:detail", pk=pk)
    ticket = _get_ticket(request, pk)  # before the form: a hidden ticket answers 404, not a form error
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(action)
    if spec.form is SiteLeadForm:
        form = SiteLeadForm(request.POST, people=_site_lead_people(ticket), auto_id=f"id_{action}_%s")
    else:
        form = spec.form(request.POST, auto_id=f"id_{action}_%s")
    changed = _changed_since(request, ticket)
    if not form.is_valid():
        messages.error(request, changed or _form_errors(form))
        return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket, (action, form)),
                      status=400)
    try:
        message = spec.run(request, ticket, form.cleaned_data)
    except DomainError as err:
        text = error_text(err, form)
        ticket = _get_ticket(request, pk)
        changed = _changed_since(request, ticket)
        messages.error(request, f"{changed} {text}" if changed else text)
        return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket, (action, form)),
                      status=err.status_code)
    messages.success(request, message)
    return redirect(_next_url(request, reverse("tickets:detail", args=[pk])))


@page(is_staff_reader)
@require_http_methods(["GET", "POST"])
def broadcast_preview(request, pk):
    """R-BCAST (c): the operator reads the broadcast with their own text before publishing it; the text stays
    in the form. With htmx only the preview is drawn; without, the ticket page with the form open."""
    if request.method != "POST":
        return redirect("tickets:detail", pk=pk)
    ticket = _get_ticket(request, pk)
    form = BroadcastForm(request.POST, auto_id="id_broadcast_%s")
    preview, status = None, 200
    if form.is_valid():
        try:
            preview = services.preview_manual_broadcast(ticket_id=ticket.pk, by=request.user,
                                                        text=form.cleaned_data["text"])
        except DomainError as err:
            messages.error(request, error_text(err, form))
            status = err.status_code
    else:
        status = 400
    if _is_htmx(request):
        return render(request, "tickets/partials/broadcast_preview.html", {"preview": preview, "form": form},
                      status=200 if preview else status)
    return render(request, "tickets/ticket_detail.html",
                  {**_ticket_context(request, ticket, ("broadcast", form)), "broadcast_preview": preview},
                  status=status)
