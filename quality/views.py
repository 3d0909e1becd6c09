"""Quality pages (R-QUAL-SERIES, R-QUAL-DIAL, R-QUAL-STATS): thin, over selectors, stats and services."""
from __future__ import annotations

import csv
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk.core.errors import DomainError
from tickets.models import FaultTicket
from tickets.views._common import is_operator, is_staff_reader, page

from . import selectors, services, stats
from .charts import chart_payload, ticket_window
from .choices import DialTrigger, Granularity, WarningState
from .prober import configured_prober


@page(is_staff_reader)
def warnings_page(request):
    """Active warnings (all circuits) and the latest cleared ones."""
    return render(request, "quality/warnings.html", {
        "active": selectors.active_warnings(limit=200),
        "cleared": list(selectors.warnings(state=WarningState.CLEARED)[:50]),
    })


def _aware(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        return None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@page(is_staff_reader)
def circuit_page(request, circuit_id: str):
    """R-QUAL-SERIES: a circuit's trend chart (latest N intervals by default, any range), warnings, dial tests."""
    circuit = selectors.circuit_by_ref(circuit_id)
    if circuit is None:
        raise Http404(_("电路不存在"))
    indicators = selectors.indicators_for(circuit)
    code = request.GET.get("indicator") or (indicators[0].code if indicators else "")
    indicator = next((i for i in indicators if i.code == code), indicators[0] if indicators else None)
    granularity = request.GET.get("g") if request.GET.get("g") in Granularity.values else Granularity.FIVE_MINUTES
    start, end = _aware(request.GET.get("from")), _aware(request.GET.get("to"))
    error = ""
    if (request.GET.get("from") and start is None) or (request.GET.get("to") and end is None):
        error = _("时间格式不正确，例如 2026-11-30 08:00")
        start = end = None
    elif start and end and start >= end:
        error = _("结束时间须晚于开始时间")
        start = end = None
    chart = None
    if indicator is not None:
        columns = selectors.series_columns(circuit_pk=circuit.pk, indicator_pk=indicator.pk,
                                           granularity=granularity, start=start, end=end)
        chart = chart_payload(indicator, granularity, columns)
    return render(request, "quality/circuit.html", {
        "circuit": circuit, "indicators": indicators, "indicator": indicator, "granularity": granularity,
        "granularities": Granularity.choices, "chart": chart, "error": error,
        "from": request.GET.get("from", ""), "to": request.GET.get("to", ""),
        "warnings": list(selectors.warnings(circuit_ref=circuit.circuit_id)[:20]),
        "dial_tests": selectors.dial_tests(circuit_pk=circuit.pk),
        "prober": configured_prober() is not None,
        "dial_target": selectors.dial_target(circuit.pk),
        "can_dial": is_operator(request.user),
    })


@require_POST
@page(is_operator)
def dial_now(request, circuit_id: str):
    """R-QUAL-DIAL: the on-demand button."""
    circuit = selectors.circuit_by_ref(circuit_id)
    if circuit is None:
        raise Http404(_("电路不存在"))
    try:
        test = services.run_dial_test(circuit_id=circuit.circuit_id, trigger=DialTrigger.ON_DEMAND, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        level = messages.success if test.result == "pass" else messages.warning
        level(request, _("拨测%(r)s：%(d)s") % {"r": test.get_result_display(), "d": test.detail})
    return redirect("quality:circuit", circuit_id=circuit.circuit_id)


def _date(raw: str | None, default):
    value = parse_date(raw) if raw else None
    return value or default


@page(is_staff_reader)
def stats_page(request):
    """R-QUAL-STATS: by customer, circuit, service type, tier, room, cause, period; CSV export."""
    today = timezone.localdate()
    start_day = _date(request.GET.get("from"), today - timedelta(days=30))
    end_day = _date(request.GET.get("to"), today)
    if end_day < start_day:
        start_day, end_day = end_day, start_day
    dimension = request.GET.get("by") if request.GET.get("by") in stats.DIMENSIONS else "customer"
    tz = timezone.get_current_timezone()
    start = datetime.combine(start_day, time.min, tzinfo=tz)
    end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=tz)
    rep = stats.report(dimension=dimension, start=start, end=end)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="quality-{dimension}-{start_day}-{end_day}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
        writer = csv.writer(response)
        for row in stats.csv_rows(rep):
            writer.writerow(row)
        return response
    return render(request, "quality/stats.html", {
        "report": rep, "dimensions": stats.DIMENSIONS.items(), "dimension": dimension,
        "from": start_day.isoformat(), "to": end_day.isoformat(),
    })


def ticket_panel_context(request, ticket: FaultTicket) -> dict:
    """The circuit's series around the fault, for the ticket page (R-QUAL-SERIES), and its dial tests."""
    if ticket.circuit_id is None:
        return {"quality_charts": [], "quality_circuit": None}
    circuit = ticket.circuit
    start, end, granularity = ticket_window(ticket, now=timezone.now())
    charts = []
    for indicator in selectors.indicators_for(circuit):
        columns = selectors.series_columns(circuit_pk=circuit.pk, indicator_pk=indicator.pk,
                                           granularity=granularity, start=start, end=end)
        if columns["x"]:
            charts.append(chart_payload(indicator, granularity, columns, marks=[ticket.occurred_at, ticket.restored_at]))
    return {"quality_charts": charts, "quality_circuit": circuit, "quality_granularity": granularity,
            "quality_dial_tests": selectors.dial_tests(circuit_pk=circuit.pk, limit=5)}


def console_panel_context(request) -> dict:
    return {"quality_active": selectors.active_warnings(limit=20)}

