"""What every page shares: who may see it, the page decorator, redirects and error messages."""
from __future__ import annotations

import functools
from collections.abc import Callable

from django import forms as djforms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from staff.models import User
from supportdesk.core.errors import DomainError, NotFound, ValidationFailed
from supportdesk.core.hooks import Panel, ticket_panels

from .. import selectors


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


def render_ticket_panels(request: HttpRequest, ticket) -> list[str]:
    """The HTML of the ticket-page panels other apps registered (``hooks.register_ticket_panel``)."""
    return [mark_safe(render_to_string(  # noqa: S308
        p.template, {**p.context(request, ticket), "request": request, "ticket": ticket}, request=request))
        for p in ticket_panels()]


def field_labels(form: djforms.Form | None) -> dict[str, str]:
    return {name: str(f.label) for name, f in form.fields.items() if f.label} if form is not None else {}


def error_text(err: DomainError, form: djforms.Form | None = None) -> str:
    """The domain error as people read it (its code's sentence, the form's labels); the wrong fields of the
    form get their sentence next to them."""
    labels = field_labels(form)
    if form is not None and isinstance(err, ValidationFailed):
        for name in err.field_errors:
            if name in form.fields and name not in (form.errors if form.is_bound else {}):
                form.add_error(name, err.human_for_field(name, labels))
    return err.human(labels)


def live_etag(request: HttpRequest, *args, **kwargs) -> str | None:
    """The fingerprint of what a polled part shows: the newest ticket event, the newest sweep, the minute, who
    asks, in which language, for which address. Unchanged → ``304 Not Modified``: a poll that finds nothing
    new costs two index look-ups, not a page (``django.views.decorators.http.condition``)."""
    if not _is_htmx(request) or not request.user.is_authenticated:
        return None
    return selectors.change_marker(request.user.pk, request.LANGUAGE_CODE, request.get_full_path())


def render_panels(request: HttpRequest, panels: list[Panel]) -> list[str]:
    """The HTML of the panels other apps registered (supportdesk/core/hooks.py), in their order."""
    return [mark_safe(render_to_string(p.template, p.render_context(request), request=request))  # noqa: S308
            for p in panels]


def ticket_or_404(request: HttpRequest, pk, *, for_page: bool = False):
    """The ticket if this person may see it (``selectors.ticket_for``); a hidden ticket is a 404 like a missing
    one. Every page and page action about a ticket starts here, before reading its form."""
    try:
        return selectors.ticket_for_page(request.user, pk) if for_page else selectors.ticket_for(request.user, pk)
    except NotFound:
        raise Http404(_("工单不存在")) from None
