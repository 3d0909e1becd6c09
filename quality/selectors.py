"""The questions of the quality domain (reads for pages and the API)."""
from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from customers.models import Circuit

from .choices import GRANULARITY_STEP, Granularity, WarningState
from .models import DialTarget, Indicator, QualityDialTest, QualityWarning, Rollup1h, Rollup15m, Sample, ServiceIndicator

DEFAULT_POINTS = {Granularity.FIVE_MINUTES: 288, Granularity.FIFTEEN_MINUTES: 96 * 2, Granularity.HOUR: 24 * 7}
MAX_POINTS = 20_000


def circuit_by_ref(circuit_ref: str) -> Circuit | None:
    if "\x00" in circuit_ref or len(circuit_ref) > 64:
        return None
    return Circuit.objects.select_related("customer").filter(circuit_id=circuit_ref).first()


def indicator_by_code(code: str) -> Indicator | None:
    return Indicator.objects.filter(code=code).first() if code and len(code) <= 32 and "\x00" not in code else None


def dial_target(circuit_pk: int) -> DialTarget | None:
    return DialTarget.objects.filter(circuit_id=circuit_pk).first()


def indicators_for(circuit: Circuit) -> list[Indicator]:
    """R-QUAL-SERIES: the indicators measured on the circuit's service type."""
    return [si.indicator for si in ServiceIndicator.objects.filter(service_type=circuit.service_type)
            .select_related("indicator").order_by("indicator__position", "indicator__code")]


def _series_source(circuit_pk: int, indicator_pk: int, granularity: str):
    """The rows of a series at ``granularity``: (queryset, its time field, the value columns)."""
    if granularity == Granularity.FIVE_MINUTES:
        return Sample.objects.filter(circuit_id=circuit_pk, indicator_id=indicator_pk), "at", ("value",)
    model = Rollup15m if granularity == Granularity.FIFTEEN_MINUTES else Rollup1h
    return (model.objects.filter(circuit_id=circuit_pk, indicator_id=indicator_pk), "bucket",
            ("count", "total", "minimum", "maximum"))


def _window(qs, field: str, columns, *, granularity: str, start, end, latest) -> list[tuple]:
    """``columns`` of the series' rows, oldest first: those in [start, end), or the latest N when no range is
    given (one index range scan either way; at most ``MAX_POINTS``)."""
    if start is not None:
        qs = qs.filter(**{f"{field}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{field}__lt": end})
    if start is None and end is None:
        n = min(latest or DEFAULT_POINTS[Granularity(granularity)], MAX_POINTS)
        rows = list(qs.order_by(f"-{field}").values_list(*columns)[:n])
        rows.reverse()
        return rows
    return list(qs.order_by(field).values_list(*columns)[:MAX_POINTS])


def series(*, circuit_pk: int, indicator_pk: int, granularity: str, start: datetime | None = None,
           end: datetime | None = None, latest: int | None = None) -> list[dict]:
    """R-QUAL-SERIES: points ``{at, avg, min, max, count}`` of one series, oldest first: a time range, or the
    latest N intervals of the granularity (one index range scan either way)."""
    qs, field, cols = _series_source(circuit_pk, indicator_pk, granularity)
    rows = _window(qs, field, (field, *cols), granularity=granularity, start=start, end=end, latest=latest)
    if granularity == Granularity.FIVE_MINUTES:
        return [{"at": at, "avg": v, "min": v, "max": v, "count": 1} for at, v in rows]
    return [{"at": b, "avg": (t / c if c else None), "min": lo, "max": hi, "count": c} for b, c, t, lo, hi in rows]


def series_columns(*, circuit_pk: int, indicator_pk: int, granularity: str, start: datetime | None = None,
                   end: datetime | None = None, latest: int | None = None) -> dict:
    """R-QUAL-SERIES for a chart: the same points as :func:`series`, as columns ``x`` (epoch seconds), ``avg``,
    ``min``, ``max`` (min/max None at 5 minutes). On PostgreSQL the epoch is computed by the database, which spares
    turning thousands of timestamps into Python datetimes."""
    qs, field, cols = _series_source(circuit_pk, indicator_pk, granularity)
    if connection.vendor == "postgresql":
        table = qs.model._meta.db_table
        qs = qs.annotate(epoch=RawSQL(f'EXTRACT(EPOCH FROM "{table}"."{field}")::bigint', []))
        time_col = "epoch"
    else:
        time_col = field
    rows = _window(qs, field, (time_col, *cols), granularity=granularity, start=start, end=end, latest=latest)
    xs = [r[0] if isinstance(r[0], int) else int(r[0].timestamp()) for r in rows]
    if granularity == Granularity.FIVE_MINUTES:
        return {"x": xs, "avg": [r[1] for r in rows], "min": None, "max": None}
    return {"x": xs, "avg": [(r[2] / r[1] if r[1] else None) for r in rows], "min": [r[3] for r in rows],
            "max": [r[4] for r in rows]}


def step_of(granularity: str):
    return GRANULARITY_STEP[Granularity(granularity)]


def warnings(*, state: str | None = None, circuit_ref: str | None = None) -> QuerySet[QualityWarning]:
    qs = QualityWarning.objects.select_related("circuit", "indicator", "ticket")
    if state:
        qs = qs.filter(state=state)
    if circuit_ref:
        qs = qs.filter(circuit__circuit_id=circuit_ref)
    return qs.order_by("-started_at", "-pk")


def active_warnings(limit: int = 50) -> list[QualityWarning]:
    return list(warnings(state=WarningState.ACTIVE).select_related("circuit__customer")[:limit])


def dial_tests(*, circuit_pk: int, limit: int = 10) -> list[QualityDialTest]:
    return list(QualityDialTest.objects.filter(circuit_id=circuit_pk).order_by("-at")[:limit])
