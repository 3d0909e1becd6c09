"""R-QUAL-SERIES: 15-minute and hourly rollups kept current from a watermark.

Each run reads only the samples above the ``rollup`` watermark (by id), merges them per bucket in memory and
upserts the deltas (count, sum, sum of squares, min, max) into the rollup tables: the work follows the number of new
samples, never the size of the tables. The watermark row is locked, so two runs never merge a sample twice.
"""
from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from ..models import Rollup1h, Rollup15m, Sample, Watermark
from ._watermark import committed_bound

BATCH = 100_000


def bucket_15m(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def bucket_1h(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def watermark(name: str, *, lock: bool = True) -> Watermark:
    Watermark.objects.get_or_create(name=name)
    qs = Watermark.objects.select_for_update() if lock else Watermark.objects
    return qs.get(name=name)


def roll_up(*, batch: int = BATCH, max_batches: int = 50) -> int:
    """Merge every committed new sample into the rollups; answers how many samples were merged."""
    bound = committed_bound()
    done = 0
    for _ in range(max_batches):
        merged = _roll_up_batch(bound=bound, batch=batch)
        done += merged
        if merged < batch:
            break
    return done


@transaction.atomic
def _roll_up_batch(*, bound: int, batch: int) -> int:
    mark = watermark("rollup")
    rows = list(
        Sample.objects.filter(id__gt=mark.last_sample_id, id__lte=bound).order_by("id")
        .values_list("id", "circuit_id", "indicator_id", "at", "value")[:batch]
    )
    if not rows:
        return 0
    quarter: dict[tuple, list[float]] = {}
    hourly: dict[tuple, list[float]] = {}
    for _, circuit_id, indicator_id, at, value in rows:
        for target, bucket in ((quarter, bucket_15m(at)), (hourly, bucket_1h(at))):
            acc = target.get((circuit_id, indicator_id, bucket))
            if acc is None:
                target[(circuit_id, indicator_id, bucket)] = [1, value, value * value, value, value]
            else:
                acc[0] += 1
                acc[1] += value
                acc[2] += value * value
                acc[3] = min(acc[3], value)
                acc[4] = max(acc[4], value)
    _upsert(Rollup15m, quarter)
    _upsert(Rollup1h, hourly)
    mark.last_sample_id = rows[-1][0]
    mark.updated_at = timezone.now()
    mark.save(update_fields=["last_sample_id", "updated_at"])
    return len(rows)


def _upsert(model, deltas: dict[tuple, list[float]]) -> None:
    table = model._meta.db_table
    keys = list(deltas)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} AS r (circuit_id, indicator_id, bucket, count, total, total_sq, minimum, maximum) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::int[], %s::float8[], "
                "%s::float8[], %s::float8[], %s::float8[]) "
                "ON CONFLICT (circuit_id, indicator_id, bucket) DO UPDATE SET "
                "count = r.count + EXCLUDED.count, total = r.total + EXCLUDED.total, "
                "total_sq = r.total_sq + EXCLUDED.total_sq, minimum = LEAST(r.minimum, EXCLUDED.minimum), "
                "maximum = GREATEST(r.maximum, EXCLUDED.maximum)",
                [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]]
                + [[deltas[k][i] for k in keys] for i in range(5)],
            )
            return
        adapt = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"INSERT INTO {table} (circuit_id, indicator_id, bucket, count, total, total_sq, minimum, maximum) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (circuit_id, indicator_id, bucket) DO UPDATE SET "
            "count = count + excluded.count, total = total + excluded.total, total_sq = total_sq + excluded.total_sq, "
            "minimum = MIN(minimum, excluded.minimum), maximum = MAX(maximum, excluded.maximum)",
            [(k[0], k[1], adapt(k[2]), *deltas[k]) for k in keys],
        )
