"""The monitoring console (desktop): R-PRIO queue, hand-made tickets, triage, broadcasts; and home."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from customers.selectors import customers_for_choice
from supportdesk.core import hooks
from supportdesk.core.errors import DomainError

from .. import selectors, services
from ..forms import (
    CreateTicketForm,
    MatchCustomerForm,
    customer_label,
)
from ._common import (
    _form_errors,
    _next_url,
    is_engineer,
    is_manager,
    is_operator,
    is_staff_reader,
    page,
    render_panels,
    ticket_or_404,
)


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


def _triage_context() -> dict:
    """The triage rows, each with its match form; the customer list is read once, for one shared datalist."""
    rows = list(selectors.triage_queue()[:TRIAGE_LIMIT])
    customers = [(c.code, customer_label(c)) for c in customers_for_choice()] if rows else []
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
        "customer_updates_overdue": selectors.overdue_customer_updates(50),
        **_queue_context(request),
        "extra_panels": render_panels(request, hooks.console_panels()),
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
    """A monitoring operator opens a ticket by hand (docs/rules.md §3.1), dispatched at once when asked."""
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
    ticket = ticket_or_404(request, pk)
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
    qs = selectors.recent_broadcasts(request.user)
    number = request.GET.get("ticket", "").strip()
    if number:
        qs = qs.filter(ticket__number__icontains=number)
    page_obj = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "tickets/broadcasts.html", {"page_obj": page_obj, "ticket_filter": number})
