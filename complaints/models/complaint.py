"""The complaint (投诉, SPEC §5) and its stage machine (R-CMP-FLOW), replies, deadlines, escalations,
routes, limit policies and the immutable event log.

Models hold data, constraints and the transitions; every write goes through ``complaints.services``.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from customers.models import Circuit, Customer
from staff.models import Room
from supportdesk.core.events import EventRecord
from tickets.models import FaultTicket

from ..choices import (
    OPEN_STAGES,
    Channel,
    ComplaintCategory,
    ComplaintStage,
    CustomerReaction,
    DeadlineStage,
    EventKind,
    Finding,
    Importance,
    LimitUnit,
    RouteCode,
)

User = settings.AUTH_USER_MODEL


class ComplaintPolicy(models.Model):
    """R-CMP-LIMITS / R-CMP-REPEAT: the time limits per importance (SPEC §5 table as defaults).

    Sorting is in wall-clock hours or working days (``sorting_unit``); the others are working days
    (R-CMP-WORKDAY). The "other" variants
    apply when handling needs another department's plan (``Complaint.other_department``).
    """

    importance = models.CharField(_("重要程度"), max_length=16, choices=Importance.choices, unique=True)
    sorting_limit = models.DecimalField(_("接单分拣时限"), max_digits=6, decimal_places=2)
    sorting_unit = models.CharField(_("接单分拣时限单位"), max_length=8, choices=LimitUnit.choices)
    analysis_days = models.DecimalField(_("分析定位（工作日）"), max_digits=6, decimal_places=2)
    handling_days = models.DecimalField(_("问题处理，中心内（工作日）"), max_digits=6, decimal_places=2)
    handling_other_days = models.DecimalField(_("问题处理，需其他部门（工作日）"), max_digits=6, decimal_places=2)
    total_days = models.DecimalField(_("总时限（工作日）"), max_digits=6, decimal_places=2)
    total_other_days = models.DecimalField(_("总时限，需其他部门（工作日）"), max_digits=6, decimal_places=2)
    repeat_window_days = models.PositiveSmallIntegerField(_("重复投诉统计窗口（天）"), default=30)
    repeat_count = models.PositiveSmallIntegerField(_("第几次算重复投诉"), default=3)

    class Meta:
        verbose_name = _("投诉时限策略")
        verbose_name_plural = _("投诉时限策略")

    def __str__(self):
        return self.get_importance_display()

    def limit(self, stage: str, *, other_department: bool = False) -> tuple[Decimal, str]:
        """(amount, unit) of a stage's limit: ``hours`` (wall clock) or ``days`` (working days)."""
        if stage == DeadlineStage.SORTING:
            return self.sorting_limit, self.sorting_unit
        if stage == DeadlineStage.ANALYSIS:
            return self.analysis_days, LimitUnit.DAYS
        if stage == DeadlineStage.HANDLING:
            return (self.handling_other_days if other_department else self.handling_days), LimitUnit.DAYS
        return (self.total_other_days if other_department else self.total_days), LimitUnit.DAYS


class Route(models.Model):
    """A room of the centre or a department a complaint can be routed to, and its leader (R-CMP-LIMITS
    escalates a breach to the responsible room's leader and the manager)."""

    code = models.CharField(_("代码"), max_length=32, choices=RouteCode.choices, unique=True)
    room = models.ForeignKey(Room, verbose_name=_("室"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(User, verbose_name=_("负责人"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("投诉责任室/部门")
        verbose_name_plural = _("投诉责任室/部门")

    def __str__(self):
        return str(RouteCode(self.code).label) if self.code in RouteCode.values else self.code


def _has_reply(complaint: Complaint) -> bool:
    return complaint.replies.filter(round=complaint.round).exists()


def _opinion_if_repeat(complaint: Complaint) -> bool:
    return not complaint.repeat or bool(complaint.handling_opinion.strip())


class Complaint(ConcurrentTransitionMixin, models.Model):
    """A customer's complaint (投诉) and its stages (R-CMP-FLOW)."""

    number = models.CharField(_("投诉单号"), max_length=32, unique=True)
    complaint_id = models.CharField(_("客服工单号"), max_length=64, unique=True, null=True, blank=True)
    stage = FSMField(_("环节"), max_length=16, choices=ComplaintStage.choices, default=ComplaintStage.RECEIVED,
                     protected=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1, help_text=_("客户不满意重新处理后加一"))
    importance = models.CharField(_("重要程度"), max_length=16, choices=Importance.choices)
    channel = models.CharField(_("渠道"), max_length=24, choices=Channel.choices, default=Channel.CUSTOMER_SERVICE)
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="complaints")
    circuit = models.ForeignKey(Circuit, verbose_name=_("电路"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="complaints")
    category = models.CharField(_("投诉类别"), max_length=24, choices=ComplaintCategory.choices)
    description = models.TextField(_("投诉内容"))
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    received_at = models.DateTimeField(_("受理时间"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    taken_by = models.ForeignKey(User, verbose_name=_("受理人"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    route = models.ForeignKey(Route, verbose_name=_("责任室/部门"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="complaints")
    sorted_at = models.DateTimeField(_("分拣时间"), null=True, blank=True)
    finding = models.CharField(_("定位结论"), max_length=24, choices=Finding.choices, blank=True)
    analysis_note = models.TextField(_("分析说明"), blank=True)
    other_department = models.BooleanField(_("需其他部门出方案"), default=False)
    analysed_at = models.DateTimeField(_("定位时间"), null=True, blank=True)
    handling_note = models.TextField(_("处理说明"), blank=True)
    handled_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    fault_ticket = models.ForeignKey(FaultTicket, verbose_name=_("故障工单"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="complaints")

    repeat = models.BooleanField(_("重复投诉"), default=False)
    handling_opinion = models.TextField(_("明确的处理意见"), blank=True)
    opinion_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    opinion_at = models.DateTimeField(_("意见时间"), null=True, blank=True)
    proactive = models.JSONField(_("主动发现的问题"), default=dict, blank=True,
                                 help_text=_("质量监控先发现的问题（R-CMP-PROACTIVE）"))
    calendar_gap_year = models.PositiveSmallIntegerField(_("缺少工作日历的年份"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        permissions = [
            ("sort_complaint", _("可以分拣投诉")),
            ("work_complaint", _("可以分析、处理、回复投诉")),
            ("close_complaint", _("可以关闭与重新处理投诉")),
            ("record_opinion", _("可以填写重复投诉处理意见")),
            ("view_complaint_dashboard", _("可以查看投诉看板")),
        ]
        indexes = [
            models.Index(fields=["importance", "received_at"], condition=Q(stage__in=OPEN_STAGES),
                         name="complaint_open_queue_idx"),
            models.Index(fields=["customer", "-received_at"], name="complaint_customer_recent_idx"),
            models.Index(fields=["stage", "importance"], name="complaint_stage_importance_idx"),
        ]
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")

    def __str__(self):
        return f"{self.number} {self.customer_id}"

    @property
    def circuit_ref(self) -> str:
        return self.circuit.circuit_id if self.circuit_id else ""

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    # ---- transitions (R-CMP-FLOW). Call them only from complaints.services.
    @transition(field=stage, source=ComplaintStage.RECEIVED, target=ComplaintStage.SORTED)
    def sort(self, *, at):
        self.sorted_at = at

    @transition(field=stage, source=ComplaintStage.SORTED, target=ComplaintStage.ANALYSED)
    def analyse(self, *, at):
        self.analysed_at = at

    @transition(field=stage, source=ComplaintStage.ANALYSED, target=ComplaintStage.HANDLED)
    def handle(self, *, at):
        self.handled_at = at

    @transition(field=stage, source=ComplaintStage.HANDLED, target=ComplaintStage.REPLIED)
    def reply(self, *, at):
        self.replied_at = at

    @transition(field=stage, source=ComplaintStage.REPLIED, target=ComplaintStage.CLOSED,
                conditions=[_has_reply, _opinion_if_repeat])
    def close(self, *, at):
        self.closed_at = at

    @transition(field=stage, source=[ComplaintStage.REPLIED, ComplaintStage.CLOSED], target=ComplaintStage.SORTED)
    def reopen(self, *, at):
        """R-CMP-LOOP: back to analysis; a new round of analysis, handling and reply."""
        self.round += 1
        self.analysed_at = self.handled_at = self.replied_at = self.closed_at = None
        self.finding = ""
        self.handling_note = ""


class Reply(models.Model):
    """R-CMP-LOOP: the result sent back to the customer-service department / the customer."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="replies")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    at = models.DateTimeField(_("回复时间"), default=timezone.now)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by_label = models.CharField(_("回复人"), max_length=128)
    text = models.TextField(_("回复内容"))
    customer_reaction = models.CharField(_("客户评价"), max_length=16, choices=CustomerReaction.choices, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("投诉回复")
        verbose_name_plural = _("投诉回复")

    def __str__(self):
        return f"{self.complaint_id} {self.at:%Y-%m-%d %H:%M}"


class ComplaintDeadline(models.Model):
    """R-CMP-LIMITS: one stage's time limit as a row, created when the stage starts.

    ``due_at`` is empty while the working calendar lacks a year the clock needs (``calendar_gap_year``);
    the sweep computes it once the year is loaded. ``met_at`` is when the stage was done; ``breached_at``
    when the sweep found it late (both can be set: done late).
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="deadlines")
    stage = models.CharField(_("环节"), max_length=16, choices=DeadlineStage.choices)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    started_at = models.DateTimeField(_("开始"))
    limit = models.DecimalField(_("时限"), max_digits=6, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=8, choices=LimitUnit.choices)
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    calendar_gap_year = models.PositiveSmallIntegerField(_("缺少工作日历的年份"), null=True, blank=True)
    met_at = models.DateTimeField(_("达成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "stage", "round"], name="complaint_deadline_unique_stage"),
        ]
        indexes = [
            models.Index(fields=["due_at"],
                         condition=Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True),
                         name="complaint_deadline_due_idx"),
            models.Index(fields=["stage", "met_at"], name="complaint_deadline_met_idx"),
        ]
        verbose_name = _("投诉时限")
        verbose_name_plural = _("投诉时限")

    def __str__(self):
        return f"{self.complaint_id} {self.stage} r{self.round}"

    @property
    def is_pending(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    @property
    def on_time(self) -> bool | None:
        if self.met_at is None:
            return None if self.breached_at is None else False
        return self.breached_at is None and (self.due_at is None or self.met_at <= self.due_at)


class ComplaintBreach(models.Model):
    """R-CMP-LIMITS: a stage deadline found late, recorded once (unique per deadline) and escalated."""

    deadline = models.OneToOneField(ComplaintDeadline, on_delete=models.CASCADE, related_name="breach")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="breaches")
    stage = models.CharField(_("环节"), max_length=16, choices=DeadlineStage.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    escalated_to = models.CharField(_("升级给"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["-at"], name="complaint_breach_recent_idx")]
        verbose_name = _("投诉超时")
        verbose_name_plural = _("投诉超时")

    def __str__(self):
        return f"{self.complaint_id} {self.stage}"


class ComplaintEvent(EventRecord):
    """An immutable fact about a complaint (R-CMP-FLOW: every move is an event); a trigger guards it too."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=24, choices=EventKind.choices)

    class Meta(EventRecord.Meta):
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_event_at_idx")]
        verbose_name = _("投诉事件")
        verbose_name_plural = _("投诉事件")

    def __str__(self):
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
