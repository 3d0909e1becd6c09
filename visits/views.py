"""Server-rendered pages for planning and recording customer visits (docs/rules.md §4).

Thin: check the visits permission, shape input with a form, call one service, and show a refused
action's domain error as a message with its HTTP status (the service changed nothing).
"""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from supportdesk.core import timebounds
from supportdesk.core.errors import DomainError, ValidationFailed
from tickets import selectors as ticket_selectors
from tickets.views import page

from . import forms, selectors, services
from .choices import CheckResult, VisitKind, VisitState
from .models import Visit


def visits_permission(perm: str):
    """The one page decorator (``tickets.views.page``: log-in, then the check) with a visits permission."""
    return page(lambda user: user.has_perm(f"visits.{perm}"))


# --------------------------------------------------------------------------- lists
@visits_permission("view_visit")
def visit_list(request: HttpRequest) -> HttpResponse:
    q = request.GET
    state = q.get("state", "") if q.get("state", "") in VisitState.values else ""
    kind = q.get("kind", "") if q.get("kind", "") in VisitKind.values else ""
    qs = selectors.visit_list(state=state, kind=kind, owner_id=request.user.pk if q.get("mine") else None)
    page = Paginator(qs, 30).get_page(q.get("page"))
    return render(request, "visits/list.html", {
        "page": page, "state": state, "kind": kind, "mine": bool(q.get("mine")),
        "states": VisitState.choices, "kinds": VisitKind.choices,
        "overdue_followups": selectors.overdue_followups(timezone.now()).filter(owner=request.user)[:10],
    })


@visits_permission("view_visit")
def agenda(request: HttpRequest) -> HttpResponse:
    """Upcoming visits by day (planned or confirmed), two weeks from the chosen day."""
    start = timebounds.parse_day(request.GET.get("start"), timezone.localdate())
    days = 14
    mine = bool(request.GET.get("mine"))
    return render(request, "visits/agenda.html", {
        "days": selectors.agenda(start=start, days=days, owner_id=request.user.pk if mine else None),
        "start": start, "end": start + timedelta(days=days - 1), "mine": mine,
        "previous": start - timedelta(days=days), "next": start + timedelta(days=days),
        "today": timezone.localdate(),
    })


@visits_permission("view_visit")
def coverage(request: HttpRequest) -> HttpResponse:
    """Visit coverage per tier and overdue follow-ups (docs/rules.md §4, for managers)."""
    now = timezone.now()
    return render(request, "visits/coverage.html", {
        "report": selectors.coverage_report(now),
        "overdue": selectors.overdue_followups(now)[:200],
    })


# --------------------------------------------------------------------------- one visit
@visits_permission("add_visit")
def visit_create(request: HttpRequest) -> HttpResponse:
    initial = {"customer": request.GET.get("customer"), "kind": request.GET.get("kind")}
    form = forms.VisitForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                visit = services.create_visit(
                    by=request.user, customer_id=d["customer"].pk, kind=d["kind"], planned_at=d["planned_at"],
                    place=d["place"], owner_id=d["owner"].pk if d["owner"] else None, subject=d["subject"],
                    notes=d["notes"], ticket_ids=d["ticket_numbers"],
                    checklist_template_id=d["checklist_template"].pk if d["checklist_template"] else None,
                )
            except DomainError as exc:
                _form_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("已创建拜访 %(number)s") % {"number": visit.number})
                return redirect("visits:detail", pk=visit.pk)
        else:
            status = 400
    return render(request, "visits/form.html", {"form": form, "title": _("安排拜访")}, status=status)


@visits_permission("change_visit")
def visit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(selectors.visits(), pk=pk)
    initial = {
        "kind": visit.kind, "planned_at": timezone.localtime(visit.planned_at), "place": visit.place,
        "subject": visit.subject, "owner": visit.owner_id, "checklist_template": visit.checklist_template_id,
        "notes": visit.notes, "summary": visit.summary,
        "ticket_numbers": " ".join(visit.tickets.values_list("number", flat=True)),
        "version": visit.version,
    }
    form = forms.VisitEditForm(request.POST or None, initial=initial, upcoming=visit.is_upcoming)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            changes = {k: d[k] for k in ("kind", "planned_at", "place", "subject", "notes", "summary") if k in d}
            if "owner" in d:
                changes["owner_id"] = d["owner"].pk if d["owner"] else None
            if "checklist_template" in d:
                changes["checklist_template_id"] = d["checklist_template"].pk if d["checklist_template"] else None
            if "ticket_numbers" in d:
                changes["ticket_ids"] = d["ticket_numbers"]
            try:
                services.update_visit(visit_id=visit.pk, by=request.user, expected_version=d.get("version"), **changes)
            except DomainError as exc:
                _form_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("已保存"))
                return redirect("visits:detail", pk=visit.pk)
        else:
            status = 400
    return render(request, "visits/form.html", {"form": form, "visit": visit,
                                                "title": _("修改拜访 %(number)s") % {"number": visit.number}},
                  status=status)


def _form_errors(form, exc: DomainError) -> None:
    if exc.field_errors:
        for field, errors in exc.field_errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.message)


def _auto_id(name: str) -> str:
    """The visit page holds many forms: each gets its own element ids, so every label points at its own field."""
    return f"{name.removesuffix('_form').replace('_', '-')}-%s"


def _detail_context(request: HttpRequest, visit: Visit, **forms_override) -> dict:
    user = request.user
    now_local = timezone.localtime().replace(second=0, microsecond=0)
    contact = " ".join(x for x in (str(user), user.phone) if x)
    for p in visit.problems.all():
        p.follow_up_form = forms.FollowUpForm(auto_id=f"problem{p.pk}-follow-up-%s")
        p.ticket_form = forms.ProblemTicketForm(auto_id=f"problem{p.pk}-ticket-%s")
    for d in visit.documents.all():
        d.review_form = forms.ReviewForm(auto_id=f"document{d.pk}-review-%s")
        d.notice_form = forms.NoticeForm(auto_id=f"document{d.pk}-notice-%s")
    # R-VISIT-1: the call usually goes to the customer's technical contact; offer the first one on file.
    callee = visit.customer.contacts.first() if visit.is_upcoming else None
    context = {
        "visit": visit,
        "can_change": user.has_perm("visits.change_visit"),
        "confirm_form": forms.ConfirmForm(auto_id=_auto_id("confirm_form"), initial={
            "called_at": now_local, "confirmed_time": timezone.localtime(visit.planned_at),
            "confirmed_place": visit.place, "contact_left": contact,
            "callee_name": callee.name if callee else "", "callee_phone": callee.phone if callee else "",
        }),
        "complete_form": forms.CompleteForm(auto_id=_auto_id("complete_form"), initial={"actual_at": now_local}),
        "cancel_form": forms.CancelForm(auto_id=_auto_id("cancel_form")),
        "participant_form": forms.ParticipantForm(auto_id=_auto_id("participant_form")),
        "customer_participant_form": forms.CustomerParticipantForm(auto_id=_auto_id("customer_participant_form")),
        "problem_form": forms.ProblemForm(auto_id=_auto_id("problem_form"), initial={"owner": user.pk}),
        "document_form": forms.DocumentForm(auto_id=_auto_id("document_form")),
        "link_ticket_form": forms.LinkTicketForm(auto_id=_auto_id("link_ticket_form")),
        "help_form": forms.HelpForm(auto_id=_auto_id("help_form")),
        "checklist": _checklist_rows(visit),
        "pending_reviews": {d.pk for d in visit.documents.all() for r in d.reviews.all()
                            if r.reviewer_id == user.pk and r.decision == "pending"},
        "check_results": CheckResult.choices,
        "today_date": timezone.localdate(),
    }
    context.update(forms_override)
    return context


def _checklist_rows(visit: Visit) -> list[dict]:
    if visit.checklist_template_id is None:
        return []
    results = {r.item_id: r for r in visit.inspection_results.all()}
    return [{"item": item, "result": results.get(item.pk)} for item in visit.checklist_template.items.all()]


@visits_permission("view_visit")
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        visit = selectors.visit_detail(pk)
    except Visit.DoesNotExist:
        return render(request, "visits/missing.html", status=404)
    return render(request, "visits/detail.html", _detail_context(request, visit))


# --------------------------------------------------------------------------- actions
def _confirm(request, visit, form):
    services.confirm_visit(visit_id=visit.pk, by=request.user, **form.cleaned_data)
    return _("已记录预约电话，拜访已确认")


def _complete(request, visit, form):
    services.complete_visit(visit_id=visit.pk, by=request.user, **form.cleaned_data)
    return _("拜访已完成")


def _cancel(request, visit, form):
    services.cancel_visit(visit_id=visit.pk, by=request.user, reason=form.cleaned_data["reason"])
    return _("拜访已取消")


def _participant(request, visit, form):
    d = form.cleaned_data
    services.add_participant(visit_id=visit.pk, by=request.user, user_id=d["user"].pk, kind=d["kind"],
                             lead_id=d["lead"].pk if d["lead"] else None)
    return _("已增加参加人员")


def _customer_participant(request, visit, form):
    services.add_customer_participant(visit_id=visit.pk, by=request.user, **form.cleaned_data)
    return _("已增加客户参加人员")


def _problem(request, visit, form):
    d = form.cleaned_data
    services.add_problem(visit_id=visit.pk, by=request.user, description=d["description"],
                         solved_on_site=d["solved_on_site"], solution=d["solution"],
                         owner_id=d["owner"].pk if d["owner"] else None, due_date=d["due_date"])
    return _("已记录问题")


def _link_ticket(request, visit, form):
    ticket = ticket_selectors.ticket_by_number(form.cleaned_data["number"].strip())
    if ticket is None:
        raise ValidationFailed.of("number", _("工单不存在"))
    services.link_ticket(visit_id=visit.pk, by=request.user, ticket_id=ticket.pk)
    return _("已关联工单 %(number)s") % {"number": ticket.number}


def _ask_help(request, visit, form):
    """R-HELP: ask a room leader or the centre leader for higher support from the visit."""
    from staff import help as help_service

    help_service.ask_for_help(by=request.user, asked_of=form.cleaned_data["asked_of"], subject_kind="visit",
                              subject_id=visit.pk, subject_label=str(visit)[:64], link=f"/visits/{visit.pk}/",
                              question=form.cleaned_data["question"])
    return _("已请求上级支持")


def _document(request, visit, form):
    d = form.cleaned_data
    services.create_document(visit_id=visit.pk, by=request.user, kind=d["kind"], title=d["title"],
                             template_id=d["template"].pk, body=d["body"],
                             reviewer_ids=[u.pk for u in d["reviewers"]])
    return _("文档已提交审核")


VISIT_ACTIONS = {
    "confirm": (forms.ConfirmForm, _confirm, "confirm_form"),
    "complete": (forms.CompleteForm, _complete, "complete_form"),
    "cancel": (forms.CancelForm, _cancel, "cancel_form"),
    "participant": (forms.ParticipantForm, _participant, "participant_form"),
    "customer-participant": (forms.CustomerParticipantForm, _customer_participant, "customer_participant_form"),
    "problem": (forms.ProblemForm, _problem, "problem_form"),
    "link-ticket": (forms.LinkTicketForm, _link_ticket, "link_ticket_form"),
    "document": (forms.DocumentForm, _document, "document_form"),
    "ask-help": (forms.HelpForm, _ask_help, "help_form"),
}


def _domain_message(exc: DomainError, form=None) -> str:
    """A refusal in words for a person: the rule's message, led by the field's label when the form has one
    (never the bare field code), and the same errors put next to the fields of the form."""
    if not exc.field_errors:
        return exc.message
    parts = []
    for field, errors in exc.field_errors.items():
        joined = _("；").join(errors)
        if form is not None and field in form.fields:
            form.add_error(field, errors)
            label = form.fields[field].label
            parts.append(_("%(label)s：%(errors)s") % {"label": label, "errors": joined})
        else:
            parts.append(joined)
    return _("；").join(parts)


def _refused(request, visit_id: int, status: int, message: str, **forms_override) -> HttpResponse:
    messages.error(request, message)
    visit = selectors.visit_detail(visit_id)
    return render(request, "visits/detail.html", _detail_context(request, visit, **forms_override), status=status)


def _form_message(form) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        joined = _("；").join(errors)
        parts.append(_("%(label)s：%(errors)s") % {"label": label, "errors": joined} if label else joined)
    return _("；").join(parts)


def _follow_up(request, problem, form):
    d = form.cleaned_data
    services.record_follow_up(problem_id=problem.pk, by=request.user, note=d["note"], close=d["close"],
                              due_date=d["due_date"])
    return _("已记录跟进")


def _problem_ticket(request, problem, form):
    ticket = services.raise_problem_ticket(problem_id=problem.pk, by=request.user, **form.cleaned_data)
    return _("已转为故障工单 %(number)s") % {"number": ticket.number}


PROBLEM_ACTIONS = {
    "follow-up": (forms.FollowUpForm, _follow_up, None),
    "ticket": (forms.ProblemTicketForm, _problem_ticket, None),
}


def _review(request, document, form):
    d = form.cleaned_data
    services.review_document(document_id=document.pk, by=request.user, approve=d["approve"], note=d["note"])
    return pgettext("review done", "已审核")


def _send(request, document, form):
    services.send_document(document_id=document.pk, by=request.user, notice=form.cleaned_data["notice"])
    return _("文档已发送")


def _received(request, document, form):
    services.record_document_received(document_id=document.pk, by=request.user, notice=form.cleaned_data["notice"])
    return _("已登记客户收到")


def _revise(request, document, form):
    services.revise_document(document_id=document.pk, by=request.user, body=form.cleaned_data["body"])
    return _("已修改，待重新审核")


DOCUMENT_ACTIONS = {
    "review": (forms.ReviewForm, _review, None),
    "send": (forms.NoticeForm, _send, None),
    "received": (forms.NoticeForm, _received, None),
    "revise": (forms.ReviseForm, _revise, None),
}


def _dispatch(request: HttpRequest, *, actions: dict, action: str, target, visit_id: int) -> HttpResponse:
    """The one way a page action runs: the action's form, then its service; a refusal re-renders the visit
    page with the message and the form's input kept, with the error's status; success redirects."""
    if action not in actions:
        return _refused(request, visit_id, 404, _("未知操作"))
    form_class, run, name = actions[action]
    form = form_class(request.POST, auto_id=_auto_id(name)) if name else form_class(request.POST)
    kept = {name: form} if name else {}
    if not form.is_valid():
        return _refused(request, visit_id, 400, _form_message(form), **kept)
    try:
        done = run(request, target, form)
    except DomainError as exc:
        return _refused(request, visit_id, exc.status_code, _domain_message(exc, form), **kept)
    messages.success(request, done)
    return redirect("visits:detail", pk=visit_id)


@require_POST
@visits_permission("change_visit")
def visit_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    visit = get_object_or_404(selectors.visits(), pk=pk)
    if action == "checklist":
        return _checklist(request, visit)
    return _dispatch(request, actions=VISIT_ACTIONS, action=action, target=visit, visit_id=visit.pk)


def _checklist(request: HttpRequest, visit: Visit) -> HttpResponse:
    results = []
    for key, value in request.POST.items():
        if key.startswith("result_") and value:
            item_id = key.removeprefix("result_")
            results.append({"item_id": item_id, "result": value, "note": request.POST.get(f"note_{item_id}", "")})
    try:
        services.record_inspection(visit_id=visit.pk, by=request.user, results=results)
    except DomainError as exc:
        return _refused(request, visit.pk, exc.status_code, _domain_message(exc))
    messages.success(request, _("巡检表已保存"))
    return redirect("visits:detail", pk=visit.pk)


@require_POST
@visits_permission("change_visit")
def problem_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    problem = get_object_or_404(selectors.problems(), pk=pk)
    return _dispatch(request, actions=PROBLEM_ACTIONS, action=action, target=problem, visit_id=problem.visit_id)


@require_POST
@visits_permission("change_visit")
def document_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    document = get_object_or_404(selectors.documents(), pk=pk)
    if document.visit_id is None:
        # R-VISIT-4: a document for the customer outside a visit is answered on the customer's correspondence page.
        from .correspondence_views import document_outside_visit

        return document_outside_visit(request, document, action)
    return _dispatch(request, actions=DOCUMENT_ACTIONS, action=action, target=document, visit_id=document.visit_id)
