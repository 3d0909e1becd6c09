"""Calendar loading usable from migrations (historical models) and from the test fixtures."""
from datetime import date, timedelta


def load_library_years(apps=None, *, since: int = 2024) -> list[int]:
    import chinese_calendar

    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    CalendarDay = apps.get_model("complaints", "CalendarDay")
    CalendarYear = apps.get_model("complaints", "CalendarYear")
    loaded = []
    year = since
    while True:
        try:
            chinese_calendar.is_workday(date(year, 12, 31))
        except NotImplementedError:
            break
        if not CalendarYear.objects.filter(year=year).exists():
            rows, day = [], date(year, 1, 1)
            while day.year == year:
                working = chinese_calendar.is_workday(day)
                _on, name = chinese_calendar.get_holiday_detail(day)
                if working and day.weekday() >= 5:
                    reason = f"调休上班（{name}）" if name else "调休上班"
                elif not working:
                    reason = name or "周末"
                else:
                    reason = "工作日"
                rows.append(CalendarDay(date=day, is_working=working, reason=reason, source="library"))
                day += timedelta(days=1)
            CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
            CalendarYear.objects.create(
                year=year, official=True, source="library", note=f"chinese-calendar {chinese_calendar.__version__}"
            )
            loaded.append(year)
        year += 1
    return loaded
