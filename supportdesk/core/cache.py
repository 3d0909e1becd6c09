"""The Redis cache with one client object per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` for every cache call, and each one fills a table of ≈ 170
response callbacks: on a rate-limited API request (five to seven cache calls) that was the largest single CPU
cost outside the database. A ``redis.Redis`` is safe to share (it takes a connection from its pool per command),
so each pool's client is made once. Behaviour, keys and values are Django's.

``sliding_count`` (the API rate limits' read, decision and count) is one script run by Redis: one round trip a
limit instead of a read and a count (an ``EXISTS`` and an ``INCRBY`` through Django's ``incr``), and atomic, so
two requests at once cannot both take the last place.
"""
from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as _DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._sliding = None

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client

    def sliding_script(self):
        """The ``_SLIDING_LUA`` script on the write server (``EVALSHA``, loaded again by redis-py if Redis lost it)."""
        if self._sliding is None:
            self._sliding = self.get_client(write=True).register_script(_SLIDING_LUA)
        return self._sliding


class RedisCache(_DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClient

    def sliding_count(self, current, last, *, covered: float, limit: int, timeout: int) -> tuple[bool, int, int]:
        """See ``sliding_count`` below; one ``EVALSHA`` (Django's serializer keeps integers as Redis integers, so
        ``get`` reads what this writes)."""
        current, last = self.make_and_validate_key(current), self.make_and_validate_key(last)
        script = self._cache.sliding_script()
        allowed, seen, before = script(keys=[current, last], args=[repr(covered), limit, timeout])
        return bool(allowed), seen, before


# KEYS: this window's counter, the last one's; ARGV: the share of the last window still covered, the limit, the
# counter's lifetime in seconds.
_SLIDING_LUA = """
local seen = tonumber(redis.call('GET', KEYS[1])) or 0
local before = tonumber(redis.call('GET', KEYS[2])) or 0
if seen + before * tonumber(ARGV[1]) >= tonumber(ARGV[2]) then
  return {0, seen, before}
end
redis.call('SET', KEYS[1], 0, 'EX', ARGV[3], 'NX')
redis.call('INCR', KEYS[1])
return {1, seen, before}
"""


def sliding_count(cache, current, last, *, covered: float, limit: int, timeout: int) -> tuple[bool, int, int]:
    """A sliding-window rate limit's step: with ``seen`` counted in this window's counter and ``before`` in the
    last one's, allowed when ``seen + before × covered < limit``, and then counted (the counter made, expiring
    after ``timeout`` seconds, when absent). (allowed, seen, before). ``cache.sliding_count`` where the backend has
    it, else a read and a count through any Django cache."""
    fast = getattr(cache, "sliding_count", None)
    if fast is not None:
        return fast(current, last, covered=covered, limit=limit, timeout=timeout)
    counts = cache.get_many([current, last])
    seen, before = counts.get(current, 0), counts.get(last, 0)
    if seen + before * covered >= limit:
        return False, seen, before
    if current in counts:
        try:
            cache.incr(current)
            return True, seen, before
        except ValueError:  # expired between the two calls
            pass
    if not cache.add(current, 1, timeout=timeout):
        cache.incr(current)
    return True, seen, before
