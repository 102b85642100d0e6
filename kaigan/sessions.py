"""Sessions read from the cache and written to the database (Django's cached_db), where a cache
that is down only costs the database read, as the settings promise.

Django's cached_db catches a failing cache read and a failing save, but not the cache write after
a database read, `exists` (every new session key: sign-in, sign-up) nor `delete` (sign-in, sign-
out): with Redis down, every signed-in page answered 500. Here every cache call is guarded.

(A session deleted while the cache cannot be reached stays in the cache until its expiry, as with
Django's own backend: sign-out during a cache outage does not end a session the cache holds.)
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class _GuardedCache:
    """The few cache calls a session makes; a failing one is logged and answers "not cached"."""

    def __init__(self, cache):
        self._cache = cache

    def _guarded(self, call, *args, default=None):
        try:
            return call(*args)
        except Exception:  # noqa: BLE001 - any cache failure: the database answers
            logger.warning("Session cache unavailable (%s)", self._cache, exc_info=True)
            return default

    async def _aguarded(self, call, *args, default=None):
        try:
            return await call(*args)
        except Exception:  # noqa: BLE001
            logger.warning("Session cache unavailable (%s)", self._cache, exc_info=True)
            return default

    def get(self, key, default=None):
        return self._guarded(self._cache.get, key, default, default=default)

    def set(self, key, value, timeout=None):
        self._guarded(self._cache.set, key, value, timeout)

    def delete(self, key):
        return self._guarded(self._cache.delete, key, default=False)

    def __contains__(self, key):
        return bool(self._guarded(self._cache.has_key, key, default=False))

    async def aget(self, key, default=None):
        return await self._aguarded(self._cache.aget, key, default, default=default)

    async def aset(self, key, value, timeout=None):
        await self._aguarded(self._cache.aset, key, value, timeout)

    async def adelete(self, key):
        return await self._aguarded(self._cache.adelete, key, default=False)

    async def ahas_key(self, key):
        return bool(await self._aguarded(self._cache.ahas_key, key, default=False))

    def __str__(self):
        return str(self._cache)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _GuardedCache(self._cache)
