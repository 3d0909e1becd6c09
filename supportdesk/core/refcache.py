"""Reference data read on every alarm and every sweep (rooms, tier policies, webhook endpoints), kept in the
process instead of re-read from PostgreSQL each time.

A ``Reference`` holds what its loader returned for ``REFERENCE_CACHE_SECONDS`` (setting, default 60; 0 turns
the cache off, as the test settings do), and is dropped at once when a row of one of its models is saved or
deleted in this process. Another process sees an administrator's change within the TTL at the latest: these
rows change a few times a year, through the admin.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save


class Reference:
    def __init__(self, load: Callable[[], Any], *models) -> None:
        self._load = load
        self._value: Any = None
        self._until = 0.0
        for model in models:
            post_save.connect(self._drop, sender=model, weak=False)
            post_delete.connect(self._drop, sender=model, weak=False)

    def _drop(self, **kwargs) -> None:
        self.clear()

    def clear(self) -> None:
        self._value, self._until = None, 0.0

    def get(self) -> Any:
        ttl = getattr(settings, "REFERENCE_CACHE_SECONDS", 60)
        now = time.monotonic()
        if ttl <= 0:
            return self._load()
        if self._value is None or now >= self._until:
            self._value, self._until = self._load(), now + ttl
        return self._value
