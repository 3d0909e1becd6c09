"""Every enumeration of the complaint domain, once (values are CONTRACT.md's codes)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarSource(models.TextChoices):
    LIBRARY = "library", _("节假日库")
    ADMIN = "admin", _("管理员")
