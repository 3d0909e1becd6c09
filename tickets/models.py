"""Fault-ticket data (SPEC §2, §3) and the ticket state machine (SPEC §3.6).

Models hold data, constraints and the transitions; every write goes through
``tickets.services``. No I/O happens here.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from staff.models import Room, Vendor
from supportdesk.events import EventRecord

from .choices import (
    ACTIVE_FAULT_STATES,
    OPEN_STATES,
    AlarmCategory,
    BroadcastKind,
    CancelReason,
    CauseCategory,
    DeadlineKind,
    DialTestMethod,
    DialTestResult,
    EscalationKind,
    EventKind,
    ExplanationState,
    InvolvementRole,
    Outage,
    PhoneChannel,
    ProgressKind,
    ServiceType,
    Severity,
    SiteKind,
    TicketSource,
    TicketState,
    Tier,
)

User = settings.AUTH_USER_MODEL


# --------------------------------------------------------------------------- customers
class Customer(models.Model):
    """A group customer (集团客户)."""

    code = models.CharField(_("客户编码"), max_length=32, unique=True)
    name = models.CharField(_("客户名称"), max_length=200)
    tier = models.CharField(_("级别"), max_length=8, choices=Tier.choices, default=Tier.NORMAL)
    account_manager = models.CharField(_("客户经理"), max_length=64, blank=True)
    account_manager_phone = models.CharField(_("客户经理电话"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["tier"], name="customer_tier_idx")]
        verbose_name = _("集团客户")
        verbose_name_plural = _("集团客户")

    def __str__(self):
        return f"{self.name} ({self.code})"


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("电话"), max_length=32)
    email = models.EmailField(_("邮箱"), blank=True)
    is_technical = models.BooleanField(_("技术联系人"), default=True)

    class Meta:
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name", "phone"], name="contact_unique"),
        ]
        verbose_name = _("客户联系人")
        verbose_name_plural = _("客户联系人")

    def __str__(self):
        return f"{self.name} {self.phone}"


class Site(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("站点名称"), max_length=128, blank=True)
    address = models.CharField(_("地址"), max_length=300)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["customer", "address"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "address"], name="site_unique_address"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="site_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="site_longitude_range",
            ),
        ]
        verbose_name = _("客户站点")
        verbose_name_plural = _("客户站点")

    def __str__(self):
        return self.name or self.address


class Circuit(models.Model):
    """A service or circuit (业务/专线); alarms name it by ``circuit_id``."""

    circuit_id = models.CharField(_("电路编号"), max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="circuits")
    service_type = models.CharField(_("业务类型"), max_length=24, choices=ServiceType.choices)
    bandwidth = models.CharField(_("带宽"), max_length=32, blank=True)
    a_site = models.ForeignKey(
        Site, verbose_name=_("A端"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    z_site = models.ForeignKey(
        Site, verbose_name=_("Z端"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["circuit_id"]
        verbose_name = _("电路")
        verbose_name_plural = _("电路")

    def __str__(self):
        return self.circuit_id


# --------------------------------------------------------------------------- policy
class EscalationPolicy(models.Model):
    """The deadlines and duties of one customer tier (SPEC §3.3 defaults, editable in the admin).

    A ticket copies these values when it is opened (``FaultTicket.policy``), so editing a
    policy never moves a running clock.
    """

    tier = models.CharField(_("客户级别"), max_length=8, choices=Tier.choices, unique=True)
    important = models.BooleanField(_("重要客户"), help_text=_("钻级、金级为重要客户"))
    joint_after = models.DurationField(_("联合处理时限"), help_text=_("R-ESC-1 / R-ESC-3"))
    arrival_after = models.DurationField(
        _("到场时限"), null=True, blank=True, help_text=_("R-ESC-2；留空表示不考核到场")
    )
    broadcast_every = models.DurationField(_("信息发布间隔"), help_text=_("R-BCAST"))
    site_lead_on_total_outage = models.BooleanField(_("全阻须支撑室现场负责"), help_text="R-SITE-1")
    site_lead_on_any_fault = models.BooleanField(_("任何故障须支撑室现场负责"), help_text="R-SITE-2")
    explanation_required_to_close = models.BooleanField(_("关单须发布故障解释"), help_text="R-EXPLAIN")
    auto_restore_on_clear = models.BooleanField(
        _("告警清除自动抢通"), default=False, help_text=_("否则仅向主导室建议抢通")
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    DEFAULTS = {
        Tier.DIAMOND: dict(
            important=True, joint_after=timedelta(hours=1), arrival_after=timedelta(hours=2),
            broadcast_every=timedelta(hours=1), site_lead_on_total_outage=True,
            site_lead_on_any_fault=True, explanation_required_to_close=True,
        ),
        Tier.GOLD: dict(
            important=True, joint_after=timedelta(hours=1), arrival_after=timedelta(hours=2),
            broadcast_every=timedelta(hours=1), site_lead_on_total_outage=True,
            site_lead_on_any_fault=False, explanation_required_to_close=True,
        ),
        Tier.NORMAL: dict(
            important=False, joint_after=timedelta(hours=3), arrival_after=None,
            broadcast_every=timedelta(hours=1), site_lead_on_total_outage=False,
            site_lead_on_any_fault=False, explanation_required_to_close=False,
        ),
    }

    class Meta:
        ordering = ["tier"]
        constraints = [
            models.CheckConstraint(condition=Q(joint_after__gt=timedelta(0)), name="policy_joint_after_positive"),
            models.CheckConstraint(
                condition=Q(broadcast_every__gte=timedelta(minutes=5)), name="policy_broadcast_min_5min"
            ),
        ]
        verbose_name = _("升级策略")
        verbose_name_plural = _("升级策略")

    def __str__(self):
        return str(self.get_tier_display())

    def save(self, *args, **kwargs):
        if self.pk:
            self.version = models.F("version") + 1
        super().save(*args, **kwargs)
        if self.pk:
            self.refresh_from_db(fields=["version"])

    def snapshot(self) -> dict:
        """The values a ticket keeps for its whole life (durations in seconds)."""

        def secs(d):
            return None if d is None else int(d.total_seconds())

        return {
            "tier": self.tier,
            "version": self.version,
            "important": self.important,
            "joint_after": secs(self.joint_after),
            "arrival_after": secs(self.arrival_after),
            "broadcast_every": secs(self.broadcast_every),
            "site_lead_on_total_outage": self.site_lead_on_total_outage,
            "site_lead_on_any_fault": self.site_lead_on_any_fault,
            "explanation_required_to_close": self.explanation_required_to_close,
            "auto_restore_on_clear": self.auto_restore_on_clear,
        }


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
    """A fault ticket (故障工单) and its state machine (SPEC §3.6).

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
        ]
        indexes = [
            models.Index(
                fields=["tier", "occurred_at"], condition=Q(state__in=OPEN_STATES), name="ticket_open_queue_idx"
            ),
            models.Index(fields=["state", "tier"], name="ticket_state_tier_idx"),
            models.Index(fields=["circuit_ref", "-occurred_at"], name="ticket_circuit_recent_idx"),
            models.Index(fields=["lead_room", "state"], name="ticket_lead_room_state_idx"),
            models.Index(fields=["-occurred_at"], name="ticket_occurred_idx"),
        ]
        verbose_name = _("故障工单")
        verbose_name_plural = _("故障工单")

    def __str__(self):
        return f"{self.number} {self.title}"

    # ---- transitions (SPEC §3.6). Call them only from tickets.services.
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


# --------------------------------------------------------------------------- deadlines and escalation
class Deadline(models.Model):
    """A clock of SPEC §3.3 as a row: the sweep finds due rows through ``deadline_due_idx``."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("类别"), max_length=16, choices=DeadlineKind.choices)
    round = models.PositiveSmallIntegerField(default=1)
    sequence = models.PositiveIntegerField(_("序号"), default=0, help_text=_("信息发布的时段序号"))
    due_at = models.DateTimeField(_("到期时间"))
    met_at = models.DateTimeField(_("达成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "round", "sequence"], name="deadline_unique_slot"),
            models.CheckConstraint(
                condition=Q(met_at__isnull=True) | Q(breached_at__isnull=True), name="deadline_met_xor_breached"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_due_idx",
            ),
        ]
        verbose_name = _("时限")
        verbose_name_plural = _("时限")

    def __str__(self):
        return f"{self.ticket.number} {self.kind} {self.due_at:%Y-%m-%d %H:%M}"

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


# --------------------------------------------------------------------------- work on the ticket
class Arrival(models.Model):
    """An on-site check-in made from a phone (R-ESC-2)."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="arrivals")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="arrivals")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1, help_text=_("重新打开后的到场另计"))
    site_kind = models.CharField(_("到场地点"), max_length=16, choices=SiteKind.choices)
    at = models.DateTimeField(_("到场时间"), default=timezone.now)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度(米)"), null=True, blank=True)
    distance_m = models.FloatField(_("距站点(米)"), null=True, blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user", "round"], name="arrival_once_per_user_and_round"),
        ]
        verbose_name = _("到场")
        verbose_name_plural = _("到场")

    def __str__(self):
        return f"{self.ticket.number} {self.room} {self.user}"


class SiteMember(models.Model):
    """Someone on site who follows the on-site lead (R-SITE-3 vendors, R-SITE-5 others)."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="site_members")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="site_member_unique")]
        verbose_name = _("现场人员")
        verbose_name_plural = _("现场人员")


class PreArrivalCheck(models.Model):
    """R-SITE-4: the call to the customer's technical contact and the tool list, before arriving."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="pre_arrival_checks")
    engineer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    contact_name = models.CharField(_("客户技术联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    called_at = models.DateTimeField(_("通话时间"), default=timezone.now)
    confirmed_arrangements = models.TextField(_("确认的时间、地点、人员"), blank=True)
    equipment_state = models.TextField(_("设备现场情况"), blank=True)
    eta = models.DateTimeField(_("预计到达"), null=True, blank=True)
    told_engineer_details = models.BooleanField(_("已告知姓名、电话、预计到达时间"), default=False)
    tool_laptop = models.BooleanField(_("手提电脑"), default=False)
    tool_patch_cables = models.BooleanField(_("网线"), default=False)
    tool_router_config_backup = models.BooleanField(_("客户路由器备份文件"), default=False)
    tool_transmission_spares = models.BooleanField(_("传输相关设备"), default=False)
    tool_router_spares = models.BooleanField(_("路由器备件"), default=False)

    TOOLS = (
        "tool_laptop",
        "tool_patch_cables",
        "tool_router_config_backup",
        "tool_transmission_spares",
        "tool_router_spares",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "engineer"], name="pre_arrival_once")]
        verbose_name = _("到场前准备")
        verbose_name_plural = _("到场前准备")


class ProgressNote(models.Model):
    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="progress_notes")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类别"), max_length=16, choices=ProgressKind.choices, default=ProgressKind.GENERAL)
    text = models.TextField(_("内容"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["ticket", "room", "-at"], name="progress_latest_idx")]
        verbose_name = _("处理进展")
        verbose_name_plural = _("处理进展")

    def __str__(self):
        return self.text[:40]


class PhoneNotification(models.Model):
    """One line of the R-DISPATCH-IMP phone checklist: a room that must be phoned."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="phone_notifications")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("方式"), max_length=16, choices=PhoneChannel.choices, default=PhoneChannel.PHONE)
    callee = models.CharField(_("接听人"), max_length=64, blank=True)
    callee_phone = models.CharField(_("电话"), max_length=32, blank=True)
    called_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField(_("通话时间"), null=True, blank=True)
    answered = models.BooleanField(_("已接听"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("拨打次数"), default=0)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        ordering = ["ticket", "room_id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "room"], name="phone_once_per_room")]
        verbose_name = _("电话通知")
        verbose_name_plural = _("电话通知")


class DialTest(models.Model):
    """A dial test (拨测) recorded by monitoring before or after dispatch."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="dial_tests")
    method = models.CharField(_("方式"), max_length=8, choices=DialTestMethod.choices, default=DialTestMethod.PING)
    result = models.CharField(_("结果"), max_length=8, choices=DialTestResult.choices)
    detail = models.TextField(_("详情"), blank=True)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["at"]
        verbose_name = _("拨测")
        verbose_name_plural = _("拨测")


class Explanation(ConcurrentTransitionMixin, models.Model):
    """The customer explanation of the cause (R-EXPLAIN): draft → approved → released."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="explanations")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1, help_text=_("重新打开的故障需要新的解释"))
    text = models.TextField(_("解释内容"))
    state = FSMField(
        _("状态"), max_length=16, choices=ExplanationState.choices, default=ExplanationState.DRAFT, protected=True
    )
    drafted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["drafted_at"]
        indexes = [models.Index(fields=["state"], name="explanation_state_idx")]
        verbose_name = _("故障解释")
        verbose_name_plural = _("故障解释")

    @transition(field=state, source=ExplanationState.DRAFT, target=ExplanationState.APPROVED)
    def approve(self, *, by, at, note=""):
        self.reviewed_by, self.reviewed_at, self.review_note = by, at, note

    @transition(field=state, source=ExplanationState.DRAFT, target=ExplanationState.RETURNED)
    def send_back(self, *, by, at, note):
        self.reviewed_by, self.reviewed_at, self.review_note = by, at, note

    @transition(field=state, source=ExplanationState.RETURNED, target=ExplanationState.DRAFT)
    def revise(self, *, text, at):
        self.text, self.drafted_at = text, at

    @transition(field=state, source=ExplanationState.APPROVED, target=ExplanationState.RELEASED)
    def release(self, *, by, at):
        self.released_by, self.released_at = by, at


# --------------------------------------------------------------------------- the event log
class TicketEvent(EventRecord):
    """An immutable fact about a ticket (who, when, from, to, note).

    The model refuses updates and deletes, and on PostgreSQL a trigger refuses them too.
    """

    ticket = models.ForeignKey(FaultTicket, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=24, choices=EventKind.choices)

    class Meta(EventRecord.Meta):
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_at_idx")]
        verbose_name = _("工单事件")
        verbose_name_plural = _("工单事件")

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


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

    class Meta:
        ordering = ["-finished_at"]
        verbose_name = _("时限巡检")
        verbose_name_plural = _("时限巡检")

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M:%S}"


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")


ALARM_FIELDS_FROM_LABELS = ("circuit_id", "category", "severity", "outage")
MAPPED_VALUE_CHOICES = {"category": AlarmCategory, "severity": Severity, "outage": Outage}


def default_label_mapping() -> dict:
    return {name: name for name in ALARM_FIELDS_FROM_LABELS}


class AlarmIntegration(models.Model):
    """An alarm source that speaks its own format (Alertmanager's webhook), turned into our alarms.

    The labels that carry the circuit, category, severity and outage are configurable, and so are value
    translations (``{"severity": {"page": "critical"}}``); a missing or unknown value takes the defaults
    here, so an alert is never refused for its labels (SPEC §3.1).
    """

    name = models.SlugField(_("名称"), max_length=64, unique=True,
                            help_text=_("也可在接收地址中以 ?integration=<名称> 指定"))
    kind = models.CharField(_("类型"), max_length=32, choices=IntegrationKind.choices,
                            default=IntegrationKind.ALERTMANAGER)
    client = models.ForeignKey(
        "staff.ApiClient", verbose_name=_("API 客户端"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="alarm_integrations", help_text=_("发送方使用该客户端的令牌认证（需 alarms:write 权限）"),
    )
    label_mapping = models.JSONField(
        _("标签映射"), default=default_label_mapping, blank=True,
        help_text=_('告警字段 → 标签名，例如 {"circuit_id": "circuit", "severity": "severity"}；未列出的字段使用同名标签'),
    )
    value_mappings = models.JSONField(
        _("取值映射"), default=dict, blank=True,
        help_text=_('按字段翻译标签取值，例如 {"severity": {"page": "critical"}}'),
    )
    default_category = models.CharField(_("默认类别"), max_length=16, choices=AlarmCategory.choices,
                                        default=AlarmCategory.OTHER)
    default_severity = models.CharField(_("默认级别"), max_length=16, choices=Severity.choices,
                                        default=Severity.MAJOR)
    default_outage = models.CharField(_("默认中断情况"), max_length=16, choices=Outage.choices,
                                      default=Outage.PARTIAL)
    last_received_at = models.DateTimeField(_("最近接收"), null=True, blank=True)
    received_count = models.PositiveIntegerField(_("已接收告警数"), default=0)
    rejected_count = models.PositiveIntegerField(_("已拒绝告警数"), default=0,
                                                 help_text=_("无法解析的告警条目或报文"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("告警接入")
        verbose_name_plural = _("告警接入")

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        mapping = self.label_mapping if self.label_mapping is not None else {}
        if not isinstance(mapping, dict):
            errors["label_mapping"] = _("须为 JSON 对象")
        else:
            unknown = sorted(set(mapping) - set(ALARM_FIELDS_FROM_LABELS))
            if unknown:
                errors["label_mapping"] = _("未知字段：%(f)s（可用：%(ok)s）") % {
                    "f": ", ".join(unknown), "ok": ", ".join(ALARM_FIELDS_FROM_LABELS)}
            elif any(not isinstance(v, str) or not v.strip() for v in mapping.values()):
                errors["label_mapping"] = _("标签名须为非空字符串")
        values = self.value_mappings if self.value_mappings is not None else {}
        if not isinstance(values, dict):
            errors["value_mappings"] = _("须为 JSON 对象")
        else:
            for field_name, table in values.items():
                choices = MAPPED_VALUE_CHOICES.get(field_name)
                if choices is None:
                    errors["value_mappings"] = _("未知字段：%(f)s（可用：%(ok)s）") % {
                        "f": field_name, "ok": ", ".join(MAPPED_VALUE_CHOICES)}
                    break
                if not isinstance(table, dict):
                    errors["value_mappings"] = _("%(f)s 的映射须为 JSON 对象") % {"f": field_name}
                    break
                wrong = sorted(str(v) for v in table.values() if v not in choices.values)
                if wrong:
                    errors["value_mappings"] = _("%(f)s 的取值无效：%(v)s（可用：%(ok)s）") % {
                        "f": field_name, "v": ", ".join(wrong), "ok": ", ".join(choices.values)}
                    break
        if errors:
            raise ValidationError(errors)
