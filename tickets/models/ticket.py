"""The fault ticket and its state machine (docs/rules.md §3.6), the rooms it involves, and its alarms."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from customers.choices import Tier
from customers.models import Circuit, Customer
from customers.selectors import tier_rank
from staff.models import Room, Vendor
from supportdesk.core import timebounds

from ..choices import (
    ACTIVE_FAULT_STATES,
    OPEN_STATES,
    AlarmCategory,
    CancelReason,
    CauseCategory,
    ExplanationState,
    InvolvementRole,
    Outage,
    Severity,
    SiteKind,
    TicketSource,
    TicketState,
)

User = settings.AUTH_USER_MODEL


# --------------------------------------------------------------------------- the ticket
def _has_progress_note(ticket: FaultTicket) -> bool:
    return ticket.progress_notes.exists()


def _has_cause(ticket: FaultTicket) -> bool:
    return bool(ticket.cause_category) and bool(ticket.cause_text.strip())


def _ready_to_dispatch(ticket: FaultTicket) -> bool:
    return ticket.lead_room_id is not None and ticket.customer_id is not None and not ticket.needs_triage


def _close_requirements_met(ticket: FaultTicket) -> bool:
    if not ticket.customer_reply.strip():
        return False
    if ticket.policy.get("explanation_required_to_close"):
        return ticket.explanations.filter(state=ExplanationState.RELEASED, round=ticket.round).exists()
    return True


def _has_cancel_reason(ticket: FaultTicket) -> bool:
    return bool(ticket.cancel_reason)


class FaultTicket(ConcurrentTransitionMixin, models.Model):
    """A fault ticket (故障工单) and its state machine (docs/rules.md §3.6).

    ``ConcurrentTransitionMixin`` makes a save fail when the state changed since the row
    was read, and ``version`` is bumped by every service write so API callers can detect a
    ticket that changed under them.
    """

    number = models.CharField(_("工单号"), max_length=32, unique=True)
    state = FSMField(
        _("状态"), max_length=16, choices=TicketState.choices, default=TicketState.NEW, protected=True
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1, help_text=_("重新打开后加一"))
    source = models.CharField(_("来源"), max_length=16, choices=TicketSource.choices, default=TicketSource.ALARM)
    title = models.CharField(_("标题"), max_length=300)
    description = models.TextField(_("描述"), blank=True)

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    circuit = models.ForeignKey(
        Circuit, verbose_name=_("电路"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    circuit_ref = models.CharField(_("电路编号"), max_length=64, blank=True, null=True)
    needs_triage = models.BooleanField(_("待匹配客户"), default=False)
    tier = models.CharField(_("级别"), max_length=8, choices=Tier.choices, default=Tier.NORMAL)
    important = models.BooleanField(_("重要客户"), default=False)
    category = models.CharField(_("告警类别"), max_length=16, choices=AlarmCategory.choices, default=AlarmCategory.OTHER)
    severity = models.CharField(_("告警级别"), max_length=16, choices=Severity.choices, default=Severity.MAJOR)
    outage = models.CharField(_("中断情况"), max_length=16, choices=Outage.choices, default=Outage.PARTIAL)
    policy = models.JSONField(_("升级策略快照"), default=dict)

    lead_room = models.ForeignKey(
        Room, verbose_name=_("主导室"), null=True, blank=True, on_delete=models.PROTECT, related_name="led_tickets"
    )
    lead_room_override_reason = models.CharField(_("改派原因"), max_length=300, blank=True)
    rooms = models.ManyToManyField(Room, through="TicketRoom", related_name="tickets", blank=True)
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("代维厂家"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )

    expedite = models.BooleanField(_("领导督办"), default=False)
    expedite_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    site_lead_required = models.BooleanField(
        _("须支撑室现场负责"), default=False, help_text="R-SITE-1 / R-SITE-2"
    )
    site_lead = models.ForeignKey(
        User, verbose_name=_("现场负责人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    site_lead_exception = models.CharField(
        _("现场负责人例外原因"), max_length=300, blank=True,
        help_text=_("R-SITE-1/2：经理记录的例外，允许现场负责人未到客户现场即修复"),
    )
    site_lead_exception_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                               related_name="+")
    no_duty_engineer = models.BooleanField(
        _("无值班工程师"), default=False, help_text=_("R-DISPATCH-NORM：派单时支撑室无人值班，已通知全室和经理")
    )
    cause_confirmed_at = models.DateTimeField(_("原因确认时间"), null=True, blank=True, help_text="R-ESC-3")
    occurred_at = models.DateTimeField(_("故障发生时间"))
    reported_by = models.ForeignKey(
        User, verbose_name=_("报告人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    joint_started_at = models.DateTimeField(_("联合处理开始"), null=True, blank=True)
    joint_reason = models.CharField(_("联合处理原因"), max_length=300, blank=True)
    restored_at = models.DateTimeField(_("抢通时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("修复时间"), null=True, blank=True)
    cause_category = models.CharField(_("原因分类"), max_length=24, choices=CauseCategory.choices, blank=True)
    cause_text = models.TextField(_("故障原因"), blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    customer_reply = models.TextField(_("客户回复"), blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=16, choices=CancelReason.choices, blank=True)
    alarm_cleared_at = models.DateTimeField(_("告警清除时间"), null=True, blank=True)
    restore_proposed_at = models.DateTimeField(_("建议抢通时间"), null=True, blank=True)
    recurrence_of = models.ForeignKey(
        "self", verbose_name=_("复发自"), null=True, blank=True, on_delete=models.PROTECT, related_name="recurrences"
    )
    # R-PRIO: the nearest pending deadline (queue kinds), kept by the database (migration 0011 triggers) on every
    # write of a deadline row or of the ticket itself: what the app writes into it is ignored.
    next_due_at = models.DateTimeField(_("最近时限"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at"]
        permissions = [
            ("dispatch_ticket", _("可以派单与改派")),
            ("accept_ticket", _("可以接单")),
            ("start_joint_ticket", _("可以启动联合处理")),
            ("handle_ticket", _("可以处理故障（进展、抢通、修复）")),
            ("close_ticket", _("可以关闭工单")),
            ("cancel_ticket", _("可以取消工单")),
            ("reopen_ticket", _("可以重新打开工单")),
            ("record_arrival", _("可以到场签到")),
            ("notify_rooms", _("可以记录电话通知与拨测")),
            ("publish_broadcast", _("可以信息发布")),
            ("approve_explanation", _("可以审核故障解释")),
            ("draft_explanation", _("可以起草故障解释")),
            ("flag_expedite", _("可以领导督办")),
            ("view_dashboard", _("可以查看升级看板")),
        ]
        constraints = [
            # One open ticket per circuit: concurrent alarms on a circuit meet here.
            models.UniqueConstraint(
                fields=["circuit_ref"],
                condition=Q(state__in=OPEN_STATES) & Q(circuit_ref__isnull=False),
                name="ticket_one_open_per_circuit",
            ),
            models.CheckConstraint(
                condition=Q(needs_triage=False) | Q(customer__isnull=True), name="ticket_triage_has_no_customer"
            ),
            # A time the database driver can read back (year 1 in Asia/Shanghai is a BC timestamp).
            models.CheckConstraint(
                condition=Q(occurred_at__gte=timebounds.EARLIEST, occurred_at__lt=timebounds.DB_LATEST),
                name="ticket_occurred_at_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tier", "occurred_at"], condition=Q(state__in=OPEN_STATES), name="ticket_open_queue_idx"
            ),
            models.Index(fields=["state", "tier"], name="ticket_state_tier_idx"),
            models.Index(fields=["circuit_ref", "-occurred_at"], name="ticket_circuit_recent_idx"),
            models.Index(fields=["lead_room", "state"], name="ticket_lead_room_state_idx"),
            models.Index(fields=["-occurred_at"], name="ticket_occurred_idx"),
            # R-PRIO served from an index: tier rank, nearest pending deadline, oldest fault (open tickets only).
            models.Index(tier_rank(), F("next_due_at"), F("occurred_at"), F("id"),
                         condition=Q(state__in=OPEN_STATES), name="ticket_prio_idx"),
            # The same order over every ticket: the API's ticket list (keyset pages).
            models.Index(tier_rank(), F("next_due_at"), F("occurred_at"), F("id"), name="ticket_list_prio_idx"),
        ]
        verbose_name = _("故障工单")
        verbose_name_plural = _("故障工单")

    def __str__(self):
        return f"{self.number} {self.title}"

    # ---- transitions (docs/rules.md §3.6). Call them only from tickets.services.
    @transition(field=state, source=TicketState.NEW, target=TicketState.DISPATCHED, conditions=[_ready_to_dispatch])
    def dispatch(self, *, at):
        self.dispatched_at = at

    @transition(field=state, source=TicketState.DISPATCHED, target=TicketState.LEAD_HANDLING)
    def accept(self, *, at, accepted_by):
        self.accepted_at = at
        self.accepted_by = accepted_by

    @transition(
        field=state,
        source=[TicketState.DISPATCHED, TicketState.LEAD_HANDLING],
        target=TicketState.JOINT_HANDLING,
    )
    def start_joint(self, *, at, reason):
        self.joint_started_at = at
        self.joint_reason = reason

    @transition(
        field=state,
        source=[TicketState.LEAD_HANDLING, TicketState.JOINT_HANDLING],
        target=TicketState.RESTORED,
        conditions=[_has_progress_note],
    )
    def restore(self, *, at):
        self.restored_at = at

    @transition(
        field=state,
        source=[TicketState.LEAD_HANDLING, TicketState.JOINT_HANDLING, TicketState.RESTORED],
        target=TicketState.RESOLVED,
        conditions=[_has_cause],
    )
    def resolve(self, *, at):
        self.resolved_at = at
        if self.restored_at is None:
            self.restored_at = at  # R-RESTORE-FIRST: a repaired fault is restored too

    @transition(field=state, source=TicketState.RESOLVED, target=TicketState.CLOSED, conditions=[_close_requirements_met])
    def close(self, *, at):
        self.closed_at = at

    @transition(
        field=state,
        source=[TicketState.NEW, TicketState.DISPATCHED],
        target=TicketState.CANCELLED,
        conditions=[_has_cancel_reason],
    )
    def cancel(self, *, at):
        self.cancelled_at = at

    @transition(field=state, source=TicketState.RESOLVED, target=TicketState.LEAD_HANDLING)
    def reopen(self, *, at):
        self.round += 1
        self.resolved_at = None
        self.restored_at = None
        self.cause_category = ""
        self.cause_text = ""

    @transition(
        field=state,
        source=TicketState.RESTORED,
        target=RETURN_VALUE(TicketState.LEAD_HANDLING, TicketState.JOINT_HANDLING),
    )
    def refail(self, *, at):
        """R-RESTORE-FIRST (docs/rules.md): a temporary restore failed; back to whoever was handling it."""
        self.restored_at = None
        self.restore_proposed_at = None
        self.alarm_cleared_at = None
        return TicketState.JOINT_HANDLING if self.joint_started_at else TicketState.LEAD_HANDLING

    # ---- helpers
    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def fault_active(self) -> bool:
        """Neither restored nor resolved: the clocks of §3.3 still run."""
        return self.state in ACTIVE_FAULT_STATES

    def policy_duration(self, key: str) -> timedelta | None:
        value = self.policy.get(key)
        return None if value is None else timedelta(seconds=value)


class TicketRoom(models.Model):
    """A room involved in a ticket (R-DISPATCH-IMP / R-ESC-1): lead, professional or support."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="involvements")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="involvements")
    role = models.CharField(_("角色"), max_length=16, choices=InvolvementRole.choices)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    joined_joint_at = models.DateTimeField(_("加入联合处理"), null=True, blank=True)
    must_arrive = models.BooleanField(_("须到场"), default=False)
    site_kind = models.CharField(_("到场地点"), max_length=16, choices=SiteKind.choices, blank=True)

    class Meta:
        ordering = ["ticket", "room_id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "room"], name="ticket_room_unique")]
        verbose_name = _("参与室")
        verbose_name_plural = _("参与室")

    def __str__(self):
        return f"{self.ticket.number} {self.room}"


# --------------------------------------------------------------------------- alarms
class Alarm(models.Model):
    """An NMS alarm as received (网管告警); ``payload`` keeps the body exactly as posted."""

    alarm_id = models.CharField(_("告警编号"), max_length=128, unique=True)
    ticket = models.ForeignKey(FaultTicket, on_delete=models.PROTECT, related_name="alarms")
    source = models.CharField(_("来源系统"), max_length=64, blank=True)
    category = models.CharField(_("类别"), max_length=16, choices=AlarmCategory.choices)
    severity = models.CharField(_("级别"), max_length=16, choices=Severity.choices)
    outage = models.CharField(_("中断情况"), max_length=16, choices=Outage.choices)
    circuit_ref = models.CharField(_("电路编号"), max_length=64)
    circuit = models.ForeignKey(Circuit, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms")
    title = models.CharField(_("标题"), max_length=300)
    raised_at = models.DateTimeField(_("告警时间"))
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    cleared_at = models.DateTimeField(_("清除时间"), null=True, blank=True)
    correlated = models.BooleanField(_("关联到已有工单"), default=False)
    payload = models.JSONField(_("原始报文"))

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["circuit_ref", "-raised_at"], name="alarm_circuit_idx")]
        verbose_name = _("告警")
        verbose_name_plural = _("告警")

    def __str__(self):
        return self.alarm_id
