"""The complaint domain's data (SPEC §5): the working calendar and the complaint."""
from .calendar import CalendarDay, CalendarYear, WorkingPeriod
from .complaint import (
    Complaint,
    ComplaintBreach,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintPolicy,
    Reply,
    Route,
)

__all__ = [
    "CalendarDay", "CalendarYear", "Complaint", "ComplaintBreach", "ComplaintDeadline", "ComplaintEvent",
    "ComplaintPolicy", "Reply", "Route", "WorkingPeriod",
]
