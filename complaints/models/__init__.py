"""The complaint domain's data: the working calendar (R-CMP-WORKDAY)."""
from .calendar import CalendarDay, CalendarYear, WorkingPeriod

__all__ = ["CalendarDay", "CalendarYear", "WorkingPeriod"]
