"""The pure warning logic with synthetic series: thresholds, K consecutive, M to clear, fluctuation."""
import math
import random
from datetime import UTC, datetime, timedelta

from quality.detection import (
    FluctuationPolicy,
    RunState,
    baseline_for,
    beyond,
    fluctuation,
    hour_of,
    hourly_stats,
    run_series,
    step,
)

FIVE = timedelta(minutes=5)
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
POLICY = FluctuationPolicy()


def synthetic(weeks=6, *, seed=7, noise=1.0, shape=None):
    """A latency-like 5-minute series: weekday daily cycle (peak 15:00), quiet weekends, Gaussian noise."""
    rng = random.Random(seed)
    points = []
    n = weeks * 7 * 288
    for i in range(n):
        at = START + i * FIVE
        hours = at.hour + at.minute / 60
        if at.weekday() < 5:
            value = 20 + 8 * math.sin((hours - 9) / 24 * 2 * math.pi)
        else:
            value = 15 + 2 * math.sin((hours - 9) / 24 * 2 * math.pi)
        value += rng.gauss(0, noise)
        if shape:
            value += shape(i, n)
        points.append((at, value))
    return points


def fluct_changes(points, *, evaluate_last=7 * 288, k=3, m=6, policy=POLICY):
    history = hourly_stats(points)
    flags = []
    for at, value in points[-evaluate_last:]:
        flags.append(fluctuation(value, baseline_for(hour_of(at), history, policy), policy))
    return run_series(flags, k=k, m=m)[1]


def test_threshold_comparisons():
    """R-QUAL-THRESHOLD: beyond means above a `gt` limit and below an `lt` limit, never equal."""
    assert beyond(1.5, 1.0)
    assert not beyond(1.0, 1.0)
    assert beyond(5, 10, comparison="lt")
    assert not beyond(15, 10, comparison="lt")


def test_k_consecutive_intervals_raise_once():
    """R-QUAL-THRESHOLD: the K-th consecutive interval beyond the threshold raises, once."""
    state, changes = run_series([True, True, True, True, True], k=3, m=6)
    assert changes == [(2, "raise")]
    assert state.active


def test_an_interrupted_run_does_not_raise():
    """R-QUAL-THRESHOLD: K intervals beyond the threshold must be consecutive."""
    _, changes = run_series([True, True, False, True, True, False, True], k=3, m=6)
    assert changes == []


def test_m_normal_intervals_clear_and_an_abnormal_one_restarts_the_count():
    """R-QUAL-PROACTIVE: the warning clears after M consecutive normal intervals (default 6)."""
    flags = [True] * 3 + [False] * 5 + [True] + [False] * 6
    _, changes = run_series(flags, k=3, m=6)
    assert changes == [(2, "raise"), (14, "clear")]


def test_step_resumes_from_a_stored_state():
    """R-QUAL-THRESHOLD: evaluation on new intervals only continues the stored run."""
    state = RunState(abnormal_run=2)
    state, change = step(state, True, k=3, m=6)
    assert change == "raise" and state.active


def test_normal_daily_and_weekly_cycle_with_noise_does_not_warn():
    """R-QUAL-FLUCT: a normal weekday/weekend cycle with noise is the circuit's normal: no warning."""
    assert fluct_changes(synthetic()) == []


def test_pure_noise_does_not_warn():
    """R-QUAL-FLUCT: heavy noise around a flat level raises nothing."""
    points = synthetic(noise=3.0, shape=lambda i, n: 0, seed=11)
    assert fluct_changes(points) == []


def test_step_change_warns_within_k_intervals_and_clears_after_recovery():
    """R-QUAL-FLUCT: a step change of +12 ms (under a 50 ms threshold) warns within K intervals."""
    n_total = 6 * 7 * 288
    step_at = n_total - 4 * 288
    recover_at = step_at + 24

    def shape(i, n):
        return 12.0 if step_at <= i < recover_at else 0.0

    changes = fluct_changes(synthetic(shape=shape))
    offset = n_total - 7 * 288
    assert changes[0] == (step_at - offset + 2, "raise")
    assert changes[1] == (recover_at - offset + 5, "clear")
    assert len(changes) == 2


def test_slow_drift_warns():
    """R-QUAL-FLUCT: a drift of +15 ms over the last week warns against the same hours of earlier weeks."""
    n_total = 6 * 7 * 288
    drift_from = n_total - 7 * 288

    def shape(i, n):
        return 15.0 * (i - drift_from) / (7 * 288) if i >= drift_from else 0.0

    changes = fluct_changes(synthetic(shape=shape))
    assert changes and changes[0][1] == "raise"


def test_new_circuit_uses_the_rolling_baseline():
    """R-QUAL-FLUCT: with less than two weeks of history the rolling median/MAD baseline still sees a step."""
    points = synthetic(weeks=1, shape=lambda i, n: 25.0 if i >= n - 36 else 0.0)
    history = hourly_stats(points)
    baseline = baseline_for(hour_of(points[-1][0]), history, POLICY)
    assert baseline is not None and baseline.method == "rolling"
    changes = fluct_changes(points, evaluate_last=36)
    assert changes and changes[0] == (2, "raise")


def test_no_history_no_fluctuation_warning():
    """R-QUAL-FLUCT: a circuit with no history has no normal yet, so nothing is far from it."""
    assert baseline_for(START, {}, POLICY) is None
    assert not fluctuation(1000.0, None, POLICY)
