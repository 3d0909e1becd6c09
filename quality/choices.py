"""Every enumeration of the quality domain, once (values are CONTRACT.md's codes)."""
from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class Granularity(models.TextChoices):
    FIVE_MINUTES = "5m", _("5 分钟")
    FIFTEEN_MINUTES = "15m", _("15 分钟")
    HOUR = "1h", _("1 小时")


GRANULARITY_STEP = {
    Granularity.FIVE_MINUTES: timedelta(minutes=5),
    Granularity.FIFTEEN_MINUTES: timedelta(minutes=15),
    Granularity.HOUR: timedelta(hours=1),
}


class Comparison(models.TextChoices):
    ABOVE = "gt", _("高于")
    BELOW = "lt", _("低于")


class WarningKind(models.TextChoices):
    THRESHOLD = "threshold", _("门限")
    FLUCTUATION = "fluctuation", _("波动")
    DIAL_TEST = "dial_test", _("拨测")


class WarningState(models.TextChoices):
    ACTIVE = "active", _("活动")
    CLEARED = "cleared", _("已清除")


class DialTrigger(models.TextChoices):
    DISPATCH = "dispatch", _("派单时")
    ON_DEMAND = "on_demand", _("手动")
    SCHEDULE = "schedule", _("定时")


class DialOutcome(models.TextChoices):
    PASS = "pass", _("通过")
    FAIL = "fail", _("失败")


# R-QUAL-DIAL: "集客专线" — the leased lines a dispatch tests at once.
LEASED_LINES = ("data_line", "internet_line")
