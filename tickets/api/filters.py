"""Ticket list filters (CONTRACT.md): ``state``, ``tier``, ``lead_room`` (room code), ``overdue=true``."""
from __future__ import annotations

import django_filters

from customers.choices import Tier
from staff.choices import RoomCode

from ..choices import TicketState
from ..models import FaultTicket
from ..selectors import overdue_condition


class TicketFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=TicketState.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    lead_room = django_filters.ChoiceFilter(field_name="lead_room__code", choices=RoomCode.choices,
                                            label="lead room code")
    needs_triage = django_filters.BooleanFilter()
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label="true: open tickets with a joint_handling/arrival deadline past due and unmet, or breached",
    )

    class Meta:
        model = FaultTicket
        fields = ["state", "tier", "lead_room", "needs_triage", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        condition = overdue_condition()
        return queryset.filter(condition) if value else queryset.exclude(condition)
