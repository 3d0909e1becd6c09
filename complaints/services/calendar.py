"""R-CMP-WORKDAY: filling the calendar rows — from chinese-calendar for the years it knows, from the
administrator's official schedule (a CSV file or the admin) for the years it does not."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from supportdesk.core.errors import ValidationFailed

from ..choices import CalendarSource
from ..models import CalendarDay, CalendarYear
from ..workcalendar import days_in_year

WEEKEND_REASON = "周末"
WORKDAY_REASON = "工作日"
MAKEUP_REASON = "调休上班"


@dataclass
class LoadResult:
    year: int
    days: int
    off_days: int
    makeup_days: int

    def line(self) -> str:
        return f"{self.year}: {self.days} days, {self.off_days} off, {self.makeup_days} make-up working days"


def library_years() -> list[int]:
    """The years chinese-calendar knows in full (it refuses the others)."""
    import chinese_calendar

    known = []
    for year in range(2004, timezone.localdate().year + 3):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
            chinese_calendar.is_workday(date(year, 12, 31))
        except NotImplementedError:
            continue
        known.append(year)
    return known


def _every_day(year: int):
    day = date(year, 1, 1)
    for _ in range(days_in_year(year)):
        yield day
        day += timedelta(days=1)


def _plain(day: date) -> tuple[bool, str]:
    return (False, WEEKEND_REASON) if day.weekday() >= 5 else (True, WORKDAY_REASON)


@transaction.atomic
def _store(year: int, rows: dict[date, tuple[bool, str]], *, source: str, note: str, replace_admin: bool) -> LoadResult:
    if not replace_admin and CalendarYear.objects.filter(year=year, source=CalendarSource.ADMIN).exists():
        raise ValidationFailed.of("year", f"{year} was entered by the administrator; use --force to replace it",
                                  code="calendar_admin_entered", params={"year": year})
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, is_working=w, reason=r[:64], source=source) for d, (w, r) in sorted(rows.items())
    )
    CalendarYear.objects.update_or_create(
        year=year, defaults={"official": True, "source": source, "loaded_at": timezone.now(), "note": note}
    )
    return LoadResult(
        year=year,
        days=len(rows),
        off_days=sum(1 for w, _r in rows.values() if not w),
        makeup_days=sum(1 for d, (w, _r) in rows.items() if w and d.weekday() >= 5),
    )


def load_year_from_library(*, year: int, replace_admin: bool = False) -> LoadResult:
    """Load ``year`` from chinese-calendar (holidays and make-up working days, 调休上班)."""
    import chinese_calendar

    rows: dict[date, tuple[bool, str]] = {}
    try:
        for day in _every_day(year):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            working = chinese_calendar.is_workday(day)
            if working and day.weekday() >= 5:
                reason = f"{MAKEUP_REASON}（{name}）" if name else MAKEUP_REASON
            elif not working and name:
                reason = name
            else:
                reason = _plain(day)[1]
            rows[day] = (working, reason)
    except NotImplementedError:
        raise ValidationFailed.of(
            "year", f"chinese-calendar does not know {year}; load the official schedule with --file",
            code="calendar_year_unknown", params={"year": year},
        ) from None
    return _store(year, rows, source=CalendarSource.LIBRARY, note=f"chinese-calendar {chinese_calendar.__version__}",
                  replace_admin=replace_admin)


def parse_schedule(lines) -> tuple[int, dict[date, tuple[bool, str]]]:
    """Parse the administrator's official schedule: ``date,is_working,reason`` rows (header required),
    listing only the exceptions — statutory holidays (``0``) and make-up working days (``1``); every other
    day follows the week (Monday–Friday working). All rows must be in one year."""
    reader = csv.DictReader(lines)
    missing = {"date", "is_working"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationFailed.of("file", f"header must include date,is_working,reason (missing {', '.join(sorted(missing))})",
                                  code="calendar_header", params={"missing": "、".join(sorted(missing))})
    exceptions: dict[date, tuple[bool, str]] = {}
    for n, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat((row.get("date") or "").strip())
        except ValueError:
            raise ValidationFailed.of("file", f"line {n}: date must be YYYY-MM-DD",
                                      code="calendar_bad_date", params={"line": n}) from None
        flag = (row.get("is_working") or "").strip().lower()
        if flag not in {"0", "1", "true", "false", "yes", "no"}:
            raise ValidationFailed.of("file", f"line {n}: is_working must be 1 or 0",
                                      code="calendar_bad_flag", params={"line": n})
        working = flag in {"1", "true", "yes"}
        reason = (row.get("reason") or "").strip() or (MAKEUP_REASON if working else "法定节假日")
        if day in exceptions:
            raise ValidationFailed.of("file", f"line {n}: {day} is listed twice",
                                      code="calendar_day_twice", params={"line": n, "day": day})
        exceptions[day] = (working, reason)
    years = {d.year for d in exceptions}
    if len(years) != 1:
        raise ValidationFailed.of("file", "the file must list days of exactly one year", code="calendar_one_year")
    year = years.pop()
    if not any(not w for w, _r in exceptions.values()):
        raise ValidationFailed.of("file", f"no holiday listed for {year}: an official schedule has some",
                                  code="calendar_no_holiday", params={"year": year})
    rows = {d: exceptions.get(d) or _plain(d) for d in _every_day(year)}
    return year, rows


def load_official_file(*, path: str | Path, replace: bool = True) -> LoadResult:
    """Load the administrator's official schedule for a year the library does not know."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        year, rows = parse_schedule(fh)
    return _store(year, rows, source=CalendarSource.ADMIN, note=f"file {Path(path).name}", replace_admin=replace)


@transaction.atomic
def start_admin_year(*, year: int) -> CalendarYear:
    """Admin path: create the rows of ``year`` from the week alone (not yet official) so that the
    administrator marks the holidays and make-up days and then ticks "official"."""
    existing = set(CalendarDay.objects.filter(date__year=year).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, is_working=_plain(d)[0], reason=_plain(d)[1], source=CalendarSource.ADMIN)
        for d in _every_day(year)
        if d not in existing
    )
    cal_year, _created = CalendarYear.objects.get_or_create(
        year=year, defaults={"official": False, "source": CalendarSource.ADMIN, "note": "entered in the admin"}
    )
    return cal_year
