"""Work on a ticket: check-ins, people on site, calls, progress, dial tests, explanations, events."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from staff.models import Room, Vendor
from supportdesk.core.events import EventRecord

from ..choices import (
    ContactChannel,
    DialTestMethod,
    DialTestResult,
    EventKind,
    ExplanationState,
    PhoneChannel,
    ProgressKind,
    SiteKind,
)
from .ticket import FaultTicket

User = settings.AUTH_USER_MODEL


# --------------------------------------------------------------------------- work on the ticket
class Arrival(models.Model):
    """An on-site check-in made from a phone (R-ESC-2)."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="arrivals")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="arrivals")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1, help_text=_("重新打开后的到场另计"))
    site_kind = models.CharField(_("到场地点"), max_length=16, choices=SiteKind.choices)
    at = models.DateTimeField(_("到场时间"), default=timezone.now, help_text=_("R-ESC-2：计入考核的到场时间"))
    received_at = models.DateTimeField(_("服务器接收时间"), default=timezone.now)
    stated_at = models.DateTimeField(_("工程师申报时间"), null=True, blank=True)
    without_pre_arrival_call = models.BooleanField(
        _("未做到场前电话"), default=False, help_text=_("R-SITE-4：到客户现场前未记录与客户技术联系人的电话，属偏差")
    )
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
    uniform_and_badge = models.BooleanField(_("统一服装、统一工牌"), default=False, help_text="R-SITE-4")

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
    released_to = models.CharField(_("告知的客户联系人"), max_length=120, blank=True, help_text="R-EXPLAIN")
    release_channel = models.CharField(_("告知方式"), max_length=16, choices=ContactChannel.choices, blank=True)

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


class CustomerUpdate(models.Model):
    """R-CUST-UPDATE: the support room told the customer's technical contact how the handling goes
    (who, when, channel, what was said), after a broadcast or at restore."""

    ticket = models.ForeignKey(FaultTicket, on_delete=models.CASCADE, related_name="customer_updates")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("通报时间"), default=timezone.now)
    contact = models.CharField(_("客户联系人"), max_length=120)
    channel = models.CharField(_("方式"), max_length=16, choices=ContactChannel.choices)
    text = models.TextField(_("通报内容"))

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["ticket", "-at"], name="customer_update_latest_idx")]
        verbose_name = _("客户通报")
        verbose_name_plural = _("客户通报")

    def __str__(self):
        return f"{self.ticket_id} {self.contact} {self.at:%Y-%m-%d %H:%M}"


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
        return f"{self.ticket_id} {self.kind} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"
