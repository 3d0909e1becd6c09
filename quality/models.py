"""Quality data (SPEC §6): indicators, samples and their rollups, thresholds, warnings, dial tests.

Samples are 5-minute values, unique per (circuit, indicator, at). The 15-minute and hourly rollups hold
count, sum, sum of squares, minimum and maximum per bucket so that new samples merge into them (average =
sum / count, variance from the sum of squares) without re-reading older samples (R-QUAL-SERIES).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.choices import ServiceType, Tier
from customers.models import Circuit
from tickets.models import FaultTicket

from .choices import Comparison, DialOutcome, DialTrigger, WarningKind, WarningState


class Indicator(models.Model):
    """A key performance indicator (R-QUAL-SERIES); the codes are CONTRACT.md's."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    fluctuation = models.BooleanField(_("波动预警"), default=True, help_text=_("R-QUAL-FLUCT"))
    fluct_z = models.FloatField(_("波动倍数 z"), default=4.0)
    fluct_min_scale = models.FloatField(_("最小离散度"), default=0.5,
                                        help_text=_("基线离散度的下限（同单位），避免常为 0 的指标误报"))
    fluct_k = models.PositiveSmallIntegerField(_("连续周期 K"), default=3)
    fluct_m = models.PositiveSmallIntegerField(_("恢复周期 M"), default=6)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("性能指标")
        verbose_name_plural = _("性能指标")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def label(self) -> str:
        """The name in the reader's language when it is one of the defaults (catalogued), else as typed."""
        return gettext(self.name)


class ServiceIndicator(models.Model):
    """Which indicators a service type is measured by (editable per service type)."""

    service_type = models.CharField(_("业务类型"), max_length=24, choices=ServiceType.choices)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="service_types")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service_type", "indicator"], name="service_indicator_once")]
        verbose_name = _("业务类型指标")
        verbose_name_plural = _("业务类型指标")

    def __str__(self) -> str:
        return f"{self.get_service_type_display()} · {self.indicator.code}"


class Threshold(models.Model):
    """R-QUAL-THRESHOLD: service type × indicator (× tier; blank = every tier), K to raise, M to clear."""

    service_type = models.CharField(_("业务类型"), max_length=24, choices=ServiceType.choices)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="thresholds")
    tier = models.CharField(_("客户级别"), max_length=8, choices=Tier.choices, blank=True,
                            help_text=_("空：所有级别；填写后覆盖该级别"))
    comparison = models.CharField(_("比较"), max_length=2, choices=Comparison.choices, default=Comparison.ABOVE)
    limit = models.FloatField(_("门限"))
    k = models.PositiveSmallIntegerField(_("连续周期 K"), default=3)
    m = models.PositiveSmallIntegerField(_("恢复周期 M"), default=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service_type", "indicator", "tier"], name="threshold_once")]
        ordering = ["service_type", "indicator__position", "tier"]
        verbose_name = _("质量门限")
        verbose_name_plural = _("质量门限")

    def __str__(self) -> str:
        return f"{self.service_type} {self.indicator.code} {self.comparison} {self.limit} ({self.tier or '*'})"


class Sample(models.Model):
    """One 5-minute value (R-QUAL-SERIES). ``id`` only grows: it is the rollup and evaluation watermark.

    On PostgreSQL the references are checked once per statement, not per row (quality/0003): a batch of 10,000
    samples names a few hundred circuits and six indicators, and a foreign key checked and locked its row for each
    sample at commit. The statement trigger locks each named circuit and indicator once (``FOR KEY SHARE``, as the
    foreign key did) and refuses the statement when one is missing; a delete of a circuit or an indicator that still
    has samples is refused (the models' ``on_delete`` deletes them first, or protects)."""

    id = models.BigAutoField(primary_key=True)
    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="+", db_index=False,
                                db_constraint=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", db_index=False,
                                  db_constraint=False)
    at = models.DateTimeField(_("时间"))
    value = models.FloatField(_("值"))

    class Meta:
        constraints = [
            # Also the index of every series read: (circuit, indicator) equality, then a range of ``at``.
            models.UniqueConstraint(fields=["circuit", "indicator", "at"], name="sample_once_per_series_time"),
        ]
        verbose_name = _("性能采样")
        verbose_name_plural = _("性能采样")


class Rollup(models.Model):
    """A bucket of samples: count, sum, sum of squares, min, max (merged as new samples arrive)."""

    id = models.BigAutoField(primary_key=True)
    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="+", db_index=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", db_index=False)
    bucket = models.DateTimeField(_("时段开始"))
    count = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0.0)
    total_sq = models.FloatField(default=0.0)
    minimum = models.FloatField()
    maximum = models.FloatField()

    class Meta:
        abstract = True

    @property
    def avg(self) -> float:
        return self.total / self.count if self.count else 0.0

    @property
    def variance(self) -> float:
        if not self.count:
            return 0.0
        mean = self.total / self.count
        return max(self.total_sq / self.count - mean * mean, 0.0)


class Rollup15m(Rollup):
    class Meta:
        constraints = [models.UniqueConstraint(fields=["circuit", "indicator", "bucket"], name="rollup15m_once")]
        verbose_name = _("15 分钟汇总")
        verbose_name_plural = _("15 分钟汇总")


class Rollup1h(Rollup):
    class Meta:
        constraints = [models.UniqueConstraint(fields=["circuit", "indicator", "bucket"], name="rollup1h_once")]
        verbose_name = _("小时汇总")
        verbose_name_plural = _("小时汇总")


class Watermark(models.Model):
    """How far a job has read the samples (by ``Sample.id``): rollup and evaluation each keep one."""

    name = models.CharField(max_length=32, unique=True)
    last_sample_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("处理水位")
        verbose_name_plural = _("处理水位")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_sample_id}"


class Watch(models.Model):
    """Where one (circuit, indicator, kind) stands between evaluations: the K / M runs and, for
    fluctuation, the cached baseline of the current hour. Absent = nothing abnormal, no baseline yet."""

    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="+", db_index=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=WarningKind.choices)
    abnormal_run = models.PositiveIntegerField(default=0)
    normal_run = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=False)
    last_at = models.DateTimeField(null=True, blank=True)
    baseline_hour = models.DateTimeField(null=True, blank=True)
    baseline_center = models.FloatField(null=True, blank=True)
    baseline_scale = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["circuit", "indicator", "kind"], name="watch_once")]
        verbose_name = _("预警状态")
        verbose_name_plural = _("预警状态")


class QualityWarning(models.Model):
    """A quality warning episode (R-QUAL-THRESHOLD, R-QUAL-FLUCT, R-QUAL-DIAL); one active per series and kind."""

    circuit = models.ForeignKey(Circuit, verbose_name=_("电路"), on_delete=models.CASCADE, related_name="quality_warnings")
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    kind = models.CharField(_("类型"), max_length=16, choices=WarningKind.choices)
    state = models.CharField(_("状态"), max_length=8, choices=WarningState.choices, default=WarningState.ACTIVE)
    started_at = models.DateTimeField(_("开始"))
    cleared_at = models.DateTimeField(_("清除"), null=True, blank=True)
    value = models.FloatField(_("值"), null=True, blank=True)
    limit_or_baseline = models.FloatField(_("门限或基线"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    alarm_id = models.CharField(_("告警编号"), max_length=128, blank=True)
    ticket = models.ForeignKey(FaultTicket, verbose_name=_("工单"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["circuit", "indicator", "kind"], condition=Q(state="active"),
                                    name="warning_one_active_per_series"),
        ]
        indexes = [models.Index(fields=["state", "-started_at"], name="warning_state_idx"),
                   models.Index(fields=["circuit", "-started_at"], name="warning_circuit_idx")]
        verbose_name = _("质量预警")
        verbose_name_plural = _("质量预警")

    def __str__(self) -> str:
        return f"{self.circuit_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class DialTarget(models.Model):
    """What the prober dials for a circuit (R-QUAL-DIAL): the blackbox module and target."""

    circuit = models.OneToOneField(Circuit, verbose_name=_("电路"), on_delete=models.CASCADE, related_name="dial_target")
    module = models.CharField(_("探测模块"), max_length=64, default="icmp")
    target = models.CharField(_("探测目标"), max_length=255, help_text=_("如 10.0.0.1 或 10.0.0.1:443"))

    class Meta:
        verbose_name = _("拨测目标")
        verbose_name_plural = _("拨测目标")

    def __str__(self) -> str:
        return f"{self.module} {self.target}"


class DialSchedule(models.Model):
    """R-QUAL-DIAL: scheduled dial tests per customer tier (0 minutes = none)."""

    tier = models.CharField(_("客户级别"), max_length=8, choices=Tier.choices, unique=True)
    every_minutes = models.PositiveIntegerField(_("间隔（分钟）"), default=0)
    attempts = models.PositiveSmallIntegerField(_("每次探测次数"), default=3)

    class Meta:
        ordering = ["tier"]
        verbose_name = _("定时拨测策略")
        verbose_name_plural = _("定时拨测策略")

    def __str__(self) -> str:
        return f"{self.tier}: {self.every_minutes} min"


class QualityDialTest(models.Model):
    """One dial test through the prober (R-QUAL-DIAL), on the circuit and, when one is open, its ticket."""

    circuit = models.ForeignKey(Circuit, verbose_name=_("电路"), on_delete=models.CASCADE, related_name="quality_dial_tests")
    ticket = models.ForeignKey(FaultTicket, verbose_name=_("工单"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    trigger = models.CharField(_("触发"), max_length=16, choices=DialTrigger.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    result = models.CharField(_("结果"), max_length=8, choices=DialOutcome.choices)
    latency_ms = models.FloatField(_("时延 ms"), null=True, blank=True)
    loss_pct = models.FloatField(_("丢包 %"), null=True, blank=True)
    module = models.CharField(_("探测模块"), max_length=64, blank=True)
    target = models.CharField(_("探测目标"), max_length=255, blank=True)
    detail = models.TextField(_("详情"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["circuit", "-at"], name="dialtest_circuit_idx")]
        verbose_name = _("质量拨测")
        verbose_name_plural = _("质量拨测")
