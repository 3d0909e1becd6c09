"""The Redis cache with one client object per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` for every cache call, and each one fills a table of ≈ 170
response callbacks: on a rate-limited API request (five to seven cache calls) that was the largest single CPU
cost outside the database. A ``redis.Redis`` is safe to share (it takes a connection from its pool per command),
so each pool's client is made once. Behaviour, keys and values are Django's.

``add_or_incr`` counts in one round trip (``SET … NX EX`` and ``INCR`` pipelined) what ``add`` then ``incr`` (an
``EXISTS`` and an ``INCRBY``) count in two or three; the API rate limits use it.
"""
from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as _DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(_DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClient

    def add_or_incr(self, key, timeout: int) -> int:
        """Add 1 to the integer at ``key``, creating it (expiring after ``timeout`` seconds) when absent; the new
        value. Django's serializer keeps integers as Redis integers, so ``get`` reads what this writes."""
        key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]


def add_or_incr(cache, key, timeout: int) -> int:
    """``cache.add_or_incr`` where the backend has it, else ``add`` then ``incr`` (any Django cache)."""
    fast = getattr(cache, "add_or_incr", None)
    if fast is not None:
        return fast(key, timeout)
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout=timeout)
        return 1
