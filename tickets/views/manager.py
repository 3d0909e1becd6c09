"""The manager's escalation dashboard and the R-EXPLAIN review queue."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET, require_http_methods

from staff import help as help_service
from supportdesk.core import hooks
from supportdesk.core.errors import DomainError

from .. import selectors, services
from ..choices import TicketState
from ..forms import (
    ReviewExplanationForm,
)
from ._common import (
    _form_errors,
    _is_htmx,
    _next_url,
    error_text,
    is_manager,
    live_etag,
    page,
    render_panels,
    ticket_or_404,
)
from .lists import CSV_LIMIT, _local, csv_response

DASHBOARD_LIST_LIMIT = 50


# --------------------------------------------------------------------------- manager's dashboard
RANGES = (1, 7, 30, 90)


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", 7))
    except ValueError:
        return 7
    return days if days in RANGES else 7


def _dashboard_context(request) -> dict:
    now = timezone.now()
    days = _days(request)
    today, week = selectors.start_of_day(now), selectors.start_of_week(now)
    since = now - timedelta(days=days)
    if days in (7, 30):
        # The summary row beat keeps (7 and 30 days, the 7-day chart): not recomputed per request.
        figures = selectors.window_figures(now)
        stats = [entry for entry in figures["stats"] if entry[0] == days]
        met_by_kind = [entry for entry in figures["met_by_kind"] if entry[0] == days]
        series = figures["series"] if days == 7 else selectors.open_and_breached_series(
            days=days, step_hours=max(1, days * 24 // 28), now=now)
        figures_at = figures["at"]
    else:
        stats = [(days, selectors.tier_stats(days, now))]
        met_by_kind = [(days, selectors.deadlines_met_by_kind(days, now))]
        series = selectors.open_and_breached_series(days=days, step_hours=max(1, days * 24 // 28), now=now)
        figures_at = now
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
        "breaches_today": {"count": selectors.breach_count_since(today)},  # the tiles show counts only
        "breaches_week": {"count": selectors.breach_count_since(week)},
        "breaches_range": selectors.breaches_since(since),
        "days": days,
        "ranges": RANGES,
        "since": since,
        "today": today,
        "week": week,
        "stats": stats,
        "met_by_kind": met_by_kind,
        "customer_updates_overdue": selectors.overdue_customer_updates(DASHBOARD_LIST_LIMIT, now),
        "help_unanswered": list(help_service.unanswered_for(request.user)[:DASHBOARD_LIST_LIMIT]),
        "chart": _chart(series),
        "figures_at": figures_at,
        "sweep": selectors.last_sweep(now),
        "explanations": selectors.explanations_awaiting(),
        "review_form": ReviewExplanationForm(),
        "health_warnings": hooks.current_health_warnings(),
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


def _breaches_csv(request):
    since = timezone.now() - timedelta(days=_days(request))
    rows = selectors.breaches_since(since, limit=CSV_LIMIT)
    header = [_("时间"), _("工单"), _("客户"), _("类别"), _("室"), _("到期")]
    lines = [[_local(x.at), x.ticket.number, x.ticket.customer.name if x.ticket.customer_id else "",
              x.get_kind_display(), str(x.room or ""), ""] for x in rows["arrival"]]
    lines += [[_local(d.breached_at), d.ticket.number, d.ticket.customer.name if d.ticket.customer_id else "",
               d.get_kind_display(), "", _local(d.due_at)] for d in rows["deadlines"]]
    lines.sort(key=lambda r: r[0], reverse=True)
    return csv_response(f"breaches-{timezone.localtime():%Y%m%d-%H%M}.csv", header, lines)


def _explanations_csv(request):
    """R-EXPLAIN: the review queue — drafts awaiting approval, then approved ones not yet released."""
    queue = selectors.explanations_awaiting()
    header = [_("工单"), _("客户"), _("状态"), _("起草人"), _("起草时间"), _("审核人"), _("审核时间"), _("解释内容")]
    lines = [[x.ticket.number, x.ticket.customer.name if x.ticket.customer_id else "", x.get_state_display(),
              str(x.drafted_by), _local(x.drafted_at), str(x.reviewed_by or ""), _local(x.reviewed_at), x.text]
             for x in [*queue["drafts"], *queue["approved"]][:CSV_LIMIT]]
    return csv_response(f"explanations-{timezone.localtime():%Y%m%d-%H%M}.csv", header, lines)


def _help_csv(request):
    """R-HELP: the unanswered help requests this leader must see, oldest first."""
    rows = help_service.unanswered_for(request.user).order_by("asked_at")[:CSV_LIMIT]
    header = [_("请求时间"), _("工单或拜访"), _("请求人"), _("请求对象"), _("室"), _("需要的支持")]
    lines = ([_local(h.asked_at), h.subject_label, str(h.asked_by), h.get_asked_of_display(), str(h.room or ""),
              h.question] for h in rows)
    return csv_response(f"help-requests-{timezone.localtime():%Y%m%d-%H%M}.csv", header, lines)


def _customer_updates_csv(request):
    """R-CUST-UPDATE: customer updates owed and not made in time, oldest first."""
    rows = selectors.overdue_customer_updates(CSV_LIMIT)
    header = [_("工单"), _("级别"), _("客户"), _("状态"), _("应通报时间"), _("已超时")]
    lines = [[d.ticket.number, d.ticket.get_tier_display(), d.ticket.customer.name if d.ticket.customer_id else "",
              d.ticket.get_state_display(), _local(d.due_at), _local(d.breached_at)] for d in rows]
    return csv_response(f"customer-updates-overdue-{timezone.localtime():%Y%m%d-%H%M}.csv", header, lines)


_EXPORTS = {"breaches": _breaches_csv, "explanations": _explanations_csv, "help": _help_csv,
            "customer_updates": _customer_updates_csv}


@page(is_manager)
@require_GET
@condition(etag_func=live_etag)
def dashboard(request):
    export = _EXPORTS.get(request.GET.get("export", ""))
    if export is not None:
        return export(request)
    if _is_htmx(request) and request.GET.get("part") == "queues":
        return render(request, "tickets/partials/dashboard_queues.html", {
            "customer_updates_overdue": selectors.overdue_customer_updates(DASHBOARD_LIST_LIMIT),
            "help_unanswered": list(help_service.unanswered_for(request.user)[:DASHBOARD_LIST_LIMIT])})
    if _is_htmx(request) and request.GET.get("part") == "explanations":
        return render(request, "tickets/partials/explanations.html",
                      {"explanations": selectors.explanations_awaiting()})
    if _is_htmx(request):
        return render(request, "tickets/partials/dashboard_panel.html", _dashboard_context(request))
    return render(request, "tickets/dashboard.html",
                  {**_dashboard_context(request), "extra_panels": render_panels(request, hooks.dashboard_panels())})


@page(lambda u: u.has_perm("tickets.approve_explanation") or u.has_perm("tickets.draft_explanation"))
@require_http_methods(["GET", "POST"])
def explanation_review(request, pk):
    """R-EXPLAIN: the support-room manager approves the wording or returns it with a note."""
    if request.method != "POST":
        return redirect(f"{reverse('tickets:dashboard')}#explanations")
    explanation = _explanation_or_404(request, pk)
    form = ReviewExplanationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back_with_error(request, 400)
    data = form.cleaned_data
    try:
        services.review_explanation(explanation_id=explanation.pk, by=request.user,
                                    approve=data["decision"] == "approve", note=data["note"])
    except DomainError as err:
        messages.error(request, error_text(err))
        return _back_with_error(request, err.status_code)
    if data["decision"] == "approve":
        messages.success(request, _("工单 %(number)s 的故障解释已审核通过") % {"number": explanation.ticket.number})
    else:
        messages.success(request, _("工单 %(number)s 的故障解释已退回") % {"number": explanation.ticket.number})
    return redirect(_next_url(request, reverse("tickets:dashboard") + "#explanations"))


@page(lambda u: u.has_perm("tickets.approve_explanation") or u.has_perm("tickets.draft_explanation"))
@require_http_methods(["GET", "POST"])
def explanation_release(request, pk):
    """R-EXPLAIN: only an approved explanation is released to the customer."""
    if request.method != "POST":
        return redirect(f"{reverse('tickets:dashboard')}#explanations")
    explanation = _explanation_or_404(request, pk)
    try:
        services.release_explanation(explanation_id=explanation.pk, by=request.user)
    except DomainError as err:
        messages.error(request, error_text(err))
        return _back_with_error(request, err.status_code)
    messages.success(request, _("工单 %(number)s 的故障解释已发布给客户") % {"number": explanation.ticket.number})
    return redirect(_next_url(request, reverse("tickets:dashboard") + "#explanations"))


@page(is_manager)
@require_http_methods(["GET", "POST"])
def help_answer(request, pk):
    """R-HELP: the leader asked answers a request for higher support."""
    if request.method != "POST":
        return redirect(f"{reverse('tickets:dashboard')}#help-unanswered")
    try:
        help_service.answer_help(request_id=pk, by=request.user, answer=request.POST.get("answer", ""))
    except DomainError as err:
        messages.error(request, error_text(err))
        return _back_with_error(request, err.status_code)
    messages.success(request, _("已答复"))
    return redirect(_next_url(request, reverse("tickets:dashboard") + "#help-unanswered"))


def _explanation_or_404(request, pk):
    """The explanation, if it exists and this person may see its ticket (``selectors.ticket_for``)."""
    explanation = selectors.explanation(pk)
    if explanation is None:
        raise Http404(pk)
    ticket_or_404(request, explanation.ticket_id)
    return explanation


def _back_with_error(request, status: int) -> HttpResponse:
    if is_manager(request.user):
        return render(request, "tickets/dashboard.html", {
            **_dashboard_context(request), "canonical_url": reverse("tickets:dashboard"),
            "extra_panels": render_panels(request, hooks.dashboard_panels())},
            status=status)
    return render(request, "tickets/forbidden.html", status=status)
