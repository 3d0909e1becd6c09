"""Alarm sources that speak their own format (Alertmanager)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    AlarmCategory,
    Outage,
    Severity,
)

User = settings.AUTH_USER_MODEL



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
    here, so an alert is never refused for its labels (docs/rules.md §3.1).
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
