"""Server-rendered pages: monitoring console, field engineer's phone view, manager's dashboard, ticket page.

Views are thin: they check who may see the page, shape input with a form, call one service and show
its domain error (``tickets.errors.DomainError``) as a message with the error's HTTP status. A refused
action changes nothing because the service refused it inside its transaction.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms as djforms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_fsm import can_proceed

from staff.choices import RoomCode
from staff.models import User

from . import selectors, services
from .choices import ACTIVE_FAULT_STATES, OPEN_STATES, ExplanationState, SiteKind, TicketState
from .errors import DomainError
from .forms import (
    ArrivalForm,
    CancelForm,
    CloseForm,
    CreateTicketForm,
    DialTestForm,
    ExplanationForm,
    MatchCustomerForm,
    NoteForm,
    OverrideLeadRoomForm,
    PhoneCallForm,
    PreArrivalForm,
    ProgressForm,
    ReasonForm,
    RequiredNoteForm,
    ResolveForm,
    RestoreForm,
    ReviewExplanationForm,
    SiteLeadForm,
    customer_label,
)
from .models import Explanation, FaultTicket, PreArrivalCheck
from .permissions import can, visible_tickets
from .services.onsite import site_with_position


# --------------------------------------------------------------------------- who may see which page
def is_operator(user) -> bool:
    return user.has_perm("tickets.dispatch_ticket")


def is_manager(user) -> bool:
    return user.has_perm("tickets.view_dashboard")


def is_engineer(user) -> bool:
    """Any field-engineer role: room, support or vendor engineer (they handle tickets and check in)."""
    return user.has_perm("tickets.record_arrival") or user.has_perm("tickets.handle_ticket")


def is_staff_reader(user) -> bool:
    return user.has_perm("tickets.view_faultticket")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def page(check: Callable[[User], bool]):
    """Log-in required, then ``check(user)``; htmx requests are sent to the log-in page as a whole."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if _is_htmx(request):
                    login = f"{reverse(settings.LOGIN_URL)}?next={request.headers.get('HX-Current-URL', '/')}"
                    return HttpResponse(status=204, headers={"HX-Redirect": login})
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                return render(request, "tickets/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _next_url(request: HttpRequest, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return default


def _form_errors(form: djforms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return "; ".join(parts)


# --------------------------------------------------------------------------- home
@page(lambda u: True)
def home(request):
    """Each person lands on their page: monitoring → console, managers/leaders → dashboard, engineers → phone."""
    user = request.user
    if is_operator(user):
        return redirect("tickets:console")
    if is_manager(user):
        return redirect("tickets:dashboard")
    if is_engineer(user):
        return redirect("tickets:mine")
    return render(request, "tickets/forbidden.html", status=403)


# --------------------------------------------------------------------------- monitoring console
QUEUE_PAGE_SIZE = 100
TRIAGE_LIMIT = 50
DASHBOARD_LIST_LIMIT = 50


def _triage_context() -> dict:
    """The triage rows, each with its match form; the customer list is read once, for one shared datalist."""
    rows = list(selectors.triage_queue()[:TRIAGE_LIMIT])
    customers = [(c.code, customer_label(c)) for c in selectors.customers_for_choice()] if rows else []
    return {
        "triage": [(ticket, MatchCustomerForm(prefix=f"t{ticket.pk}")) for ticket in rows],
        "triage_total": selectors.bounded_count(rows, selectors.triage_queue(), TRIAGE_LIMIT),
        "customer_codes": customers,
    }


def _console_context(request, create_form=None):
    return {
        "create_form": create_form or CreateTicketForm(),
        **_triage_context(),
        "undispatched": list(selectors.undispatched()),
        "phone_calls": list(selectors.pending_phone_calls()[:50]),
        "broadcasts": list(selectors.recent_broadcasts()[:8]),
        **_queue_context(request),
    }


def _queue_context(request):
    """R-PRIO queue, a page at a time: the most important tickets come first, so page 1 is what matters."""
    now = timezone.now()
    page = Paginator(selectors.open_queue(), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return {"queue": list(page.object_list), "queue_page": page, "queue_total": page.paginator.count,
            "now": now, "due_soon": now + selectors.DUE_SOON}


@page(is_operator)
@require_GET
def console(request):
    return render(request, "tickets/console.html", _console_context(request))


@page(is_operator)
@require_GET
def console_queue(request):
    return render(request, "tickets/partials/queue.html", _queue_context(request))


@page(is_operator)
@require_POST
def create_ticket(request):
    """A monitoring operator opens a ticket by hand (SPEC §3.1), dispatched at once when asked."""
    form = CreateTicketForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return render(request, "tickets/console.html", _console_context(request, form), status=400)
    data = form.cleaned_data
    try:
        ticket = services.create_ticket(
            by=request.user, title=data["title"], occurred_at=data["occurred_at"], source=data["source"],
            customer_id=data["customer"].pk if data["customer"] else None, circuit_id=data["circuit_id"].strip(),
            category=data["category"], severity=data["severity"], outage=data["outage"],
            description=data["description"], dispatch_now=data["dispatch_now"],
        )
    except DomainError as err:
        messages.error(request, err.message)
        return render(request, "tickets/console.html", _console_context(request, form), status=err.status_code)
    messages.success(request, _("已创建工单 %(number)s（%(state)s）") % {
        "number": ticket.number, "state": ticket.get_state_display()})
    return redirect("tickets:detail", pk=ticket.pk)


@page(is_operator)
@require_POST
def triage(request, pk):
    """Triage an unmatched alarm: match the customer (its tier's policy applies), then dispatch (R-LEAD)."""
    ticket = get_object_or_404(FaultTicket, pk=pk)
    form = MatchCustomerForm(request.POST, prefix=f"t{pk}")
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return render(request, "tickets/console.html", _console_context(request), status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            ticket = services.match_customer(ticket_id=ticket.pk, by=request.user, customer_id=data["customer"].pk,
                                             circuit_id=data["circuit_id"].strip())
            if data["dispatch_now"]:
                ticket = services.dispatch(ticket_id=ticket.pk, by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
        return render(request, "tickets/console.html", _console_context(request), status=err.status_code)
    messages.success(request, _("工单 %(number)s 已匹配 %(customer)s（%(state)s）") % {
        "number": ticket.number, "customer": ticket.customer.name, "state": ticket.get_state_display()})
    return redirect(_next_url(request, reverse("tickets:console")))


@page(is_staff_reader)
@require_GET
def broadcasts(request):
    """Every status broadcast (R-BCAST), newest first."""
    qs = selectors.recent_broadcasts()
    number = request.GET.get("ticket", "").strip()
    if number:
        qs = qs.filter(ticket__number__icontains=number)
    page_obj = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "tickets/broadcasts.html", {"page_obj": page_obj, "ticket_filter": number})


# --------------------------------------------------------------------------- field engineer's phone view
@page(is_engineer)
@require_GET
def mine(request):
    mine_list, room_list = selectors.engineer_tickets(request.user)
    ctx = {"mine": mine_list, "room": room_list, **_now_ctx()}
    template = "tickets/partials/mine_list.html" if _is_htmx(request) else "tickets/mine.html"
    return render(request, template, ctx)


def _now_ctx():
    now = timezone.now()
    return {"now": now, "due_soon": now + selectors.DUE_SOON}


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
    )
    missing = [PreArrivalCheck._meta.get_field(t).verbose_name for t in PreArrivalCheck.TOOLS if not getattr(check, t)]
    if missing:
        return _("到场前准备已记录；未带：%(tools)s") % {"tools": _("、").join(str(m) for m in missing)}
    return _("到场前准备已记录；工具齐全")


def _run_arrival(request, ticket, data):
    arrival = services.record_arrival(
        ticket_id=ticket.pk, by=request.user, site_kind=data["site_kind"] or None,
        latitude=data["latitude"], longitude=data["longitude"], accuracy_m=data["accuracy"],
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


def _run_close(request, ticket, data):
    services.close(ticket_id=ticket.pk, by=request.user, customer_reply=data["customer_reply"])
    return _("工单已关闭")


def _run_cancel(request, ticket, data):
    services.cancel(ticket_id=ticket.pk, by=request.user, reason=data["reason"], note=data["note"])
    return _("工单已取消")


def _run_reopen(request, ticket, data):
    services.reopen(ticket_id=ticket.pk, by=request.user, note=data["note"])
    return _("工单已重新打开")


def _run_dial_test(request, ticket, data):
    test = services.record_dial_test(ticket_id=ticket.pk, by=request.user, result=data["result"],
                                     detail=data["detail"], method=data["method"])
    return _("拨测已记录：%(result)s") % {"result": test.get_result_display()}


def _run_phone(request, ticket, data):
    row = services.record_phone_call(ticket_id=ticket.pk, by=request.user, room_code=data["room_code"],
                                     answered=data["answered"], callee=data["callee"],
                                     callee_phone=data["callee_phone"], note=data["note"],
                                     channel=data["channel"] or "phone")
    if row.answered:
        return _("%(room)s：%(who)s 已接听") % {"room": row.room, "who": row.callee}
    return _("%(room)s：未接通（第 %(n)d 次）") % {"room": row.room, "n": row.attempts}


def _run_broadcast(request, ticket, data):
    b = services.publish_manual_broadcast(ticket_id=ticket.pk, by=request.user)
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
    Action("draft_explanation", gettext_lazy("起草故障解释"), "draft_explanation", ExplanationForm, _run_draft_explanation,
           states=_DRAFTABLE),
    Action("release_explanation", gettext_lazy("发布故障解释"), "release_explanation", ReleaseExplanationForm,
           _run_release_explanation, states=_DRAFTABLE),
    Action("override_lead_room", gettext_lazy("改派主导室"), "override_lead_room", OverrideLeadRoomForm, _run_override,
           states=_OVERRIDABLE),
    Action("dial_test", gettext_lazy("记录拨测"), "dial_test", DialTestForm, _run_dial_test, states=OPEN_STATES),
    Action("phone", gettext_lazy("电话通知"), "phone", PhoneCallForm, _run_phone, states=OPEN_STATES),
    Action("broadcast", gettext_lazy("立即信息发布"), "broadcast", EmptyForm, _run_broadcast, states=ACTIVE_FAULT_STATES),
    Action("start_joint", gettext_lazy("启动联合处理"), "start_joint", ReasonForm, _run_start_joint, transition="start_joint"),
    Action("expedite", gettext_lazy("领导督办"), "expedite", NoteForm, _run_expedite, states=OPEN_STATES),
    Action("close", gettext_lazy("关闭工单"), "close", CloseForm, _run_close, transition="close"),
    Action("cancel", gettext_lazy("取消工单"), "cancel", CancelForm, _run_cancel, transition="cancel"),
    Action("reopen", gettext_lazy("重新打开"), "reopen", RequiredNoteForm, _run_reopen, transition="reopen"),
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
        if action.name == "dispatch" and ticket.needs_triage:
            continue
        if can(user, action.perm, ticket):
            out.append(action)
    return out


def _site_lead_people(ticket: FaultTicket) -> list[User]:
    """Who may be named on-site lead: people of the involved rooms and the support room, the vendor's engineers."""
    room_ids = {i.room_id for i in ticket.involvements.all()}
    if ticket.lead_room_id:
        room_ids.add(ticket.lead_room_id)
    qs = User.objects.filter(is_active=True).filter(
        Q(memberships__room_id__in=room_ids) | Q(memberships__room__code=RoomCode.SERVICE_SUPPORT)
    )
    if ticket.vendor_id:
        qs = qs | User.objects.filter(is_active=True, vendor_id=ticket.vendor_id)
    return list(qs.distinct().order_by("username")[:200])


def _initial_forms(request, ticket: FaultTicket, actions: list[Action]) -> list[tuple[Action, djforms.Form]]:
    """Each action with its empty form; ids carry the action's name (several forms share field names)."""
    out = []
    for action in actions:
        auto_id = f"id_{action.name}_%s"
        if action.form is SiteLeadForm:
            form = SiteLeadForm(people=_site_lead_people(ticket), initial={"user": request.user.pk}, auto_id=auto_id)
        elif action.form is PreArrivalForm:
            contact = ticket.customer.contacts.filter(is_technical=True).first() if ticket.customer_id else None
            existing = ticket.pre_arrival_checks.filter(engineer=request.user).first()
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



def _ticket_context(request, ticket: FaultTicket) -> dict:
    user = request.user
    my_arrival = ticket.arrivals.filter(user=user, round=ticket.round).first()
    actions = [a for a in available_actions(user, ticket) if not (a.name == "arrival" and my_arrival)]
    action_names = {a.name for a in actions}
    deadlines = list(ticket.deadlines.order_by("due_at"))
    pending = [d for d in deadlines if d.is_pending]
    explanations = list(ticket.explanations.select_related("drafted_by", "reviewed_by", "released_by"))
    phone_rows = list(ticket.phone_notifications.select_related("room", "called_by"))
    return {
        "ticket": ticket,
        "actions": actions,
        "action_names": action_names,
        "action_forms": _initial_forms(request, ticket, actions),
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
        **_now_ctx(),
    }


@page(is_staff_reader)
@require_GET
def ticket_detail(request, pk):
    if not visible_tickets(request.user, FaultTicket.objects.filter(pk=pk)).exists():
        raise Http404(_("工单不存在"))
    ticket = _get_ticket(pk)
    return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket))


def _get_ticket(pk) -> FaultTicket:
    try:
        return selectors.ticket_for_page(pk)
    except FaultTicket.DoesNotExist:
        from django.http import Http404

        raise Http404(_("工单不存在")) from None


@page(is_staff_reader)
@require_POST
def ticket_action(request, pk, action):
    """One action of the ticket page: validate the form, call the service, show the domain error if refused."""
    ticket = _get_ticket(pk)
    spec = ACTIONS.get(action)
    if spec is None:
        from django.http import Http404

        raise Http404(action)
    if spec.form is SiteLeadForm:
        form = SiteLeadForm(request.POST, people=_site_lead_people(ticket))
    else:
        form = spec.form(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket), status=400)
    try:
        message = spec.run(request, ticket, form.cleaned_data)
    except DomainError as err:
        messages.error(request, err.message)
        ticket = _get_ticket(pk)
        return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket),
                      status=err.status_code)
    messages.success(request, message)
    return redirect(_next_url(request, reverse("tickets:detail", args=[pk])))


# --------------------------------------------------------------------------- manager's dashboard
def _dashboard_context() -> dict:
    now = timezone.now()
    stale_after = timedelta(seconds=getattr(settings, "SWEEP_STALE_AFTER_SECONDS", 300))
    today, week = selectors.start_of_day(now), selectors.start_of_week(now)
    series = selectors.open_and_breached_series(days=7, step_hours=6, now=now)
    counts = selectors.open_counts_by_tier_and_state()
    breached_open = list(selectors.breached_open_tickets()[:DASHBOARD_LIST_LIMIT])
    return {
        "now": now,
        "due_soon": now + selectors.DUE_SOON,
        "counts": counts,
        "joint": selectors.joint_handling_tickets(limit=DASHBOARD_LIST_LIMIT),
        "joint_total": counts["by_state"].get(TicketState.JOINT_HANDLING, 0),
        "breached_open": breached_open,
        "breached_open_total": selectors.bounded_count(
            breached_open, selectors.breached_open_tickets(), DASHBOARD_LIST_LIMIT),
        "breaches_today": selectors.breaches_since(today),
        "breaches_week": selectors.breaches_since(week),
        "stats": [(7, selectors.tier_stats(7, now)), (30, selectors.tier_stats(30, now))],
        "chart": _chart(series),
        "sweep": selectors.last_sweep(stale_after, now),
        "explanations": selectors.explanations_awaiting(),
        "review_form": ReviewExplanationForm(),
    }


def _chart(series: selectors.Series) -> dict:
    """Coordinates of the open/breached lines for the inline SVG (drawn on the server, no chart library)."""
    width, height, pad_l, pad_b, pad_t = 640, 200, 34, 22, 10
    span = (series.end - series.start).total_seconds() or 1
    peak = max(series.peak, 1)

    def xy(t, n):
        x = pad_l + (width - pad_l - 6) * (t - series.start).total_seconds() / span
        y = pad_t + (height - pad_t - pad_b) * (1 - n / peak)
        return round(x, 1), round(y, 1)

    open_pts = " ".join(f"{x},{y}" for x, y in (xy(t, o) for t, o, _b in series.points))
    breach_pts = " ".join(f"{x},{y}" for x, y in (xy(t, b) for t, _o, b in series.points))
    ticks = []
    day = selectors.start_of_day(series.start) + timedelta(days=1)
    while day <= series.end:
        ticks.append({"x": xy(day, 0)[0], "label": timezone.localtime(day).strftime("%m-%d")})
        day += timedelta(days=1)
    y_ticks = [{"y": xy(series.start, v)[1], "label": v} for v in sorted({0, peak // 2, peak})]
    last = series.points[-1]
    return {"width": width, "height": height, "open": open_pts, "breached": breach_pts, "x_ticks": ticks,
            "y_ticks": y_ticks, "pad_l": pad_l, "base_y": height - pad_b, "last_open": last[1],
            "last_breached": last[2], "end_x": xy(series.end, 0)[0]}


@page(is_manager)
@require_GET
def dashboard(request):
    if _is_htmx(request) and request.GET.get("part") == "explanations":
        return render(request, "tickets/partials/explanations.html",
                      {"explanations": selectors.explanations_awaiting()})
    template = "tickets/partials/dashboard_panel.html" if _is_htmx(request) else "tickets/dashboard.html"
    return render(request, template, _dashboard_context())


@page(lambda u: u.has_perm("tickets.approve_explanation") or u.has_perm("tickets.draft_explanation"))
@require_POST
def explanation_review(request, pk):
    """R-EXPLAIN: the support-room manager approves the wording or returns it with a note."""
    explanation = get_object_or_404(Explanation, pk=pk)
    form = ReviewExplanationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back_with_error(request, 400)
    data = form.cleaned_data
    try:
        services.review_explanation(explanation_id=explanation.pk, by=request.user,
                                    approve=data["decision"] == "approve", note=data["note"])
    except DomainError as err:
        messages.error(request, err.message)
        return _back_with_error(request, err.status_code)
    if data["decision"] == "approve":
        messages.success(request, _("工单 %(number)s 的故障解释已审核通过") % {"number": explanation.ticket.number})
    else:
        messages.success(request, _("工单 %(number)s 的故障解释已退回") % {"number": explanation.ticket.number})
    return redirect(_next_url(request, reverse("tickets:dashboard")))


@page(lambda u: u.has_perm("tickets.approve_explanation") or u.has_perm("tickets.draft_explanation"))
@require_POST
def explanation_release(request, pk):
    """R-EXPLAIN: only an approved explanation is released to the customer."""
    explanation = get_object_or_404(Explanation, pk=pk)
    try:
        services.release_explanation(explanation_id=explanation.pk, by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
        return _back_with_error(request, err.status_code)
    messages.success(request, _("工单 %(number)s 的故障解释已发布给客户") % {"number": explanation.ticket.number})
    return redirect(_next_url(request, reverse("tickets:dashboard")))


def _back_with_error(request, status: int) -> HttpResponse:
    if is_manager(request.user):
        return render(request, "tickets/dashboard.html", _dashboard_context(), status=status)
    return render(request, "tickets/forbidden.html", status=status)
