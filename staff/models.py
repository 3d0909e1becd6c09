"""People and organisation (docs/rules.md §1): rooms, vendors, users, room membership, duty roster."""
import functools

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from supportdesk.core.rows import Columns, cache_related, hot_cursor

from .choices import Language, Role, RoomCode, RoomKind

_REFERENCE_NAMES: dict[str, str | None] = {}


def _reference_name(code: str) -> str | None:
    """The untranslated name of a reference room code (None for another code), worked out once per process: the
    room names go into every dispatch message."""
    try:
        return _REFERENCE_NAMES[code]
    except KeyError:
        pass
    name = None
    if code in RoomCode.values:
        with translation.override(None):
            name = str(RoomCode(code).label)
    _REFERENCE_NAMES[code] = name
    return name


class Room(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True, choices=RoomCode.choices)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类别"), max_length=16, choices=RoomKind.choices)
    phone = models.CharField(_("值班电话"), max_length=32, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("室")
        verbose_name_plural = _("室")

    def __str__(self):
        # A room still carrying its reference name is shown in the active language; a renamed one keeps its name.
        if self.name == _reference_name(self.code):
            return str(RoomCode(self.code).label)
        return self.name

    @property
    def is_professional(self) -> bool:
        return self.kind == RoomKind.PROFESSIONAL


class Vendor(models.Model):
    """A maintenance contractor (代维厂家)."""

    name = models.CharField(_("名称"), max_length=128, unique=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("代维厂家")
        verbose_name_plural = _("代维厂家")

    def __str__(self):
        return self.name


class User(AbstractUser):
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    preferred_language = models.CharField(
        _("语言"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("代维厂家"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="engineers",
    )
    rooms = models.ManyToManyField(
        Room, verbose_name=_("所属室"), through="RoomMembership", related_name="members", blank=True
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        full = f"{self.last_name}{self.first_name}".strip()
        return full or self.username

    def has_role(self, role: str) -> bool:
        return self.groups.filter(name=role).exists()

    @property
    def is_vendor_engineer(self) -> bool:
        return self.vendor_id is not None or self.has_role(Role.VENDOR_ENGINEER)


class RoomMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    is_leader = models.BooleanField(_("室负责人"), default=False, help_text="R-HELP")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "room"], name="membership_unique")]
        verbose_name = _("室成员")
        verbose_name_plural = _("室成员")

    def __str__(self):
        return f"{self.user} @ {self.room}"


class DutyShift(models.Model):
    """Who is on duty in a room from ``starts_at`` until ``ends_at`` (R-DISPATCH-NORM)."""

    user = models.ForeignKey(User, verbose_name=_("值班人"), on_delete=models.CASCADE, related_name="shifts")
    room = models.ForeignKey(Room, verbose_name=_("室"), on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["room", "starts_at", "ends_at"], name="duty_room_time_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="duty_ends_after_start"),
        ]
        verbose_name = _("值班")
        verbose_name_plural = _("值班表")

    def __str__(self):
        return f"{self.room} {self.user} {timezone.localtime(self.starts_at):%m-%d %H:%M}"


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内信")
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class WebhookFormat(models.TextChoices):
    JSON = "json", _("通用 JSON")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class WebhookEndpoint(models.Model):
    """A subscribed channel: JSON POST to a URL, optionally in a chat-group robot's format."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    url = models.URLField(_("地址"), max_length=500)
    format = models.CharField(_("格式"), max_length=16, choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    kinds = models.JSONField(
        _("订阅的通知类别"), default=list, blank=True, help_text=_("留空表示订阅全部，如 [\"broadcast\", \"escalation\"]")
    )
    active = models.BooleanField(_("启用"), default=True)
    internal = models.BooleanField(
        _("中心内部渠道"), default=False,
        help_text=_("R-CONF：只有内部渠道收到客户名称和电路编号；外部渠道只收到工单号、级别、状态和进展"),
    )

    class Meta:
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")

    def __str__(self):
        return self.name

    def wants(self, kind: str) -> bool:
        return self.active and (not self.kinds or kind in self.kinds)


class Notification(models.Model):
    """Something the system tells people: one row, delivered over one or more channels."""

    kind = models.CharField(_("类别"), max_length=32)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    body_en = models.TextField(_("内容（英文）"), blank=True)
    subject_en = models.CharField(_("标题（英文）"), max_length=200, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    ticket_number = models.CharField(_("工单号"), max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self):
        return self.subject

    def text_for(self, language: str) -> tuple[str, str]:
        if language == Language.EN and self.body_en:
            return self.subject_en or self.subject, self.body_en
        return self.subject, self.body


class Delivery(models.Model):
    """One notification over one channel to one recipient: pending → sent | failed, with retries."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    # No index of its own: ``delivery_inbox_idx`` leads with the recipient (≈ 90 delivery rows an important alarm,
    # each index written for every one).
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    # Indexed only where set (``delivery_endpoint_idx``): most deliveries go to a person, not an endpoint.
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    address = models.CharField(_("地址"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最后错误"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    queued_at = models.DateTimeField(_("交给队列"), null=True, blank=True,
                                     help_text=_("最近一次由巡检重新交给队列的时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_pending_idx"
            ),
            models.Index(fields=["recipient", "channel", "-id"], name="delivery_inbox_idx"),
            models.Index(fields=["endpoint"], condition=Q(endpoint__isnull=False), name="delivery_endpoint_idx"),
        ]
        verbose_name = _("投递")
        verbose_name_plural = _("投递")

    def __str__(self):
        return f"{self.channel} {self.address or self.recipient_id} {self.status}"

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt of this delivery: a receiver drops what it has already seen."""
        return f"supportdesk-delivery-{self.pk}"


class ApiScope(models.TextChoices):
    """What an API client may do (a NOC system gets the first two)."""

    ALARMS_WRITE = "alarms:write", _("上报与清除告警")
    TICKETS_READ = "tickets:read", _("查看工单")
    TICKETS_TRANSITION = "tickets:transition", _("工单流转与处理进展")
    PHONE_WRITE = "phone:write", _("记录电话通知（语音/短信网关）")
    COMPLAINTS_WRITE = "complaints:write", _("提交与流转投诉")
    COMPLAINTS_READ = "complaints:read", _("查看投诉")
    VISITS_READ = "visits:read", _("查看客户拜访")
    VISITS_WRITE = "visits:write", _("计划与记录客户拜访")
    ALARMS_CLEAR_ANY = "alarms:clear_any", _("清除任何客户端上报的告警")
    QUALITY_WRITE = "quality:write", _("上报性能采样与拨测")


def default_api_scopes() -> list[str]:
    return [ApiScope.ALARMS_WRITE.value, ApiScope.TICKETS_READ.value]


class ApiClient(models.Model):
    """A machine caller of the REST API (an NMS alarm system, a voice gateway) with a revocable, scoped token.

    Only a SHA-256 hash of the token is kept; ``key_prefix`` (the token's first characters) finds the row
    and lets an administrator recognise a token without seeing it.
    """

    PREFIX_LENGTH = 8

    name = models.CharField(_("名称"), max_length=64, unique=True)
    key_prefix = models.CharField(_("令牌前缀"), max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("权限范围"), default=default_api_scopes, blank=True)
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用后令牌立即失效"))
    acting_user = models.ForeignKey(
        User, verbose_name=_("代表用户"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("填写后，该客户端的工单操作以此用户的身份与权限执行"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API 客户端")
        verbose_name_plural = _("API 客户端")

    def __str__(self):
        return self.name

    # ---- keys
    @staticmethod
    def hash_key(key: str) -> str:
        import hashlib

        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def set_new_key(self) -> str:
        """Give the client a fresh token (the old one stops working on save); returns it, shown once."""
        import secrets

        return self.set_key(secrets.token_urlsafe(36))

    def set_key(self, key: str) -> str:
        self.key_prefix = key[: self.PREFIX_LENGTH]
        self.key_hash = self.hash_key(key)
        return key

    @classmethod
    def for_key(cls, key: str) -> "ApiClient | None":
        """The active client owning ``key``, or None (constant-time comparison of the hash)."""
        import hmac

        if not key or len(key) < cls.PREFIX_LENGTH or len(key) > 200:
            return None
        digest = cls.hash_key(key)
        for client in cls._with_prefix(key[: cls.PREFIX_LENGTH]):
            if hmac.compare_digest(client.key_hash, digest):
                return client if client.active else None
        return None

    @classmethod
    def _with_prefix(cls, prefix: str) -> list["ApiClient"]:
        """The clients whose token starts with ``prefix``, with their acting user. Read on every API request: on
        PostgreSQL a statement written once per process (no ORM compilation), the same rows as the ORM's."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return list(cls.objects.select_related("acting_user").filter(key_prefix=prefix))
        sql, client_cols, user_cols = _client_sql()
        with hot_cursor() as cursor:
            cursor.execute(sql, [prefix])
            rows = cursor.fetchall()
        clients = []
        for row in rows:
            client, at = client_cols.build(row)
            user, _ = user_cols.build(row, at)
            cache_related(client, "acting_user", user)
            clients.append(client)
        return clients

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def touch(self, *, every_seconds: int = 60) -> None:
        """Record use, at most once a minute (a busy NMS must not write on every request)."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() >= every_seconds:
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


class HelpRequest(models.Model):
    """R-HELP (seed 4.3-3(3) "杜绝一口回绝"): an engineer asks their room's leader or the centre leader for higher
    support from a ticket or a visit; tracked until answered (docs/rules.md)."""

    class AskOf(models.TextChoices):
        ROOM_LEADER = "room_leader", _("本室负责人")
        CENTRE_LEADER = "centre_leader", _("网维中心领导")

    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="help_requests")
    asked_of = models.CharField(_("请求对象"), max_length=16, choices=AskOf.choices)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_kind = models.CharField(_("来源"), max_length=16)  # "ticket" or "visit"
    subject_id = models.PositiveIntegerField()
    subject_label = models.CharField(_("工单或拜访"), max_length=64)
    link = models.CharField(max_length=200, blank=True)
    question = models.TextField(_("需要的支持"))
    asked_at = models.DateTimeField(_("请求时间"), default=timezone.now)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("答复"), blank=True)

    class Meta:
        ordering = ["asked_at"]
        indexes = [models.Index(fields=["asked_of", "asked_at"], condition=models.Q(answered_at__isnull=True),
                                name="help_unanswered_idx")]
        verbose_name = _("请求上级支持")
        verbose_name_plural = _("请求上级支持")

    def __str__(self):
        return f"{self.subject_label} {self.asked_by}"


@functools.cache
def _client_sql():
    """``ApiClient._with_prefix``'s statement and its column lists (client, acting user)."""
    client, user = Columns(ApiClient, "c"), Columns(User, "u")
    sql = (f"SELECT {client.sql}, {user.sql} FROM {ApiClient._meta.db_table} c "
           f"LEFT JOIN {User._meta.db_table} u ON u.id = c.acting_user_id WHERE c.key_prefix = %s")
    return sql, client, user
