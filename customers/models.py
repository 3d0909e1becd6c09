"""Group customers and their circuits (docs/rules.md §2) and the escalation policy per tier (docs/rules.md §3.3).

The tables keep the names they had when these models lived in ``tickets`` (``db_table``): the move was
a change of Django state only (customers/migrations/0001), no row was copied or lost.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ServiceType, Tier

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
        db_table = "tickets_customer"
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
        db_table = "tickets_contact"
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
        db_table = "tickets_site"
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
    maintenance_vendor = models.ForeignKey(
        "staff.Vendor", verbose_name=_("代维厂家"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="maintained_circuits",
        help_text=_("R-ESC-1：派单时工单尚未指派代维的，由该厂家代维并通知其待命（重要客户）"),
    )

    class Meta:
        db_table = "tickets_circuit"
        ordering = ["circuit_id"]
        verbose_name = _("电路")
        verbose_name_plural = _("电路")

    def __str__(self):
        return self.circuit_id


# --------------------------------------------------------------------------- policy
class EscalationPolicy(models.Model):
    """The deadlines and duties of one customer tier (docs/rules.md §3.3 defaults, editable in the admin).

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
    arrival_backdate_limit = models.DurationField(
        _("到场时间可提前申报的上限"), default=timedelta(minutes=15),
        help_text=_("R-ESC-2：手机离线时工程师可申报早于服务器接收时间的到场时间，最多提前这么久"),
    )
    added_room_arrival_within = models.DurationField(
        _("后加入室的到场时限"), default=timedelta(hours=1),
        help_text=_("R-ESC-1：后加入联合处理的室，到场时限为故障 2 小时与加入后这么久二者中较晚者"),
    )
    customer_update_within = models.DurationField(
        _("向客户通报进展的时限"), default=timedelta(minutes=30),
        help_text=_("R-CUST-UPDATE：每次信息发布后须在这么久内向客户技术联系人通报"),
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
        db_table = "tickets_escalationpolicy"
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
            "arrival_backdate_limit": secs(self.arrival_backdate_limit),
            "added_room_arrival_within": secs(self.added_room_arrival_within),
            "customer_update_within": secs(self.customer_update_within),
        }
