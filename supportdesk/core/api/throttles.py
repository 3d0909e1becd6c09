"""API rate limits (DRF throttling, counted in ``settings.CACHES["default"]``): per client and per address.

* ``ClientRateThrottle``: per API client (token) or signed-in person, ``API_THROTTLE_RATES["client"]``.
* ``AddressRateThrottle``: per remote address, ``API_THROTTLE_RATES["address"]``.
* Alarm ingestion (alarms, clears, the Alertmanager webhook) has its own limit per client and per address,
  ``API_THROTTLE_RATES["alarms"]`` (``ALARM_THROTTLES``): an alarm storm is when the centre needs the alarms most,
  so they neither stop at the limit for everything else nor use it up.
* Failed token authentications count per address too (``API_THROTTLE_RATES["bad_token"]``): a stream of guessed
  tokens is answered 429 before the tokens are even looked up.

A refused request is 429 with ``Retry-After`` (seconds). Rates are read from the settings at each request, so
they can be tuned by environment (``API_RATE_CLIENT``, ``API_RATE_ADDRESS``, ``API_RATE_ALARMS``,
``API_RATE_BAD_TOKEN``).

The client and address limits count with two fixed-window counters per key (this window's and the last), and
weigh the last window by the share of it still inside the sliding window: the estimate of a sliding window that
Cloudflare and nginx use. One cache round trip a limit on Redis (``supportdesk.core.cache.sliding_count``: read,
decide and count in one script), two on other caches, whatever the rate — DRF's own throttle keeps, reads and
writes back a list of every request's time (2,400 floats at the address rate), which cost more per request the
busier a NOC client was.
"""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from supportdesk.core.cache import sliding_count


class _SettingsRate(SimpleRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        """A sliding-window estimate: this window's count plus the last window's, weighted by the part of it the
        sliding window still covers. A refused request is not counted."""
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        current, last = f"{key}:{window}", f"{key}:{window - 1}"
        covered = 1 - (now - window * self.duration) / self.duration  # the part of the last window still inside
        allowed, seen, before = sliding_count(cache, current, last, covered=covered, limit=self.num_requests,
                                              timeout=2 * self.duration + 1)
        if not allowed:
            self._wait = self._seconds_to_room(seen, before, now, window)
        return allowed

    def _seconds_to_room(self, seen: int, before: int, now: float, window: int) -> float:
        """How long until one more request fits: when the last window's weight has fallen far enough, or (this
        window alone full) when the next window starts."""
        if seen >= self.num_requests or before == 0:
            return max((window + 1) * self.duration - now, 1.0)
        needed = 1 - (self.num_requests - seen) / before  # the covered share at which the estimate is below the rate
        return max(window * self.duration + needed * self.duration - now, 1.0)

    def wait(self):
        return getattr(self, "_wait", None) or super().wait()

    def get_ident(self, request):
        """The client's address: ``REMOTE_ADDR``, or from ``X-Forwarded-For`` only when ``NUM_PROXIES`` says how
        many proxies in front set it (DRF would otherwise trust a header any client can write)."""
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR", "")
        return super().get_ident(request)


class ClientRateThrottle(_SettingsRate):
    scope = "client"

    def get_cache_key(self, request, view):
        client = getattr(request, "auth", None)
        if client is not None and hasattr(client, "key_hash"):
            return self.cache_format % {"scope": self.scope, "ident": f"client-{client.pk}"}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.pk is not None:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{user.pk}"}
        return None


class AddressRateThrottle(_SettingsRate):
    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AlarmClientRateThrottle(ClientRateThrottle):
    """Alarm ingestion per API client (or signed-in person): ``API_THROTTLE_RATES["alarms"]``, counted apart."""

    scope = "alarms"

    def get_cache_key(self, request, view):
        key = super().get_cache_key(request, view)
        return key and f"{key}-client"


class AlarmAddressRateThrottle(AddressRateThrottle):
    """Alarm ingestion per remote address: ``API_THROTTLE_RATES["alarms"]``, counted apart."""

    scope = "alarms"

    def get_cache_key(self, request, view):
        return f"{super().get_cache_key(request, view)}-address"


# The throttles of the alarm ingestion views, in place of the default ones.
ALARM_THROTTLES = [AlarmAddressRateThrottle, AlarmClientRateThrottle]


class BadTokenThrottle(_SettingsRate):
    """Counts failed token authentications per address (``note_failure``); over the rate, every token from
    that address is refused with 429 until the window passes."""

    scope = "bad_token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked(self, request) -> float | None:
        """Seconds to wait when the address is over its failures, else None (nothing recorded)."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, None)
        self.history = cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.wait() or 1
        return None

    def note_failure(self, request) -> None:
        if self.rate is None:
            return
        self.key = self.get_cache_key(request, None)
        self.history = cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        self.history.insert(0, self.now)
        cache.set(self.key, self.history, self.duration)
