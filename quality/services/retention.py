"""R-QUAL-SERIES retention (policy, settings): 5-minute samples 90 days, 15-minute 1 year, hourly 3 years."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Rollup1h, Rollup15m, Sample

CHUNK = 50_000


def _delete_before(model, field: str, cutoff: datetime) -> int:
    """Delete in chunks of ids so one run never holds a huge transaction (the BRIN index on the time finds them)."""
    total = 0
    while True:
        ids = list(model.objects.filter(**{f"{field}__lt": cutoff}).values_list("id", flat=True)[:CHUNK])
        if not ids:
            return total
        total += model.objects.filter(id__in=ids)._raw_delete(model.objects.db)
        if len(ids) < CHUNK:
            return total


def apply_retention(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    days = getattr(settings, "QUALITY_RETENTION_DAYS", {"5m": 90, "15m": 365, "1h": 3 * 365})
    return {
        "5m": _delete_before(Sample, "at", now - timedelta(days=days["5m"])),
        "15m": _delete_before(Rollup15m, "bucket", now - timedelta(days=days["15m"])),
        "1h": _delete_before(Rollup1h, "bucket", now - timedelta(days=days["1h"])),
    }
