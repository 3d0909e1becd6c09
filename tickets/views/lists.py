"""Any list of tickets, filtered as the address says (the API's filters), as a page or as CSV.

The dashboard's tiles and cells link here (``/tickets/?overdue=true``, ``?tier=gold&state=dispatched``…);
``&format=csv`` downloads the same list.
"""
from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import selectors
from ..api.filters import TicketFilter
from ._common import is_staff_reader, page

LIST_PAGE_SIZE = 100
CSV_LIMIT = 20000


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """A streamed CSV download (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


@page(is_staff_reader)
@require_GET
def ticket_list(request):
    qs = selectors.ticket_list(request.user)
    filters = TicketFilter(request.GET or None, queryset=qs, request=request)
    qs = filters.qs if not filters.is_bound or filters.is_valid() else qs.none()
    if request.GET.get("format") == "csv":
        header = [_("工单"), _("级别"), _("客户"), _("电路编号"), _("状态"), _("主导室"), _("发生时间"), _("下一时限"),
                  _("已超时")]
        rows = ([t.number, t.get_tier_display(), t.customer.name if t.customer_id else "", t.circuit_ref,
                 t.get_state_display(), str(t.lead_room or ""), _local(t.occurred_at), _local(t.next_due),
                 _("是") if t.has_breach else ""] for t in qs[:CSV_LIMIT].iterator(chunk_size=1000))
        return csv_response(f"tickets-{timezone.localtime():%Y%m%d-%H%M}.csv", header, rows)
    page_obj = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    now = timezone.now()
    return render(request, "tickets/list.html", {
        "tickets": list(page_obj.object_list), "page_obj": page_obj, "total": page_obj.paginator.count,
        "query": params.urlencode(), "filters": filters, "now": now, "due_soon": now + selectors.DUE_SOON,
    })
