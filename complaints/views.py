"""Complaint pages (R-CMP-FLOW): the queue for monitoring and the support room, the complaint page with its
timeline and actions, taking a complaint by phone, and the dashboard panel.

Thin: check the permission, shape input with a form, call one service; a refused action re-renders the
page with the error next to its field and the input kept (the service changed nothing).
"""
from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from customers import selectors as customer_selectors

from . import forms, selectors
from .choices import ComplaintStage, Transition
from .errors import DomainError
from .models import Complaint
from .permissions import can
from .services import intake, transitions
from .workcalendar import WorkCalendar


def complaints_permission(perm: str):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(f"complaints.{perm}"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _form_errors(form, exc: DomainError) -> None:
    if exc.field_errors:
        for field, errors in exc.field_errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.message)


# --------------------------------------------------------------------------- the queue
@complaints_permission("view_complaint")
def queue(request: HttpRequest) -> HttpResponse:
    """Open complaints, important first, then the nearest deadline; countdowns in working time."""
    calendar = WorkCalendar.load()
    now = timezone.now()
    page = Paginator(selectors.open_queue(), 100).get_page(request.GET.get("page"))
    rows = [(c, selectors.countdowns(c, calendar=calendar, now=now)) for c in page.object_list]
    context = {"page": page, "rows": rows, "now": now, "calendar_gap": selectors.calendar_coverage_gap(now=now)}
    template = "complaints/_queue.html" if _is_htmx(request) else "complaints/queue.html"
    return render(request, template, context)


# --------------------------------------------------------------------------- taking a complaint
@complaints_permission("add_complaint")
def create(request: HttpRequest) -> HttpResponse:
    form = forms.ComplaintForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                result = intake.receive_complaint(
                    data=intake.ComplaintIn(**d), by=request.user, via="web",
                )
            except DomainError as exc:
                _form_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("已受理投诉 %(number)s") % {"number": result.complaint.number})
                return redirect("complaints:detail", pk=result.complaint.pk)
        else:
            status = 400
    return render(request, "complaints/form.html", {"form": form, "customer_codes": customer_selectors.customer_codes()},
                  status=status)


# --------------------------------------------------------------------------- the complaint page
ACTIONS = {
    Transition.SORT: (forms.SortForm, lambda c, by, d: transitions.sort(
        complaint_id=c, by=by, route_to=d["route_to"], importance=d["importance"], via="web")),
    Transition.ANALYSE: (forms.AnalyseForm, lambda c, by, d: transitions.analyse(
        complaint_id=c, by=by, finding=d["finding"], note=d["note"], other_department=d["other_department"],
        via="web")),
    Transition.HANDLE: (forms.HandleForm, lambda c, by, d: transitions.handle(
        complaint_id=c, by=by, note=d["note"], via="web")),
    Transition.REPLY: (forms.ReplyForm, lambda c, by, d: transitions.reply(
        complaint_id=c, by=by, text=d["text"], customer_reaction=d["customer_reaction"], via="web")),
    Transition.CLOSE: (forms.CloseForm, lambda c, by, d: transitions.close(
        complaint_id=c, by=by, opinion=d["opinion"], via="web")),
    Transition.REOPEN: (forms.ReopenForm, lambda c, by, d: transitions.reopen(
        complaint_id=c, by=by, note=d["note"], via="web")),
    "opinion": (forms.OpinionForm, lambda c, by, d: transitions.record_opinion(
        complaint_id=c, by=by, opinion=d["opinion"], via="web")),
    "reaction": (forms.ReactionForm, lambda c, by, d: transitions.record_reaction(
        complaint_id=c, by=by, customer_reaction=d["customer_reaction"], via="web")),
}
EXTRA_LABELS = {"opinion": _lazy("记录处理意见"), "reaction": _lazy("记录客户评价")}


def _available(complaint: Complaint, user) -> list[str]:
    """Buttons the service would accept: the FSM's source stage and the person's permission."""
    names = [name for name in Transition.values
             if can_proceed(getattr(complaint, name), check_conditions=False) and can(user, name, complaint)]
    if complaint.repeat and complaint.is_open and can(user, "opinion", complaint):
        names.append("opinion")
    if complaint.stage in (ComplaintStage.REPLIED, ComplaintStage.CLOSED) and can(user, "reply", complaint):
        names.append("reaction")
    return names


def _page(request, complaint_pk: int, *, status=200, bound: tuple[str, object] | None = None) -> HttpResponse:
    try:
        complaint = selectors.complaint_for_page(complaint_pk)
    except Complaint.DoesNotExist:
        raise Http404 from None
    now = timezone.now()
    calendar = WorkCalendar.load()
    actions = []
    for name in _available(complaint, request.user):
        form_class, _run = ACTIONS[name]
        if bound and bound[0] == name:
            form = bound[1]
        else:
            form = form_class(auto_id=f"{name}-%s", initial={"opinion": complaint.handling_opinion})
        label = EXTRA_LABELS[name] if name in EXTRA_LABELS else Transition(name).label
        actions.append({"name": name, "label": label, "form": form})
    context = {
        "complaint": complaint, "now": now, "actions": actions,
        "countdowns": selectors.countdowns(complaint, calendar=calendar, now=now),
        "stages": ComplaintStage.choices,
    }
    return render(request, "complaints/detail.html", context, status=status)


@complaints_permission("view_complaint")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


@require_POST
@complaints_permission("view_complaint")
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in ACTIONS:
        raise Http404
    form_class, run = ACTIONS[name]
    form = form_class(request.POST, auto_id=f"{name}-%s")
    if not form.is_valid():
        return _page(request, pk, status=400, bound=(name, form))
    try:
        complaint = run(pk, request.user, form.cleaned_data)
    except DomainError as exc:
        _form_errors(form, exc)
        return _page(request, pk, status=exc.status_code, bound=(name, form))
    messages.success(request, _("已完成：%(action)s") % {
        "action": EXTRA_LABELS[name] if name in EXTRA_LABELS else Transition(name).label})
    return redirect("complaints:detail", pk=complaint.pk)


# --------------------------------------------------------------------------- dashboard panel
def panel_context(now=None) -> dict:
    return {"cmp": selectors.dashboard(now=now)}


@complaints_permission("view_complaint_dashboard")
def dashboard_panel(request: HttpRequest) -> HttpResponse:
    template = "complaints/_dashboard_panel.html" if _is_htmx(request) else "complaints/dashboard.html"
    return render(request, template, panel_context())
