"""R-QUAL-SERIES: sample ingest (partial acceptance, duplicates) and the incremental rollups."""
from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine

from quality import selectors
from quality.models import Indicator, Rollup1h, Rollup15m, Sample
from quality.services import ingest_samples, roll_up
from tests import factories as f

from .helpers import samples

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_good_samples_are_kept_and_bad_ones_named_by_index():
    """R-QUAL-SERIES: partial acceptance; every wrong field is named per sample."""
    circuit = f.CircuitFactory()
    body = samples(circuit.circuit_id, "latency_ms", START, [10, 11])
    body.append({"circuit_id": "NOPE", "indicator": "latency_ms", "at": START.isoformat(), "value": 1})
    body.append({"circuit_id": circuit.circuit_id, "indicator": "bogus", "at": "yesterday", "value": "x"})
    body.append({"circuit_id": circuit.circuit_id, "indicator": "loss_pct", "at": (NOW + timedelta(hours=1)).isoformat(),
                 "value": 0})
    outcome = ingest_samples(samples=body)
    assert outcome.accepted == 2 and outcome.duplicates == 0
    assert [r["index"] for r in outcome.rejected] == [2, 3, 4]
    assert set(outcome.rejected[1]["errors"]) == {"indicator", "at", "value"}
    assert "circuit_id" in outcome.rejected[0]["errors"]
    assert Sample.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_repeated_sample_replaces_nothing_and_counts_as_duplicate():
    """R-QUAL-SERIES: unique per (circuit, indicator, at); a repeat is a duplicate, the first value stays."""
    circuit = f.CircuitFactory()
    ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", START, [10]))
    again = samples(circuit.circuit_id, "latency_ms", START, [99, 12])
    again.append(again[1])  # repeated inside the same request too
    outcome = ingest_samples(samples=again)
    assert (outcome.accepted, outcome.duplicates) == (1, 2)
    assert sorted(Sample.objects.values_list("value", flat=True)) == [10, 12]


@time_machine.travel(NOW, tick=False)
def test_the_same_instant_twice_in_a_new_batch_is_one_sample_and_one_duplicate():
    """R-QUAL-SERIES: a batch with nothing stored before is copied in whole; an instant repeated inside it (written
    with another offset, another value) is still a duplicate, the first value kept, the rest of the batch stored."""
    circuit = f.CircuitFactory()
    body = samples(circuit.circuit_id, "latency_ms", START, [10, 11, 12])
    body.append({"circuit_id": circuit.circuit_id, "indicator": "latency_ms",
                 "at": START.astimezone(timezone(timedelta(hours=8))).isoformat(), "value": 99})
    outcome = ingest_samples(samples=body)
    assert (outcome.accepted, outcome.duplicates, outcome.rejected) == (3, 1, [])
    assert sorted(Sample.objects.values_list("at", "value")) == [(START + i * timedelta(minutes=5), v)
                                                                  for i, v in enumerate([10, 11, 12])]


@time_machine.travel(NOW, tick=False)
def test_the_stored_instant_and_value_are_the_posted_ones_to_the_microsecond():
    """R-QUAL-SERIES: the rows are packed for a binary COPY by hand; what is read back is what was posted."""
    circuit = f.CircuitFactory()
    east8 = timezone(timedelta(hours=8))
    times = [datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), datetime(2026, 11, 30, 17, 1, 2, 345_678, tzinfo=east8)]
    body = [{"circuit_id": circuit.circuit_id, "indicator": "latency_ms", "at": times[0].isoformat(), "value": -0.1},
            {"circuit_id": circuit.circuit_id, "indicator": "latency_ms", "at": times[1].isoformat(), "value": 7}]
    assert ingest_samples(samples=body).accepted == 2
    assert sorted(Sample.objects.values_list("at", "value")) == [(times[0], -0.1), (times[1], 7.0)]


@time_machine.travel(NOW, tick=False)
def test_rollups_merge_new_samples_incrementally():
    """R-QUAL-SERIES: 15-minute and hourly avg/min/max kept current from the watermark, without re-reading."""
    circuit = f.CircuitFactory()
    ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", START, [10, 20, 30]))
    assert roll_up() == 3
    ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", START + timedelta(minutes=15), [40, 50, 60]))
    assert roll_up() == 3
    assert roll_up() == 0  # nothing new, nothing read
    quarters = list(Rollup15m.objects.order_by("bucket"))
    assert [(q.count, q.avg, q.minimum, q.maximum) for q in quarters] == [(3, 20, 10, 30), (3, 50, 40, 60)]
    hour = Rollup1h.objects.get()
    assert (hour.count, hour.avg, hour.minimum, hour.maximum) == (6, 35, 10, 60)
    indicator = Indicator.objects.get(code="latency_ms")
    points = selectors.series(circuit_pk=circuit.pk, indicator_pk=indicator.pk, granularity="15m")
    assert [p["avg"] for p in points] == [20, 50]
    five = selectors.series(circuit_pk=circuit.pk, indicator_pk=indicator.pk, granularity="5m", latest=2)
    assert [p["avg"] for p in five] == [50, 60]


def test_retention_keeps_each_granularity_for_its_policy():
    """R-QUAL-SERIES: 5-minute samples 90 days, 15-minute 1 year, hourly 3 years (settings), applied by beat."""
    from quality.services import apply_retention

    circuit = f.CircuitFactory()
    old = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 182 days before NOW
    with time_machine.travel(old + timedelta(hours=1), tick=False):
        ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", old, [10.0, 11.0]))
    with time_machine.travel(NOW, tick=False):
        ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", START, [12.0]))
        roll_up()
        deleted = apply_retention()
    assert deleted == {"5m": 2, "15m": 0, "1h": 0}
    assert Sample.objects.count() == 1
    assert Rollup15m.objects.count() == 2 and Rollup1h.objects.count() == 2
    with time_machine.travel(NOW + timedelta(days=400), tick=False):
        assert apply_retention()["15m"] == 2
    assert Rollup1h.objects.count() == 2
