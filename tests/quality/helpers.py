"""Synthetic series posted through the ingest service."""
from __future__ import annotations

from datetime import datetime, timedelta

FIVE = timedelta(minutes=5)


def samples(circuit_id: str, indicator: str, start: datetime, values) -> list[dict]:
    return [{"circuit_id": circuit_id, "indicator": indicator, "at": (start + i * FIVE).isoformat(), "value": v}
            for i, v in enumerate(values)]
