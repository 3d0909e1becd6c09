"""Customer visits (docs/rules.md §4): the visit and its state machine, participants, the appointment call,
problems collected on site, documents for the customer, inspection checklists, the coverage policy.

Models hold data, constraints and the transitions; every write goes through ``visits.services``.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from customers.choices import Tier
from supportdesk.core import timebounds
from supportdesk.core.events import EventRecord

from .choices import (
    UPCOMING_STATES,
    CallDirection,
    CheckResult,
    DocumentKind,
    DocumentState,
    ParticipantKind,
    ReminderKind,
    ReviewDecision,
    VisitEventKind,
    VisitKind,
    VisitState,
)

User = settings.AUTH_USER_MODEL


# --------------------------------------------------------------------------- policy
class VisitPolicy(models.Model):
    """How often each customer tier is visited, and when reminders go out (editable in the admin)."""

    tier = models.CharField(_("客户级别"), max_length=8, choices=Tier.choices, unique=True)
    interval_days = models.PositiveIntegerField(
        _("拜访周期（天）"), null=True, blank=True, help_text=_("留空表示不考核拜访覆盖")
    )
    call_reminder_hours = models.PositiveIntegerField(
        _("预约电话提醒（拜访前小时数）"), default=24, help_text="R-VISIT-1"
    )
    fault_review_within_days = models.PositiveIntegerField(
        _("故障总结拜访建议期限（天）"), default=7, help_text=_("重要客户全阻故障修复后，建议在此期限内安排故障总结拜访")
    )
    updated_at = models.DateTimeField(auto_now=True)

    DEFAULTS = {
        Tier.DIAMOND: dict(interval_days=30),
        Tier.GOLD: dict(interval_days=90),
        Tier.NORMAL: dict(interval_days=None),
    }

    class Meta:
        ordering = ["tier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_days__isnull=True) | Q(interval_days__gt=0), name="visitpolicy_interval_positive"
            ),
        ]
        verbose_name = _("拜访策略")
        verbose_name_plural = _("拜访策略")

    def __str__(self):
        return str(self.get_tier_display())


# --------------------------------------------------------------------------- checklists
class ChecklistTemplate(models.Model):
    """A routine-inspection checklist (例行巡检): the items to check at the customer's site."""

    name = models.CharField(_("名称"), max_length=128, unique=True)
    description = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("巡检模板")
        verbose_name_plural = _("巡检模板")

    def __str__(self):
        return self.name


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    text = models.CharField(_("检查项"), max_length=300)

    class Meta:
        ordering = ["template", "order", "id"]
        verbose_name = _("巡检项")
        verbose_name_plural = _("巡检项")

    def __str__(self):
        return self.text


# --------------------------------------------------------------------------- the visit
def _has_appointment_call(visit: Visit) -> bool:
    return visit.calls.exists()


def _checklist_complete(visit: Visit) -> bool:
    if visit.kind != VisitKind.ROUTINE_INSPECTION:
        return True
    if visit.checklist_template_id is None:
        return False
    wanted = set(visit.checklist_template.items.values_list("pk", flat=True))
    done = set(visit.inspection_results.values_list("item_id", flat=True))
    return wanted <= done


class Visit(ConcurrentTransitionMixin, models.Model):
    """A customer visit (客户拜访): planned → confirmed → done, or cancelled."""

    number = models.CharField(_("拜访编号"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="visits"
    )
    kind = models.CharField(_("拜访类型"), max_length=32, choices=VisitKind.choices)
    state = FSMField(_("状态"), max_length=16, choices=VisitState.choices, default=VisitState.PLANNED, protected=True)
    version = models.PositiveIntegerField(_("版本"), default=1, help_text=_("每次修改加一：两人同时修改时后者被拒绝"))
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    planned_at = models.DateTimeField(_("计划时间"))
    actual_at = models.DateTimeField(_("实际拜访时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=300, blank=True)
    owner = models.ForeignKey(
        User, verbose_name=_("负责人"), null=True, blank=True, on_delete=models.PROTECT, related_name="owned_visits"
    )
    notes = models.TextField(_("备注"), blank=True)
    summary = models.TextField(_("拜访纪要"), blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)
    checklist_template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("巡检模板"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="visits",
    )
    tickets = models.ManyToManyField(
        "tickets.FaultTicket", verbose_name=_("关联故障工单"), blank=True, related_name="review_visits"
    )
    proposed_for = models.OneToOneField(
        "tickets.FaultTicket", verbose_name=_("建议来源工单"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="proposed_review", help_text=_("重要客户全阻故障修复后自动建议的故障总结拜访"),
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-planned_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_at__gte=timebounds.EARLIEST, planned_at__lt=timebounds.DB_LATEST),
                name="visit_planned_at_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["planned_at"], condition=Q(state__in=UPCOMING_STATES), name="visit_agenda_idx"),
            models.Index(fields=["customer", "-actual_at"], condition=Q(state="done"), name="visit_last_done_idx"),
        ]
        verbose_name = _("客户拜访")
        verbose_name_plural = _("客户拜访")

    def __str__(self):
        return f"{self.number} {self.get_kind_display()}"

    # ---- transitions. Call them only from visits.services.
    @transition(field=state, source=VisitState.PLANNED, target=VisitState.CONFIRMED)
    def confirm(self, *, planned_at, place):
        self.planned_at = planned_at
        if place:
            self.place = place

    @transition(
        field=state,
        source=[VisitState.PLANNED, VisitState.CONFIRMED],
        target=VisitState.DONE,
        conditions=[_has_appointment_call, _checklist_complete],
    )
    def complete(self, *, at, summary=""):
        self.actual_at = at
        if summary:
            self.summary = summary

    @transition(field=state, source=[VisitState.PLANNED, VisitState.CONFIRMED], target=VisitState.CANCELLED)
    def cancel(self, *, reason):
        self.cancel_reason = reason

    @property
    def is_upcoming(self) -> bool:
        return self.state in UPCOMING_STATES


class VisitParticipant(models.Model):
    """R-VISIT-2: one of our people on the visit; a vendor engineer only under a named lead of ours."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="visit_participations")
    kind = models.CharField(_("身份"), max_length=16, choices=ParticipantKind.choices, default=ParticipantKind.STAFF)
    lead = models.ForeignKey(
        User, verbose_name=_("带队负责人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    room = models.ForeignKey(
        "staff.Room", verbose_name=_("所属室"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["visit", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "user"], name="visit_participant_unique"),
            models.CheckConstraint(
                condition=~Q(kind=ParticipantKind.VENDOR) | Q(lead__isnull=False), name="visit_vendor_has_lead"
            ),
        ]
        verbose_name = _("我方参加人员")
        verbose_name_plural = _("我方参加人员")

    def __str__(self):
        return f"{self.user} ({self.get_kind_display()})"


class CustomerParticipant(models.Model):
    """R-VISIT-2: one of the customer's people at the visit."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="customer_participants")
    name = models.CharField(_("姓名"), max_length=64)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    class Meta:
        ordering = ["visit", "id"]
        verbose_name = _("客户参加人员")
        verbose_name_plural = _("客户参加人员")

    def __str__(self):
        return f"{self.name} {self.title}".strip()


class AppointmentCall(models.Model):
    """R-VISIT-1: the call that confirms time, place and participants and leaves our contact details."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="calls")
    direction = models.CharField(
        _("方向"), max_length=16, choices=CallDirection.choices, default=CallDirection.OUTGOING
    )
    caller = models.ForeignKey(User, verbose_name=_("我方人员"), on_delete=models.PROTECT, related_name="+")
    callee_name = models.CharField(_("客户联系人"), max_length=64)
    callee_phone = models.CharField(_("客户电话"), max_length=32)
    called_at = models.DateTimeField(_("通话时间"))
    confirmed_time = models.DateTimeField(_("确认的拜访时间"))
    confirmed_place = models.CharField(_("确认的地点"), max_length=300)
    confirmed_participants = models.TextField(_("确认的参加人员"))
    contact_left = models.CharField(_("留给客户的联系方式"), max_length=200)
    note = models.TextField(_("备注"), blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit", "called_at"]
        verbose_name = _("预约电话")
        verbose_name_plural = _("预约电话")

    def __str__(self):
        return f"{self.visit.number} {self.callee_name} {timezone.localtime(self.called_at):%m-%d %H:%M}"


class VisitProblem(models.Model):
    """R-VISIT-3: a problem collected on site: solved on the spot, or an owner and a due date."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField(_("问题描述"))
    solved_on_site = models.BooleanField(_("现场已解决"), default=False)
    solution = models.TextField(_("解决情况"), blank=True)
    owner = models.ForeignKey(
        User, verbose_name=_("跟进责任人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="visit_problems",
    )
    due_date = models.DateField(_("跟进期限"), null=True, blank=True)
    follow_up = models.TextField(_("跟进记录"), blank=True)
    closed_at = models.DateTimeField(_("跟进完成时间"), null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        "tickets.FaultTicket", verbose_name=_("故障工单"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="visit_problems",
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(solved_on_site=True) | (Q(owner__isnull=False) & Q(due_date__isnull=False)),
                name="visit_problem_solved_or_owned",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_date"], condition=Q(solved_on_site=False, closed_at__isnull=True),
                name="problem_followup_due_idx",
            ),
        ]
        verbose_name = _("拜访问题")
        verbose_name_plural = _("拜访问题")

    def __str__(self):
        return self.description[:60]

    @property
    def open_follow_up(self) -> bool:
        return not self.solved_on_site and self.closed_at is None


# --------------------------------------------------------------------------- documents
class DocumentTemplate(models.Model):
    """R-VISIT-4: the standard template a document for the customer is written on."""

    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("文档类型"), max_length=16, choices=DocumentKind.choices)
    version = models.CharField(_("版本"), max_length=32, default="1")
    body = models.TextField(_("模板正文"), blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="doc_template_unique_version")]
        verbose_name = _("文档模板")
        verbose_name_plural = _("文档模板")

    def __str__(self):
        return f"{self.name} v{self.version}"


def _all_reviews_approved(document: VisitDocument) -> bool:
    return document.reviews_complete


class VisitDocument(ConcurrentTransitionMixin, models.Model):
    """R-VISIT-4: a proposal, report, fax or e-mail: reviewed by one or two colleagues, then sent.

    ``state`` is a state machine: in review → approved (every reviewer approved) → sent → received.
    """

    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="documents",
                              help_text=_("R-VISIT-4：拜访以外的往来文档（如故障说明函、报告）可不属于拜访"))
    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT,
                                 related_name="outgoing_documents")
    ticket = models.ForeignKey("tickets.FaultTicket", verbose_name=_("关联工单"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("文档类型"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    template = models.ForeignKey(
        DocumentTemplate, verbose_name=_("使用模板"), on_delete=models.PROTECT, related_name="documents"
    )
    body = models.TextField(_("正文"), blank=True)
    author = models.ForeignKey(User, verbose_name=_("撰写人"), on_delete=models.PROTECT, related_name="+")
    state = FSMField(
        _("状态"), max_length=16, choices=DocumentState.choices, default=DocumentState.IN_REVIEW, protected=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    sent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sent_notice = models.CharField(_("发送告知"), max_length=300, blank=True, help_text=_("如何告知客户已发送"))
    received_at = models.DateTimeField(_("客户收到时间"), null=True, blank=True)
    received_notice = models.CharField(_("收到确认"), max_length=300, blank=True)

    class Meta:
        ordering = ["visit", "created_at"]
        verbose_name = _("拜访文档")
        verbose_name_plural = _("拜访文档")

    def __str__(self):
        return self.title

    @property
    def reviews_complete(self) -> bool:
        decisions = [r.decision for r in self.reviews.all()]
        return bool(decisions) and all(d == ReviewDecision.APPROVED for d in decisions)

    @transition(field=state, source=DocumentState.IN_REVIEW, target=DocumentState.APPROVED,
                conditions=[_all_reviews_approved])
    def approve(self):
        """R-VISIT-4: every reviewer approved."""

    @transition(field=state, source=DocumentState.APPROVED, target=DocumentState.SENT,
                conditions=[_all_reviews_approved])
    def send(self, *, at, by, notice: str):
        self.sent_at, self.sent_by, self.sent_notice = at, by, notice

    @transition(field=state, source=DocumentState.SENT, target=DocumentState.RECEIVED)
    def mark_received(self, *, at, notice: str):
        self.received_at, self.received_notice = at, notice


class DocumentReview(models.Model):
    """R-VISIT-4: one reviewer's decision on a document (the author never reviews their own)."""

    document = models.ForeignKey(VisitDocument, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(User, verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(
        _("审核结果"), max_length=16, choices=ReviewDecision.choices, default=ReviewDecision.PENDING
    )
    note = models.CharField(_("审核意见"), max_length=300, blank=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["document", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "reviewer"], name="doc_review_unique")]
        verbose_name = _("文档审核")
        verbose_name_plural = _("文档审核")

    def __str__(self):
        return f"{self.document} / {self.reviewer}: {self.decision}"


# --------------------------------------------------------------------------- inspection
class InspectionResult(models.Model):
    """One checklist item filled in on a routine-inspection visit."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="inspection_results")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="results")
    result = models.CharField(_("结果"), max_length=8, choices=CheckResult.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit", "item__order", "item_id"]
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="inspection_result_unique")]
        verbose_name = _("巡检结果")
        verbose_name_plural = _("巡检结果")

    def __str__(self):
        return f"{self.item}: {self.result}"


# --------------------------------------------------------------------------- reminders and events
class VisitReminder(models.Model):
    """A reminder that went out; the unique constraints make each one go out at most once."""

    kind = models.CharField(_("提醒类别"), max_length=32, choices=ReminderKind.choices)
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    problem = models.ForeignKey(
        VisitProblem, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    notification = models.ForeignKey(
        "staff.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "visit"], condition=Q(problem__isnull=True), name="visit_reminder_once"
            ),
            models.UniqueConstraint(
                fields=["kind", "problem"], condition=Q(problem__isnull=False), name="problem_reminder_once"
            ),
            models.CheckConstraint(
                condition=Q(visit__isnull=False) | Q(problem__isnull=False), name="reminder_has_subject"
            ),
        ]
        verbose_name = _("拜访提醒")
        verbose_name_plural = _("拜访提醒")

    def __str__(self):
        return f"{self.kind} {self.visit_id or ''}{self.problem_id or ''}"


class VisitEvent(EventRecord):
    """An immutable fact about a visit (who, when, what, from, to)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=24, choices=VisitEventKind.choices)

    class Meta(EventRecord.Meta):
        indexes = [models.Index(fields=["visit", "at"], name="visit_event_at_idx")]
        verbose_name = _("拜访事件")
        verbose_name_plural = _("拜访事件")

    def __str__(self):
        return f"{self.visit_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class IncomingDocument(models.Model):
    """R-VISIT-4 (docs/rules.md): a document received *from* the customer (letter, fax, e-mail, report), with or
    without a visit: registered when it arrives and its receipt acknowledged to the customer."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="incoming_documents")
    visit = models.ForeignKey("Visit", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="incoming_documents")
    ticket = models.ForeignKey("tickets.FaultTicket", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("类别"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    sender = models.CharField(_("客户发件人"), max_length=120)
    received_at = models.DateTimeField(_("收到时间"))
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("回复收到时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledgement = models.CharField(_("如何告知客户已收到"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["received_at"], condition=Q(acknowledged_at__isnull=True),
                                name="incoming_unacknowledged_idx")]
        verbose_name = _("客户来文")
        verbose_name_plural = _("客户来文")

    def __str__(self):
        return self.title
