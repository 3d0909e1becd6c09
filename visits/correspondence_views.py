"""Pages for all correspondence with a customer (R-VISIT-4, docs/rules.md §4): the customer's correspondence list,
a document for the customer outside a visit (template → one or two reviewers → send → the customer told), and a
document received from the customer, registered and acknowledged. Reached from a visit, a ticket or the dashboard.

Thin like ``visits.views``: a form shapes the input, one service decides; a refusal re-renders the page with the
input kept and the error's status.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Customer
from supportdesk.core.errors import DomainError

from . import forms, selectors, services
from .models import IncomingDocument
from .views import DOCUMENT_ACTIONS, _auto_id, _domain_message, _form_message, visits_permission


def _context_ids(request: HttpRequest) -> dict:
    """The visit or ticket the page was opened from (``?visit=`` / ``?ticket=``), kept on its forms."""
    ids = {}
    for key in ("visit", "ticket"):
        value = request.GET.get(key) or request.POST.get(key) or ""
        if value.isdigit():
            ids[key] = int(value)
    return ids


def _page(request: HttpRequest, customer: Customer, *, status: int = 200, **forms_override) -> HttpResponse:
    user = request.user
    ids = _context_ids(request)
    rows = selectors.customer_correspondence(customer.pk)
    for d in rows["outgoing"]:
        d.review_form = forms.ReviewForm(auto_id=f"document{d.pk}-review-%s")
        d.notice_form = forms.NoticeForm(auto_id=f"document{d.pk}-notice-%s")
    for doc in rows["incoming"]:
        doc.ack_form = forms.AcknowledgeForm(auto_id=f"incoming{doc.pk}-ack-%s")
    now_local = timezone.localtime().replace(second=0, microsecond=0)
    context = {
        "customer": customer,
        "outgoing": rows["outgoing"],
        "incoming": rows["incoming"],
        "from_visit": ids.get("visit"),
        "from_ticket": ids.get("ticket"),
        "can_change": user.has_perm("visits.change_visit"),
        "pending_reviews": {d.pk for d in rows["outgoing"] for r in d.reviews.all()
                            if r.reviewer_id == user.pk and r.decision == "pending"},
        "incoming_form": forms.IncomingDocumentForm(auto_id=_auto_id("incoming_form"),
                                                    initial={"received_at": now_local, **ids}),
        "document_form": forms.CustomerDocumentForm(auto_id=_auto_id("customer_document_form"),
                                                    initial={"ticket": ids.get("ticket")}),
    }
    context.update(forms_override)
    return render(request, "visits/correspondence.html", context, status=status)


def _back(customer_id: int, request: HttpRequest):
    url = reverse("visits:correspondence", args=[customer_id])
    ids = _context_ids(request)
    query = "&".join(f"{k}={v}" for k, v in ids.items())
    return redirect(f"{url}?{query}" if query else url)


@visits_permission("view_visit")
def correspondence(request: HttpRequest, customer_id: int) -> HttpResponse:
    """R-VISIT-4: everything sent to and received from one customer."""
    return _page(request, get_object_or_404(Customer, pk=customer_id))


@require_POST
@visits_permission("change_visit")
def register_incoming(request: HttpRequest, customer_id: int) -> HttpResponse:
    """R-VISIT-4: a document received from the customer is registered (what, from whom, when)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    form = forms.IncomingDocumentForm(request.POST, auto_id=_auto_id("incoming_form"))
    if not form.is_valid():
        messages.error(request, _form_message(form))
        return _page(request, customer, status=400, incoming_form=form)
    d = form.cleaned_data
    try:
        services.register_incoming_document(by=request.user, customer_id=customer.pk, kind=d["kind"],
                                            title=d["title"], sender=d["sender"], received_at=d["received_at"],
                                            visit_id=d["visit"], ticket_id=d["ticket"])
    except DomainError as exc:
        messages.error(request, _domain_message(exc, form))
        return _page(request, customer, status=exc.status_code, incoming_form=form)
    messages.success(request, _("已登记客户来文，请告知客户已收到"))
    return _back(customer.pk, request)


@require_POST
@visits_permission("change_visit")
def acknowledge_incoming(request: HttpRequest, pk: int) -> HttpResponse:
    """R-VISIT-4: the customer is told their document was received."""
    document = get_object_or_404(IncomingDocument.objects.select_related("customer"), pk=pk)
    form = forms.AcknowledgeForm(request.POST, auto_id=f"incoming{pk}-ack-%s")
    if not form.is_valid():
        messages.error(request, _form_message(form))
        return _page(request, document.customer, status=400)
    try:
        services.acknowledge_incoming_document(document_id=pk, by=request.user,
                                               acknowledgement=form.cleaned_data["acknowledgement"])
    except DomainError as exc:
        messages.error(request, _domain_message(exc, form))
        return _page(request, document.customer, status=exc.status_code)
    messages.success(request, _("已记录告知客户收到"))
    return _back(document.customer_id, request)


@require_POST
@visits_permission("change_visit")
def create_outgoing(request: HttpRequest, customer_id: int) -> HttpResponse:
    """R-VISIT-4: a document for the customer outside a visit, submitted to one or two reviewers."""
    customer = get_object_or_404(Customer, pk=customer_id)
    form = forms.CustomerDocumentForm(request.POST, auto_id=_auto_id("customer_document_form"))
    if not form.is_valid():
        messages.error(request, _form_message(form))
        return _page(request, customer, status=400, document_form=form)
    d = form.cleaned_data
    try:
        services.create_document(customer_id=customer.pk, ticket_id=d["ticket"], by=request.user, kind=d["kind"],
                                 title=d["title"], template_id=d["template"].pk, body=d["body"],
                                 reviewer_ids=[u.pk for u in d["reviewers"]])
    except DomainError as exc:
        messages.error(request, _domain_message(exc, form))
        return _page(request, customer, status=exc.status_code, document_form=form)
    messages.success(request, _("文档已提交审核"))
    return _back(customer.pk, request)


def document_outside_visit(request: HttpRequest, document, action: str) -> HttpResponse:
    """R-VISIT-4: review, send, the customer's receipt and revision of a document that belongs to no visit — the
    same actions and services as a visit's document, answered on the customer's correspondence page."""
    customer = document.customer
    if action not in DOCUMENT_ACTIONS:
        messages.error(request, _("未知操作"))
        return _page(request, customer, status=404)
    form_class, run, _name = DOCUMENT_ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _form_message(form))
        return _page(request, customer, status=400)
    try:
        done = run(request, document, form)
    except DomainError as exc:
        messages.error(request, _domain_message(exc, form))
        return _page(request, customer, status=exc.status_code)
    messages.success(request, done)
    return _back(customer.pk, request)
