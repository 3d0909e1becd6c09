from django.db import models
from django.utils.translation import gettext_lazy as _


class RoomCode(models.TextChoices):
    """Room codes of CONTRACT.md."""

    MONITORING = "monitoring", _("监控室")
    SERVICE_SUPPORT = "service_support", _("服务支撑室")
    TRANSPORT = "transport", _("传送网室")
    DATACOM = "datacom", _("数据网室")
    CORE = "core", _("核心网室")
    WIRELESS = "wireless", _("无线网室")
    POWER = "power", _("动力环境室")


class RoomKind(models.TextChoices):
    MONITORING = "monitoring", _("监控")
    SUPPORT = "support", _("服务支撑")
    PROFESSIONAL = "professional", _("专业室")


class Role(models.TextChoices):
    """Roles of docs/rules.md §1; each is a Django group carrying real permissions."""

    MONITORING_OPERATOR = "monitoring_operator", _("监控值班员")
    ROOM_ENGINEER = "room_engineer", _("专业室工程师")
    SUPPORT_ENGINEER = "support_engineer", _("支撑工程师")
    VENDOR_ENGINEER = "vendor_engineer", _("代维工程师")
    SUPPORT_MANAGER = "support_manager", _("支撑室经理")
    CENTRE_LEADER = "centre_leader", _("网维中心领导")
    ADMINISTRATOR = "administrator", _("系统管理员")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("简体中文")
    EN = "en", _("English")
