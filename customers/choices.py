"""The customer enumerations (values are CONTRACT.md's codes): tier and service type."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    DIAMOND = "diamond", _("钻级")
    GOLD = "gold", _("金级")
    NORMAL = "normal", _("普通")


TIER_RANK = {Tier.DIAMOND: 0, Tier.GOLD: 1, Tier.NORMAL: 2}


class ServiceType(models.TextChoices):
    SMS = "sms", _("短信")
    GPRS = "gprs", _("GPRS/APN")
    IP_VOICE = "ip_voice", _("IP语音")
    DATA_LINE = "data_line", _("数据专线")
    INTERNET_LINE = "internet_line", _("互联网专线")
    TRANSMISSION_LEASE = "transmission_lease", _("传输租赁")
