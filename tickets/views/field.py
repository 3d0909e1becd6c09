"""The field engineer's phone view: my tickets and my room's."""
from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import condition, require_GET

from .. import selectors
from ._common import _is_htmx, is_engineer, live_etag, page


# --------------------------------------------------------------------------- field engineer's phone view
@page(is_engineer)
@require_GET
@condition(etag_func=live_etag)
def mine(request):
    mine_list, room_list = selectors.engineer_tickets(request.user)
    ctx = {"mine": mine_list, "room": room_list, "returned": selectors.returned_explanations(request.user),
           "help": selectors.help_requests_for_attention(request.user),
           **_now_ctx()}
    ctx["attention_count"] = len(ctx["returned"]) + len(ctx["help"]["mine"]) + len(ctx["help"]["to_answer"])
    template = "tickets/partials/mine_list.html" if _is_htmx(request) else "tickets/mine.html"
    return render(request, template, ctx)


def _now_ctx():
    now = timezone.now()
    return {"now": now, "due_soon": now + selectors.DUE_SOON}
