"""Fault-ticket data (docs/rules.md §2, §3) and the ticket state machine (docs/rules.md §3.6).

Models hold data, constraints and the transitions; every write goes through
``tickets.services``. No I/O happens here.
"""
from .clocks import Broadcast, DashboardFigures, Deadline, Escalation, SweepRun
from .integrations import (
    ALARM_FIELDS_FROM_LABELS,
    MAPPED_VALUE_CHOICES,
    AlarmIntegration,
    IntegrationKind,
    default_label_mapping,
)
from .ticket import Alarm, FaultTicket, TicketRoom
from .work import (
    Arrival,
    CustomerUpdate,
    DialTest,
    Explanation,
    PhoneNotification,
    PreArrivalCheck,
    ProgressNote,
    SiteMember,
    TicketEvent,
)

__all__ = [
    "CustomerUpdate",
    "ALARM_FIELDS_FROM_LABELS", "MAPPED_VALUE_CHOICES", "Alarm", "AlarmIntegration", "Arrival", "Broadcast",
    "DashboardFigures",
    "Deadline", "DialTest", "Escalation", "Explanation", "FaultTicket",
    "IntegrationKind", "PhoneNotification", "PreArrivalCheck", "ProgressNote", "SiteMember", "SweepRun",
    "TicketEvent", "TicketRoom", "default_label_mapping",
]
