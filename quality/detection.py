"""Pure warning logic: no database, no clock. The evaluation service feeds it rows and stores its answers.

Three pieces, each a small function over plain values so that synthetic series can test it:

* :func:`beyond` — R-QUAL-THRESHOLD: is one interval's value beyond the threshold?
* :func:`fluctuation` — R-QUAL-FLUCT: is one interval's value far from the circuit's own normal?
* :func:`step` — R-QUAL-THRESHOLD / R-QUAL-PROACTIVE: K consecutive abnormal intervals raise a warning,
  M consecutive normal intervals clear it.

The fluctuation method (the parameters are fields of :class:`FluctuationPolicy`, editable per indicator):

1. **Reference hours.** For an interval in hour *h*, the references are the hourly aggregates of the same circuit
   and indicator at the same hour of the week in the previous ``weeks`` weeks, and the hour either side of each
   (``weeks`` × 3 hours, default 12). Comparing Monday 09:00 with earlier Mondays 08:00–10:00 makes a normal
   daily and weekly cycle part of "normal". When fewer than ``min_reference_hours`` of them exist (a new
   circuit: less than two weeks of history), the references are the previous ``rolling_hours`` hours instead (a
   robust rolling baseline); that fallback absorbs a daily cycle but, by its nature, also a slow drift.
2. **Baseline and spread, robustly.** baseline = median of the reference hours' averages; spread =
   √(median of their within-hour variances + (1.4826 · MAD of their averages)²): the first term is the normal
   5-minute noise inside an hour, the second the normal week-to-week variation. Medians make a past incident
   in one reference hour harmless. The spread is never below ``min_scale`` (absolute, per indicator — 0.5 for
   packet loss that is usually exactly 0) nor ``relative_floor`` × |baseline|.
3. **Abnormal** when |value − baseline| > ``z`` × spread (default z = 4: noise alone passes 4 σ once in
   ~16,000 intervals, and K = 3 of them in a row practically never).
4. The warning needs K consecutive abnormal intervals (:func:`step`), like a threshold.

A step change (a new route adding 20 ms) is abnormal from its first interval; a drift becomes abnormal once it
has moved z spreads away from what the same hours looked like in earlier weeks.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
MAD_TO_SIGMA = 1.4826


# ---------------------------------------------------------------- thresholds

def beyond(value: float, limit: float, *, comparison: str = "gt") -> bool:
    """R-QUAL-THRESHOLD: ``value`` is beyond ``limit`` (``gt``: above it, ``lt``: below it)."""
    if comparison == "lt":
        return value < limit
    return value > limit


# ---------------------------------------------------------------- K consecutive / M to clear

@dataclass(frozen=True)
class RunState:
    """Where a (circuit, indicator, kind) watch stands after the intervals seen so far."""

    abnormal_run: int = 0
    normal_run: int = 0
    active: bool = False


Change = Literal["raise", "clear"] | None


def step(state: RunState, abnormal: bool, *, k: int, m: int) -> tuple[RunState, Change]:
    """R-QUAL-THRESHOLD / R-QUAL-FLUCT / R-QUAL-PROACTIVE: advance a watch by one interval.

    Not active: the K-th consecutive abnormal interval raises a warning (``"raise"``); a normal interval
    starts the count again. Active: the M-th consecutive normal interval clears it (``"clear"``); an abnormal
    interval starts that count again. Intervals with no sample are not fed in, so a gap neither raises nor clears.
    """
    k, m = max(1, k), max(1, m)
    if not state.active:
        if not abnormal:
            return RunState(), None
        run = state.abnormal_run + 1
        if run >= k:
            return RunState(active=True), "raise"
        return RunState(abnormal_run=run), None
    if abnormal:
        return RunState(active=True), None
    run = state.normal_run + 1
    if run >= m:
        return RunState(), "clear"
    return RunState(active=True, normal_run=run), None


def run_series(flags: Iterable[bool], *, k: int, m: int, state: RunState | None = None) -> tuple[RunState, list[tuple[int, str]]]:
    """Feed a series of abnormal flags through :func:`step`; answers the final state and ``(index, change)`` list."""
    state = state or RunState()
    changes: list[tuple[int, str]] = []
    for index, flag in enumerate(flags):
        state, change = step(state, flag, k=k, m=m)
        if change:
            changes.append((index, change))
    return state, changes


# ---------------------------------------------------------------- fluctuation

@dataclass(frozen=True)
class HourStat:
    """One hourly aggregate, as the fluctuation method needs it."""

    hour: datetime
    avg: float
    variance: float = 0.0
    count: int = 12


@dataclass(frozen=True)
class FluctuationPolicy:
    """R-QUAL-FLUCT parameters (defaults; the indicator row may override ``min_scale``)."""

    z: float = 4.0
    weeks: int = 4
    neighbour_hours: int = 1
    min_reference_hours: int = 6
    rolling_hours: int = 24
    min_rolling_hours: int = 12
    relative_floor: float = 0.05
    min_scale: float = 0.5


@dataclass(frozen=True)
class Baseline:
    center: float
    scale: float
    method: str  # "hour_of_week" | "rolling"
    references: int


def reference_hours(hour: datetime, policy: FluctuationPolicy) -> list[datetime]:
    """The hour-of-week reference hours of ``hour`` (same hour, ± neighbours, in each of the previous weeks)."""
    out = []
    for week in range(1, policy.weeks + 1):
        for shift in range(-policy.neighbour_hours, policy.neighbour_hours + 1):
            out.append(hour - week * WEEK + shift * HOUR)
    return out


def rolling_hours(hour: datetime, policy: FluctuationPolicy) -> list[datetime]:
    """The previous ``rolling_hours`` hours before ``hour`` (the fallback references)."""
    return [hour - i * HOUR for i in range(1, policy.rolling_hours + 1)]


def needed_hours(hour: datetime, policy: FluctuationPolicy) -> list[datetime]:
    """Every hourly bucket :func:`baseline_for` may read for ``hour`` (one query fetches them for all circuits)."""
    return reference_hours(hour, policy) + rolling_hours(hour, policy)


def robust_baseline(stats: Sequence[HourStat], policy: FluctuationPolicy, *, method: str) -> Baseline:
    """R-QUAL-FLUCT: median of the averages; spread from within-hour variance and the MAD across hours."""
    avgs = [s.avg for s in stats]
    center = statistics.median(avgs)
    mad = statistics.median(abs(a - center) for a in avgs)
    within = statistics.median(max(s.variance, 0.0) for s in stats)
    spread = math.sqrt(within + (MAD_TO_SIGMA * mad) ** 2)
    scale = max(spread, policy.min_scale, policy.relative_floor * abs(center))
    return Baseline(center=center, scale=scale, method=method, references=len(stats))


def baseline_for(hour: datetime, history: dict[datetime, HourStat], policy: FluctuationPolicy) -> Baseline | None:
    """R-QUAL-FLUCT: the circuit's normal for ``hour`` from its hourly ``history`` (keyed by hour start), or None
    when there is not enough history for either method."""
    weekly = [history[h] for h in reference_hours(hour, policy) if h in history and history[h].count > 0]
    if len(weekly) >= policy.min_reference_hours:
        return robust_baseline(weekly, policy, method="hour_of_week")
    rolling = [history[h] for h in rolling_hours(hour, policy) if h in history and history[h].count > 0]
    if len(rolling) >= policy.min_rolling_hours:
        return robust_baseline(rolling, policy, method="rolling")
    return None


def fluctuation(value: float, baseline: Baseline | None, policy: FluctuationPolicy) -> bool:
    """R-QUAL-FLUCT: ``value`` is far (more than z spreads) from the circuit's own normal."""
    if baseline is None:
        return False
    return abs(value - baseline.center) > policy.z * baseline.scale


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def hourly_stats(points: Iterable[tuple[datetime, float]]) -> dict[datetime, HourStat]:
    """Hourly aggregates of raw points (what the rollup tables hold; used by tests and the demo)."""
    buckets: dict[datetime, list[float]] = {}
    for at, value in points:
        buckets.setdefault(hour_of(at), []).append(value)
    out = {}
    for hour, values in buckets.items():
        avg = sum(values) / len(values)
        variance = sum(v * v for v in values) / len(values) - avg * avg
        out[hour] = HourStat(hour=hour, avg=avg, variance=max(variance, 0.0), count=len(values))
    return out
