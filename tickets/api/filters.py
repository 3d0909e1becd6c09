"""Ticket list filters (CONTRACT.md): ``state``, ``tier``, ``lead_room`` (room code), ``overdue=true``; and the
console's: ``needs_triage``, ``mine``, ``my_room``, ``q`` (number, customer name or code, circuit).

One filter set for the API (``GET /api/v1/tickets/?…``) and the console (``/console/?…``): the same words in
the address bar and in the API, so a console view is a shareable link.
"""
from __future__ import annotations

import django_filters

from customers.choices import Tier
from staff.choices import RoomCode

from ..choices import OPEN_STATES, TicketState
from ..models import FaultTicket
from ..selectors import (
    breached_since_condition,
    mine_condition,
    my_room_condition,
    overdue_condition,
    search_condition,
)


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
    mine = django_filters.BooleanFilter(method="filter_mine",
                                        label="true: tickets the caller accepted, leads on site or is on site for")
    my_room = django_filters.BooleanFilter(method="filter_my_room",
                                           label="true: tickets led by or involving one of the caller's rooms")
    q = django_filters.CharFilter(method="filter_q", label="search: ticket number, customer name or code, circuit")
    open = django_filters.BooleanFilter(method="filter_open", label="true: tickets not yet resolved, closed or cancelled")
    breached_since = django_filters.IsoDateTimeFilter(method="filter_breached_since",
                                                      label="tickets with a deadline breached at or after this time")

    class Meta:
        model = FaultTicket
        fields = ["state", "tier", "lead_room", "needs_triage", "overdue", "mine", "my_room", "q", "open",
                  "breached_since"]

    def _user(self):
        return getattr(self.request, "user", None)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        condition = overdue_condition()
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        condition = mine_condition(self._user())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_my_room(self, queryset, name, value):
        if value is None:
            return queryset
        condition = my_room_condition(self._user())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_q(self, queryset, name, value):
        return queryset.filter(search_condition(value)) if value and value.strip() else queryset

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(state__in=OPEN_STATES) if value else queryset.exclude(state__in=OPEN_STATES)

    def filter_breached_since(self, queryset, name, value):
        return queryset.filter(breached_since_condition(value)) if value is not None else queryset
