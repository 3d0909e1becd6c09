"""R-CMP-WORKDAY: the working calendar and the one module that computes working time."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from complaints.models import CalendarDay, CalendarYear
from complaints.services.calendar import library_years, load_official_file, start_admin_year
from complaints.workcalendar import CalendarYearUnknown, WorkCalendar, add_working_days, working_time_between

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@time_machine.travel(at(2026, 11, 30, 10, 0), tick=False)
def test_makeup_saturday_is_a_working_day():
    """R-CMP-WORKDAY: 2026-10-10, a Saturday, is a make-up working day (调休上班)."""
    cal = WorkCalendar.load()
    assert date(2026, 10, 10).weekday() == 5
    assert cal.is_working_day(date(2026, 10, 10))
    day = CalendarDay.objects.get(date=date(2026, 10, 10))
    assert day.source == "library" and "调休" in day.reason
    # and a clock running over it counts it: Friday 9 Oct 17:00 + 0.5 day ends on Saturday the 10th
    assert add_working_days(at(2026, 10, 9, 17, 0), 0.5) == at(2026, 10, 10, 11, 45)


@time_machine.travel(at(2026, 11, 30, 10, 0), tick=False)
def test_statutory_holiday_and_plain_sunday_are_not_working_days():
    """R-CMP-WORKDAY: National Day (a Thursday) and an ordinary Sunday are off."""
    cal = WorkCalendar.load()
    assert date(2026, 10, 1).weekday() == 3
    assert not cal.is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2026, 11, 29))  # plain Sunday
    assert cal.is_working_day(date(2026, 11, 30))  # plain Monday
    assert working_time_between(at(2026, 10, 1, 0, 0), at(2026, 10, 2, 0, 0)) == timedelta()


@time_machine.travel(at(2026, 11, 30, 10, 0), tick=False)
def test_half_a_working_day_across_lunch():
    """R-CMP-WORKDAY: half a working day is half of 7.5 h; the lunch break does not count."""
    end = add_working_days(at(2026, 11, 30, 10, 0), 0.5)
    assert end == at(2026, 11, 30, 15, 15)  # 2 h before lunch + 1 h 45 after 13:30
    assert working_time_between(at(2026, 11, 30, 10, 0), end) == timedelta(hours=3, minutes=45)
    assert WorkCalendar.load().working_days_between(at(2026, 11, 30, 10, 0), end) == pytest.approx(0.5)


@time_machine.travel(at(2026, 9, 30, 17, 50), tick=False)
def test_complaint_received_at_1750_on_the_eve_of_a_holiday():
    """R-CMP-WORKDAY: 10 minutes on the eve, nothing during 1–7 October, the rest from 8 October 09:00."""
    received = at(2026, 9, 30, 17, 50)
    assert add_working_days(received, 0.5) == at(2026, 10, 8, 14, 5)
    assert add_working_days(received, 2) == at(2026, 10, 9, 17, 50)
    # a clock started outside working hours starts at the next working period
    assert add_working_days(at(2026, 9, 30, 19, 0), 0.5) == at(2026, 10, 8, 14, 15)


@time_machine.travel(at(2026, 12, 28, 10, 0), tick=False)
def test_unknown_year_is_refused_loudly():
    """R-CMP-WORKDAY: 2027's official schedule is not loaded: the calendar refuses, never guesses."""
    cal = WorkCalendar.load()
    assert not cal.knows_year(2027)
    with pytest.raises(CalendarYearUnknown) as info:
        add_working_days(at(2026, 12, 31, 17, 0), 2, calendar=cal)
    assert info.value.year == 2027 and "2027" in info.value.message
    with pytest.raises(CalendarYearUnknown):
        working_time_between(at(2026, 12, 31, 9, 0), at(2027, 1, 4, 9, 0))
    assert cal.first_unknown_day(date(2026, 12, 28), 60) == date(2027, 1, 1)


def test_library_knows_2026_with_makeup_days_and_not_2027():
    """R-CMP-WORKDAY: chinese-calendar knows 2026 (make-up days included) and refuses 2027."""
    years = library_years()
    assert 2026 in years and 2027 not in years
    with pytest.raises(CommandError, match="2027"):
        call_command("load_workdays", year=[2027])


def test_an_admin_year_counts_only_once_marked_official():
    """R-CMP-WORKDAY: the administrator's year is used only after it is marked official."""
    start_admin_year(year=2027)
    assert CalendarDay.objects.filter(date__year=2027).count() == 365
    assert not WorkCalendar.load().knows_year(2027)
    CalendarYear.objects.filter(year=2027).update(official=True)
    assert WorkCalendar.load().knows_year(2027)


def test_official_schedule_file_loads_a_year_the_library_does_not_know(tmp_path):
    """R-CMP-WORKDAY: the administrator loads 2027 from a CSV of holidays and make-up days."""
    csv = tmp_path / "official-2027.csv"
    csv.write_text(
        "date,is_working,reason\n2027-01-01,0,元旦\n2027-02-06,0,春节\n2027-02-07,0,春节\n2027-02-20,1,调休上班（春节）\n",
        encoding="utf-8",
    )
    call_command("load_workdays", file=str(csv))
    cal = WorkCalendar.load()
    assert cal.knows_year(2027)
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 2, 20))  # a Saturday made a working day
    assert not cal.is_working_day(date(2027, 1, 3))  # a Sunday
    assert CalendarYear.objects.get(year=2027).source == "admin"
    # 2026-12-31 (Thu) 17:00 + 0.5 day: 1 h on the 31st, 1 January off, then Monday 4 January
    assert add_working_days(at(2026, 12, 31, 17, 0), 0.5) == at(2027, 1, 4, 11, 45)


def test_a_bad_schedule_file_names_the_line_and_changes_nothing(tmp_path):
    """R-CMP-WORKDAY: a bad row aborts the file with its line number."""
    csv = tmp_path / "bad.csv"
    csv.write_text("date,is_working,reason\n2027-01-01,0,元旦\n2027-13-01,1,x\n", encoding="utf-8")
    with pytest.raises(Exception, match="line 3"):
        load_official_file(path=csv)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_loading_every_library_year_keeps_the_administrators_years(tmp_path, capsys):
    """R-CMP-WORKDAY: `load_workdays` with no argument reloads the library's years, never an administrator's."""
    CalendarYear.objects.filter(year=2026).update(source="admin")
    CalendarDay.objects.filter(date=date(2026, 10, 10)).update(reason="admin says", source="admin")
    call_command("load_workdays")
    assert "2025:" in capsys.readouterr().out
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).reason == "admin says"
