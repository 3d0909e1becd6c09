"""Complaint list filters (CONTRACT.md): ``stage``, ``importance``, ``customer``, ``overdue=true``, ``repeat=true``."""
from __future__ import annotations

import django_filters

from ..choices import ComplaintStage, Importance
from ..models import Complaint
from ..selectors import overdue_condition


class ComplaintFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=ComplaintStage.choices)
    importance = django_filters.ChoiceFilter(choices=Importance.choices)
    customer = django_filters.CharFilter(field_name="customer__code", label="customer code")
    repeat = django_filters.BooleanFilter()
    overdue = django_filters.BooleanFilter(method="filter_overdue",
                                           label="true: open, with a stage deadline past due or breached")

    class Meta:
        model = Complaint
        fields = ["stage", "importance", "customer", "repeat", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        condition = overdue_condition()
        return queryset.filter(condition) if value else queryset.exclude(condition)
