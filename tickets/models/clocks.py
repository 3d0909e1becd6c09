"""Deadlines, escalations and broadcasts (docs/rules.md §3.3), and the record of each sweep."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.models import Room
from supportdesk.core import timebounds

from ..choices import (
    BroadcastKind,
    DeadlineKind,
    EscalationKind,
)
from .ticket import FaultTicket

User = settings.AUTH_USER_MODEL


# --------------------------------------------------------------------------- deadlines and escalation
class Deadline(models.Model):
    """A clock of docs/rules.md §3.3 as a row: the sweep finds due rows through ``deadline_due_idx``."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("类别"), max_length=16, choices=DeadlineKind.choices)
    round = models.PositiveSmallIntegerField(default=1)
    sequence = models.PositiveIntegerField(_("序号"), default=0, help_text=_("信息发布的时段序号"))
    due_at = models.DateTimeField(_("到期时间"))
    met_at = models.DateTimeField(_("达成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    room = models.ForeignKey(
        Room, verbose_name=_("室"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("后加入联合处理的室单独考核到场（R-ESC-1）"),
    )

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "round", "sequence"], name="deadline_unique_slot"),
            models.CheckConstraint(
                condition=Q(met_at__isnull=True) | Q(breached_at__isnull=True), name="deadline_met_xor_breached"
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=timebounds.EARLIEST, due_at__lt=timebounds.DB_LATEST),
                name="deadline_due_at_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_due_idx",
            ),
            # the dashboard's breaches of today and of the week
            models.Index(fields=["-breached_at"], condition=Q(breached_at__isnull=False),
                         name="deadline_breached_idx"),
            # the dashboard's customer updates owed (R-CUST-UPDATE): the rows not yet met or cancelled, not every
            # customer update of the history
            models.Index(fields=["due_at"], condition=Q(kind="customer_update", met_at__isnull=True,
                                                        cancelled_at__isnull=True),
                         name="deadline_update_owed_idx"),
        ]
        verbose_name = _("时限")
        verbose_name_plural = _("时限")

    def __str__(self):
        return f"{self.ticket.number} {self.kind} {timezone.localtime(self.due_at):%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.met_at is None and self.breached_at is None and self.cancelled_at is None


class Escalation(models.Model):
    """An escalation (R-ESC-1/2/3/MANUAL); unique per ticket, round, kind and room."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="escalations")
    kind = models.CharField(_("类别"), max_length=16, choices=EscalationKind.choices)
    round = models.PositiveSmallIntegerField(default=1)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(_("规则"), max_length=16)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.CharField(_("原因"), max_length=300)
    triggered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "round", "kind"], condition=Q(room__isnull=True), name="escalation_once_per_kind"
            ),
            models.UniqueConstraint(
                fields=["ticket", "round", "kind", "room"],
                condition=Q(room__isnull=False),
                name="escalation_once_per_room",
            ),
        ]
        indexes = [models.Index(fields=["kind", "at"], name="escalation_kind_at_idx")]
        verbose_name = _("升级")
        verbose_name_plural = _("升级")

    def __str__(self):
        return f"{self.ticket.number} {self.kind}"


class Broadcast(models.Model):
    """A status broadcast (信息发布, R-BCAST), numbered per ticket."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="broadcasts")
    seq = models.PositiveIntegerField(_("期号"))
    kind = models.CharField(_("类别"), max_length=16, choices=BroadcastKind.choices)
    at = models.DateTimeField(_("发布时间"), default=timezone.now)
    slot_due_at = models.DateTimeField(_("计划时间"), null=True, blank=True)
    slot = models.PositiveIntegerField(_("时段序号"), null=True, blank=True, help_text=_("定时发布对应的时段"))
    missed_slots = models.PositiveIntegerField(_("错过的时段"), default=0)
    body = models.TextField(_("内容"))
    body_en = models.TextField(_("内容（英文）"), blank=True)
    published_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["ticket", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "seq"], name="broadcast_unique_seq"),
            # Exactly one broadcast per scheduled slot, whatever number of sweeps race for it.
            models.UniqueConstraint(
                fields=["ticket", "slot"], condition=Q(slot__isnull=False), name="broadcast_once_per_slot"
            ),
        ]
        indexes = [models.Index(fields=["-at"], name="broadcast_recent_idx")]
        verbose_name = _("信息发布")
        verbose_name_plural = _("信息发布")

    def __str__(self):
        return f"{self.ticket.number} #{self.seq}"



class SweepRun(models.Model):
    """One completed deadline sweep: when, and what it did (watching the watcher)."""

    started_at = models.DateTimeField(_("开始"))
    finished_at = models.DateTimeField(_("结束"), db_index=True)
    due = models.PositiveIntegerField(_("到期时限"), default=0)
    joint_started = models.PositiveIntegerField(_("启动联合处理"), default=0)
    arrival_breaches = models.PositiveIntegerField(_("到场超时"), default=0)
    broadcasts = models.PositiveIntegerField(_("信息发布"), default=0)
    missed_slots = models.PositiveIntegerField(_("错过的发布时段"), default=0)
    deliveries_requeued = models.PositiveIntegerField(_("重新投递"), default=0)
    origin = models.CharField(_("来源"), max_length=32, default="beat")
    # the counts of the steps other apps add to the sweep (supportdesk.core.hooks.register_sweep_step)
    steps = models.JSONField(_("其他巡检步骤"), default=dict, blank=True)

    class Meta:
        ordering = ["-finished_at"]
        verbose_name = _("时限巡检")
        verbose_name_plural = _("时限巡检")

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M:%S}"


class DashboardFigures(models.Model):
    """The manager's dashboard window figures (7/30-day tier figures, the 7-day chart) as last computed:
    one row per key, refreshed by beat (``tickets.tasks.refresh_dashboard``) so a page view reads one row
    instead of every ticket of the window."""

    key = models.CharField(max_length=32, primary_key=True)
    computed_at = models.DateTimeField(_("计算时间"))
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("看板统计")
        verbose_name_plural = _("看板统计")

    def __str__(self):
        return f"{self.key} {self.computed_at:%Y-%m-%d %H:%M:%S}"
        return f"{timezone.localtime(self.finished_at):%Y-%m-%d %H:%M:%S}"
