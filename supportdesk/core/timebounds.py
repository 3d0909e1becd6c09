"""The range of times the system accepts, in one place for forms, the API and the services.

A fault, an alarm or a call cannot have happened before 2000 (and such times have no clean offset in
Asia/Shanghai: year 1 is stored as a BC timestamp that PostgreSQL's driver cannot read back), nor
later than now plus the clock skew we tolerate (``settings.CLOCK_SKEW``); a planned visit lies at most ``PLANNING_HORIZON`` ahead.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
EARLIEST_DATE = date(2000, 1, 1)
PLANNING_HORIZON = timedelta(days=2 * 366)
# What the database accepts at all (check constraints): far enough for any plan, readable back.
DB_LATEST = datetime(2100, 1, 1, tzinfo=UTC)

TOO_EARLY = _("不能早于 2000-01-01。")
IN_FUTURE = _("不能晚于当前时间。")
TOO_FAR = _("不能晚于两年以后。")


def latest(*, planned: bool) -> datetime:
    return timezone.now() + (PLANNING_HORIZON if planned else settings.CLOCK_SKEW)


def problem(value: datetime | date | None, *, planned: bool = False) -> str | None:
    """Why ``value`` is out of range (a translatable message), or None when it is fine."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value < EARLIEST:
            return str(TOO_EARLY)
        if value > latest(planned=planned):
            return str(TOO_FAR if planned else IN_FUTURE)
        return None
    if value < EARLIEST_DATE:
        return str(TOO_EARLY)
    if value > (timezone.localdate() + (PLANNING_HORIZON if planned else timedelta(days=1))):
        return str(TOO_FAR if planned else IN_FUTURE)
    return None


def parse_day(text: str | None, default: date) -> date:
    """A ``YYYY-MM-DD`` from a query string, or ``default`` when it is missing, malformed or out of range."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return default
    if day < EARLIEST_DATE or day > default + PLANNING_HORIZON:
        return default
    return day


class PastDateTimeField(forms.DateTimeField):
    """A time that has happened: from 2000 to now (plus the clock skew)."""

    planned = False

    def validate(self, value):
        super().validate(value)
        message = problem(value, planned=self.planned)
        if message:
            raise forms.ValidationError(message, code="out_of_range")


class PlannedDateTimeField(PastDateTimeField):
    """A time being planned: from 2000 to two years ahead."""

    planned = True


class PlannedDateField(forms.DateField):
    def validate(self, value):
        super().validate(value)
        message = problem(value, planned=True)
        if message:
            raise forms.ValidationError(message, code="out_of_range")
