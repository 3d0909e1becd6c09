"""Keyset (cursor) pages of the ticket list: the same cost on page 1 and page 1,000, at 10k or 1M tickets.

The list is in R-PRIO order — ``tier_rank``, ``next_due_at`` (none: last), ``occurred_at``, ``id`` — served by
``ticket_list_prio_idx``. A page is ``{"count", "count_capped", "next", "previous", "results"}``: ``next`` and
``previous`` are links carrying an opaque ``cursor`` (the sort key of the row at the page's edge); ``count`` is the
exact number of matching tickets up to ``COUNT_CAP``, and ``COUNT_CAP`` with ``count_capped: true`` beyond it
(counting a million rows on every page would cost more than the page).
"""
from __future__ import annotations

import base64
import json
from collections import OrderedDict
from datetime import datetime

from django.db.models import Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

COUNT_CAP = 10_000
ORDER = ("tier_rank", "next_due_at", "occurred_at", "id")


def _key(row) -> list:
    due = row.next_due_at.isoformat() if row.next_due_at else None
    return [row.tier_rank, due, row.occurred_at.isoformat(), row.pk]


def _after(rank: int, due: datetime | None, occurred: datetime, pk: int) -> Q:
    tail = Q(occurred_at__gt=occurred) | Q(occurred_at=occurred, id__gt=pk)
    if due is None:
        same_rank = Q(next_due_at__isnull=True) & tail
    else:
        same_rank = Q(next_due_at__gt=due) | Q(next_due_at__isnull=True) | (Q(next_due_at=due) & tail)
    return Q(tier_rank__gt=rank) | (Q(tier_rank=rank) & same_rank)


def _before(rank: int, due: datetime | None, occurred: datetime, pk: int) -> Q:
    tail = Q(occurred_at__lt=occurred) | Q(occurred_at=occurred, id__lt=pk)
    if due is None:
        same_rank = Q(next_due_at__isnull=False) | (Q(next_due_at__isnull=True) & tail)
    else:
        same_rank = Q(next_due_at__lt=due) | (Q(next_due_at=due) & tail)
    return Q(tier_rank__lt=rank) | (Q(tier_rank=rank) & same_rank)


class TicketKeysetPagination(BasePagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"

    def _size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            return self.page_size
        return max(1, min(size, self.max_page_size))

    def _decode(self, raw: str):
        try:
            direction, rank, due, occurred, pk = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
            return (direction, int(rank), datetime.fromisoformat(due) if due else None,
                    datetime.fromisoformat(occurred), int(pk))
        except (ValueError, TypeError, UnicodeError):
            raise NotFound("Invalid cursor.") from None

    def _encode(self, direction: str, row) -> str:
        raw = json.dumps([direction, *_key(row)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode()

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._size(request)
        raw = request.query_params.get(self.cursor_query_param)
        cursor = self._decode(raw) if raw else None
        backwards = cursor is not None and cursor[0] == "p"
        qs = queryset
        if cursor is not None:
            qs = qs.filter((_before if backwards else _after)(*cursor[1:]))
        if backwards:
            qs = qs.order_by("-tier_rank", "-next_due_at", "-occurred_at", "-id")
        rows = list(qs[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        self.has_next = True if backwards else more
        self.has_previous = more if backwards else cursor is not None
        self.rows = rows
        self.count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
        return rows

    def _link(self, direction: str, row) -> str | None:
        url = self.request.build_absolute_uri()
        if row is None:
            return None
        return replace_query_param(url, self.cursor_query_param, self._encode(direction, row))

    def get_next_link(self):
        return self._link("n", self.rows[-1]) if self.has_next and self.rows else None

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.rows:
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._link("p", self.rows[0])

    def get_paginated_response(self, data):
        return Response(OrderedDict([
            ("count", min(self.count, COUNT_CAP)),
            ("count_capped", self.count > COUNT_CAP),
            ("next", self.get_next_link()),
            ("previous", self.get_previous_link()),
            ("results", data),
        ]))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_capped", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123,
                          "description": f"matching tickets, exact up to {COUNT_CAP}"},
                "count_capped": {"type": "boolean", "description": f"more than {COUNT_CAP} tickets match"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "the page's cursor, as given in next / previous", "schema": {"type": "string"}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"rows per page (at most {self.max_page_size})", "schema": {"type": "integer"}},
        ]
