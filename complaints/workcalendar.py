"""R-CMP-WORKDAY: working time on the Chinese calendar, the one place that answers

* ``add_working_days(start, days)`` — the instant ``days`` working days (0.5 allowed) after ``start``;
* ``working_time_between(a, b)`` — the working time between two instants (negative when ``b < a``).

Working days come from ``CalendarDay`` rows (weekends and statutory holidays off, make-up working days
— 调休上班 — on); a working day is the centre's ``WorkingPeriod`` rows (09:00–12:00, 13:30–18:00
Asia/Shanghai by default), half a working day is half of those hours, and a clock started outside
working hours starts at the next working period. A year is used only when its official schedule is
loaded (``CalendarYear.official`` and a row for each day); any other year raises
``CalendarYearUnknown`` — the calendar never guesses.
"""
from __future__ import annotations

import calendar as _pycalendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from supportdesk.core.errors import DomainError

DEFAULT_PERIODS = ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0)))
# A year with not one working period is a data error, not a reason to loop for ever.
_MAX_DAYS_SCANNED = 400


class CalendarYearUnknown(DomainError):
    """A clock needs a year whose official schedule is not loaded: say so, never guess."""

    status_code = 409
    code = "calendar_year_unknown"

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"the working calendar has no official schedule for {year}: load it "
            f"(manage.py load_workdays --year {year} or --file) or enter it in the admin"
        )

    def display(self) -> str:
        return _("工作日历缺少 %(year)s 年的官方安排（含调休上班日），无法计算工作日时限；请管理员录入。") % {"year": self.year}


def days_in_year(year: int) -> int:
    return 366 if _pycalendar.isleap(year) else 365


@dataclass
class WorkCalendar:
    """A snapshot of the calendar rows and the working hours; load once per request or sweep."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    _years: dict[int, dict[date, bool]] = field(default_factory=dict)
    _unknown: set[int] = field(default_factory=set)

    @classmethod
    def load(cls) -> WorkCalendar:
        from .models import WorkingPeriod

        periods = tuple(WorkingPeriod.objects.order_by("start").values_list("start", "end"))
        return cls(periods=periods or DEFAULT_PERIODS)

    # ------------------------------------------------------------------ days
    def _days_of(self, year: int) -> dict[date, bool]:
        if year in self._years:
            return self._years[year]
        if year in self._unknown:
            raise CalendarYearUnknown(year)
        from .models import CalendarDay, CalendarYear

        days = {}
        if CalendarYear.objects.filter(year=year, official=True).exists():
            days = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_working"))
        if len(days) != days_in_year(year):
            self._unknown.add(year)
            raise CalendarYearUnknown(year)
        self._years[year] = days
        return days

    @staticmethod
    def known_years(years) -> set[int]:
        """Which of ``years`` have their official schedule loaded, every day included (one query)."""
        from django.db.models import Count

        from .models import CalendarDay, CalendarYear

        official = CalendarYear.objects.filter(year__in=list(years), official=True).values("year")
        counts = CalendarDay.objects.filter(date__year__in=official).values_list("date__year").annotate(n=Count("date"))
        return {year for year, n in counts if n == days_in_year(year)}

    def knows_year(self, year: int) -> bool:
        try:
            self._days_of(year)
        except CalendarYearUnknown:
            return False
        return True

    def is_working_day(self, day: date) -> bool:
        return self._days_of(day.year)[day]

    def first_unknown_day(self, start: date, days: int) -> date | None:
        """The first day in ``[start, start + days)`` whose year is not known, or None."""
        for year in range(start.year, (start + timedelta(days=days - 1)).year + 1):
            if not self.knows_year(year):
                return max(start, date(year, 1, 1))
        return None

    # ------------------------------------------------------------------ hours
    @property
    def day_length(self) -> timedelta:
        return sum((_span(s, e) for s, e in self.periods), timedelta())

    def _periods_on(self, day: date):
        for start, end in self.periods:
            yield datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of working time has passed after ``start``."""
        if amount <= timedelta():
            return start
        remaining = amount
        local = start.astimezone(self.tz)
        day = local.date()
        for _i in range(_MAX_DAYS_SCANNED):
            if self.is_working_day(day):
                for p_start, p_end in self._periods_on(day):
                    begin = max(local, p_start)
                    if begin >= p_end:
                        continue
                    available = p_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise DomainError(f"no working period found in {_MAX_DAYS_SCANNED} days after {start.isoformat()}")

    def add_working_days(self, start: datetime, days: Decimal | float | int) -> datetime:
        return self.add_working_time(start, self.day_length * float(days))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        if b < a:
            return -self.working_time_between(b, a)
        a_local, b_local = a.astimezone(self.tz), b.astimezone(self.tz)
        total = timedelta()
        day = a_local.date()
        while day <= b_local.date():
            if self.is_working_day(day):
                for p_start, p_end in self._periods_on(day):
                    overlap = min(b_local, p_end) - max(a_local, p_start)
                    if overlap > timedelta():
                        total += overlap
            day += timedelta(days=1)
        return total

    def working_days_between(self, a: datetime, b: datetime) -> Decimal:
        """``working_time_between`` in working days, to two decimals."""
        seconds = Decimal(self.working_time_between(a, b).total_seconds())
        return (seconds / Decimal(self.day_length.total_seconds())).quantize(Decimal("0.01"))


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def add_working_days(start: datetime, days: Decimal | float | int, *, calendar: WorkCalendar | None = None) -> datetime:
    """R-CMP-WORKDAY: ``start`` plus ``days`` working days (raises ``CalendarYearUnknown``)."""
    return (calendar or WorkCalendar.load()).add_working_days(start, days)


def working_time_between(a: datetime, b: datetime, *, calendar: WorkCalendar | None = None) -> timedelta:
    """R-CMP-WORKDAY: working time between two instants (raises ``CalendarYearUnknown``)."""
    return (calendar or WorkCalendar.load()).working_time_between(a, b)
