"""R-CMP-WORKDAY: the working calendar as rows, and the centre's working hours as a policy."""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import CalendarSource


class CalendarYear(models.Model):
    """A year whose official schedule (holidays and make-up working days) is loaded.

    Only a year with ``official`` set and a row for each of its days counts as known; a clock that
    needs any other year fails loudly (``complaints.workcalendar.CalendarYearUnknown``).
    """

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    official = models.BooleanField(
        _("已按官方安排录入"), default=False, help_text=_("节假日与调休上班日都已录入，可用于计算工作日")
    )
    source = models.CharField(_("来源"), max_length=8, choices=CalendarSource.choices)
    loaded_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """One day of the calendar: working or not, why, and who said so."""

    date = models.DateField(_("日期"), primary_key=True)
    is_working = models.BooleanField(_("工作日"))
    reason = models.CharField(_("原因"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=CalendarSource.choices)

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {'+' if self.is_working else '-'}"


class WorkingPeriod(models.Model):
    """A period of the centre's working day (default 09:00–12:00 and 13:30–18:00, Asia/Shanghai)."""

    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="working_period_ends_after_start")]
        verbose_name = _("工作时段")
        verbose_name_plural = _("工作时段")

    def __str__(self):
        return f"{self.start:%H:%M}–{self.end:%H:%M}"
