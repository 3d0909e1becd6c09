"""The monitoring console (desktop): R-PRIO queue, hand-made tickets, triage, broadcasts; and home."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET, require_http_methods

from customers.choices import Tier
from customers.selectors import customer_suggestions
from staff.choices import Role
from supportdesk.core import hooks
from supportdesk.core.errors import DomainError

from .. import selectors, services
from ..api.filters import TicketFilter
from ..forms import (
    CreateTicketForm,
    MatchCustomerForm,
    customer_label,
)
from ._common import (
    _form_errors,
    _next_url,
    error_text,
    is_engineer,
    is_manager,
    is_operator,
    is_staff_reader,
    live_etag,
    page,
    render_panels,
    ticket_or_404,
)


# --------------------------------------------------------------------------- home
@page(lambda u: True)
def home(request):
    """Each person lands on their page: monitoring → console, managers/leaders → dashboard, support engineers →
    their visits, other engineers → phone."""
    user = request.user
    if is_operator(user):
        return redirect("tickets:console")
    if is_manager(user):
        return redirect("tickets:dashboard")
    if user.has_role(Role.SUPPORT_ENGINEER) and user.has_perm("visits.view_visit"):
        return redirect("visits:list")  # their visits first; their tickets are one tap away (/m/)
    if is_engineer(user):
        return redirect("tickets:mine")
    return render(request, "tickets/forbidden.html", status=403)


# --------------------------------------------------------------------------- monitoring console
QUEUE_PAGE_SIZE = 100
TRIAGE_LIMIT = 50
PHONE_LIMIT = 50
UNDISPATCHED_LIMIT = 50


CUSTOMER_SUGGESTIONS = 50


def _customer_codes(text: str = "") -> list[tuple[str, str]]:
    """(code, label) of the customers suggested for ``text`` (``customers.selectors.customer_suggestions``)."""
    return [(c.code, customer_label(c)) for c in customer_suggestions(text, limit=CUSTOMER_SUGGESTIONS)]


def _triage_context(bound: tuple[int, MatchCustomerForm] | None = None) -> dict:
    """The triage rows, each with its match form (its customer field suggests from the page's one datalist).
    ``bound``: the row whose match was just refused, with the operator's input."""
    rows = list(selectors.triage_queue()[:TRIAGE_LIMIT])
    return {
        "triage": [(ticket, bound[1] if bound and bound[0] == ticket.pk else MatchCustomerForm(prefix=f"t{ticket.pk}"))
                   for ticket in rows],
        "triage_total": selectors.bounded_count(rows, selectors.triage_queue(), TRIAGE_LIMIT),
    }


def _undispatched_context() -> dict:
    """New tickets of known customers waiting for dispatch: the oldest ``UNDISPATCHED_LIMIT`` and how many in all."""
    rows = list(selectors.undispatched()[:UNDISPATCHED_LIMIT])
    return {"undispatched": rows,
            "undispatched_total": selectors.bounded_count(rows, selectors.undispatched(), UNDISPATCHED_LIMIT)}


def _console_context(request, create_form=None, triage_bound=None):
    counts = selectors.console_view_counts(request.user)
    return {
        "views": _console_views(request, counts),
        "view_counts": counts,
        "canonical_url": reverse("tickets:console"),
        "create_form": create_form or CreateTicketForm(),
        **_triage_context(triage_bound),
        "customer_codes": _customer_codes(),
        **_undispatched_context(),
        "phone_calls": list(selectors.pending_phone_calls()[:PHONE_LIMIT]),
        "phone_total": selectors.pending_phone_calls().count(),
        "broadcasts": list(selectors.recent_broadcasts()[:8]),
        "customer_updates_overdue": selectors.overdue_customer_updates(50),
        **_queue_context(request),
        "extra_panels": render_panels(request, hooks.console_panels()),
    }


CONSOLE_FILTERS = ("state", "tier", "needs_triage", "overdue", "mine", "my_room", "q")


def _console_views(request, counts: dict) -> list[dict]:
    """The console's views as links with their counts; the current one is marked."""
    current = {k: v for k, v in request.GET.items() if k in CONSOLE_FILTERS and v}
    views = [("all", _("全部"), {}), ("mine", _("我的"), {"mine": "true"}), ("my_room", _("本室"), {"my_room": "true"}),
             ("overdue", _("超时"), {"overdue": "true"}), ("needs_triage", _("待匹配"), {"needs_triage": "true"})]
    views += [(f"tier_{t}", label, {"tier": t}) for t, label in Tier.choices]
    return [{"key": key, "label": label, "count": counts.get(key, 0), "url": "?" + urlencode(params),
             "current": params == current} for key, label, params in views]


def _queue_context(request):
    """R-PRIO queue, a page at a time, filtered as the address says (the API's filters): the most important
    tickets come first, so page 1 is what matters."""
    now = timezone.now()
    filters = TicketFilter(request.GET or None, queryset=selectors.open_queue(), request=request)
    qs = filters.qs if not filters.is_bound or filters.is_valid() else selectors.open_queue().none()
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {"queue": list(page.object_list), "queue_page": page, "queue_total": page.paginator.count,
            "queue_filters": filters, "queue_query": params.urlencode(),
            "filtered": any(request.GET.get(k) for k in CONSOLE_FILTERS),
            "now": now, "due_soon": now + selectors.DUE_SOON}


@page(is_operator)
@require_GET
def console(request):
    return render(request, "tickets/console.html", _console_context(request))


@page(is_operator)
@require_GET
def customer_options(request):
    """The ``<option>``s of the console's customer suggestions for what the operator typed in a customer field
    (htmx sends the field under its own name, ``customer`` or ``t<ticket>-customer``; ``q`` also works)."""
    text = next((value for key, value in request.GET.items() if key == "q" or key.endswith("customer")), "")
    return render(request, "tickets/partials/customer_options.html", {"customer_codes": _customer_codes(text[:100])})


@page(is_operator)
@require_GET
@condition(etag_func=live_etag)
def console_queue(request):
    """The console's live parts, polled: the queue (with the address's filters), the triage list, the phone
    checklist and the view counts."""
    part = request.GET.get("part", "")
    if part == "triage":
        return render(request, "tickets/partials/triage.html", _triage_context())
    if part == "phone":
        return render(request, "tickets/partials/phone_checklist.html",
                      {"phone_calls": list(selectors.pending_phone_calls()[:PHONE_LIMIT]),
                       "phone_total": selectors.pending_phone_calls().count()})
    if part == "views":
        return render(request, "tickets/partials/console_views.html",
                      {"views": _console_views(request, selectors.console_view_counts(request.user))})
    return render(request, "tickets/partials/queue.html", _queue_context(request))


@page(is_operator)
@require_http_methods(["GET", "POST"])
def create_ticket(request):
    """A monitoring operator opens a ticket by hand (docs/rules.md §3.1), dispatched at once when asked.

    A refusal re-renders the console with the input kept and the error next to the field; a GET of this
    address (refresh, Back) goes to the console."""
    if request.method != "POST":
        return redirect("tickets:console")
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
        messages.error(request, error_text(err, form))
        return render(request, "tickets/console.html", _console_context(request, form), status=err.status_code)
    messages.success(request, _("已创建工单 %(number)s（%(state)s）") % {
        "number": ticket.number, "state": ticket.get_state_display()})
    return redirect("tickets:detail", pk=ticket.pk)


@page(is_operator)
@require_http_methods(["GET", "POST"])
def triage(request, pk):
    """Triage an unmatched alarm: match the customer (its tier's policy applies), then dispatch (R-LEAD)."""
    if request.method != "POST":
        return redirect(f"{reverse('tickets:console')}#triage")
    ticket = ticket_or_404(request, pk)
    form = MatchCustomerForm(request.POST, prefix=f"t{pk}")
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return render(request, "tickets/console.html", _console_context(request, triage_bound=(pk, form)),
                      status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            ticket = services.match_customer(ticket_id=ticket.pk, by=request.user, customer_id=data["customer"].pk,
                                             circuit_id=data["circuit_id"].strip())
            if data["dispatch_now"]:
                ticket = services.dispatch(ticket_id=ticket.pk, by=request.user)
    except DomainError as err:
        messages.error(request, error_text(err, form))
        return render(request, "tickets/console.html", _console_context(request, triage_bound=(pk, form)),
                      status=err.status_code)
    messages.success(request, _("工单 %(number)s 已匹配 %(customer)s（%(state)s）") % {
        "number": ticket.number, "customer": ticket.customer.name, "state": ticket.get_state_display()})
    return redirect(_next_url(request, reverse("tickets:console")))


@page(is_staff_reader)
@require_GET
def broadcasts(request):
    """Every status broadcast (R-BCAST), newest first."""
    qs = selectors.recent_broadcasts(request.user)
    number = request.GET.get("ticket", "").strip()
    if number:
        qs = qs.filter(ticket__number__icontains=number)
    page_obj = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "tickets/broadcasts.html", {"page_obj": page_obj, "ticket_filter": number})
