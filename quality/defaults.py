"""SPEC §6 defaults: indicators of data and internet leased lines, thresholds, dial schedules per tier.

Written by a data migration; ``ensure()`` writes them again where a transactional test flushed the tables."""

from django.utils.translation import gettext_noop

INDICATORS = [
    # code, name, unit, fluct_min_scale, position
    ("latency_ms", gettext_noop("时延"), "ms", 1.0, 1),
    ("jitter_ms", gettext_noop("抖动"), "ms", 1.0, 2),
    ("loss_pct", gettext_noop("丢包率"), "%", 0.5, 3),
    ("util_in_pct", gettext_noop("入向利用率"), "%", 5.0, 4),
    ("util_out_pct", gettext_noop("出向利用率"), "%", 5.0, 5),
    ("errored_seconds", gettext_noop("误码秒"), "s", 2.0, 6),
]
SERVICE_TYPES = ["data_line", "internet_line"]
THRESHOLDS = {"loss_pct": 1.0, "latency_ms": 50.0, "jitter_ms": 30.0, "util_in_pct": 90.0, "util_out_pct": 90.0}
SCHEDULES = {"diamond": 15, "gold": 60, "normal": 0}


def ensure(Indicator=None, ServiceIndicator=None, Threshold=None, DialSchedule=None) -> None:  # noqa: N803
    if Indicator is None:
        from .models import DialSchedule, Indicator, ServiceIndicator, Threshold
    for code, name, unit, min_scale, position in INDICATORS:
        indicator, _ = Indicator.objects.get_or_create(
            code=code, defaults={"name": name, "unit": unit, "fluct_min_scale": min_scale, "position": position})
        for service_type in SERVICE_TYPES:
            ServiceIndicator.objects.get_or_create(service_type=service_type, indicator=indicator)
            if code in THRESHOLDS:
                Threshold.objects.get_or_create(service_type=service_type, indicator=indicator, tier="",
                                                defaults={"limit": THRESHOLDS[code], "k": 3, "m": 6})
    for tier, minutes in SCHEDULES.items():
        DialSchedule.objects.get_or_create(tier=tier, defaults={"every_minutes": minutes, "attempts": 3})
