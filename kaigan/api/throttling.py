"""The API's throttles: DRF's, with the window kept in Redis and checked in one atomic step.

DRF's `SimpleRateThrottle` reads a request history (a pickled list of times) from the cache,
decides, then writes the list back: two round trips, a list that grows with the rate (up to
600 times, pickled and unpickled on every request at 600/min), and a race: requests that read
the same history at the same moment all pass, so a burst of parallel requests goes over the
limit. Here the window is a sorted set of request times in Redis, pruned, counted and (when
the request passes) added to by one Lua script: one round trip, O(log n), and exact under
concurrency. The rule is DRF's own: at most `num_requests` in the last `duration` seconds,
counting only requests that passed.

With another cache (local memory in development and most tests) DRF's own path runs. If Redis
does not answer, the request passes and a warning is logged: a rate limit that is down must
not take the API with it (the throttles guard against abuse, not for correctness).
"""

import logging
import secrets
import weakref
from types import SimpleNamespace

import redis
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from rest_framework import throttling

from kaigan.cache import RedisCache
from kaigan.client_ip import client_ip

logger = logging.getLogger(__name__)

# KEYS[1]: the window; ARGV: now (s), duration (s), limit, a member unique to this request.
# Answers {1} when the request passes (and is recorded), {0, oldest time} when it does not.
_WINDOW = """
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(duration * 1000))
  return {1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, oldest[2]}
"""

# One registered script per Redis client (kaigan.cache keeps one client per connection pool).
_scripts: "weakref.WeakKeyDictionary[redis.Redis, object]" = weakref.WeakKeyDictionary()


def _window_script(backend: RedisCache, key: str):
    """The client for `key` and the script registered with it (EVALSHA: the script's text is
    sent once per Redis server, then only its hash)."""
    client = backend._cache.get_client(key, write=True)
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_WINDOW)
    return client, script


class AtomicWindowMixin:
    def get_ident(self, request):
        # DRF's would read X-Forwarded-For whole when NUM_PROXIES is unset; one rule instead.
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        backend = caches[DEFAULT_CACHE_ALIAS]
        if not isinstance(backend, RedisCache):
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        # A key of its own: DRF's pickled list may still sit under the plain one.
        key = backend.make_and_validate_key(f"{self.key}:window")
        self.now = self.timer()
        try:
            client, script = _window_script(backend, key)
            answer = script(
                keys=[key],
                args=[repr(self.now), self.duration, self.num_requests, secrets.token_hex(8)],
                client=client,
            )
        except redis.RedisError:
            logger.warning("throttle %s not checked: no answer from Redis", self.key, exc_info=True)
            return True
        if answer[0] == 1:
            return True
        # No oldest request when the rate is 0 per period: then the wait is the whole period.
        self.oldest = float(answer[1]) if len(answer) > 1 else self.now
        return self.throttle_failure()

    def wait(self):
        oldest = getattr(self, "oldest", None)
        if oldest is None:
            return super().wait()
        # The oldest request leaves the window then, and one more may pass (DRF's formula,
        # with the window full).
        return max(0.0, self.duration - (self.now - oldest))


class AnonRateThrottle(AtomicWindowMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(AtomicWindowMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(AtomicWindowMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view):
        # DRF's scoped throttle learns its rate from the view, then checks: the same, with the
        # check above.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


def scoped_throttle_wait(request, scope: str) -> float | None:
    """Count one request of a page (a form) against the API's throttle `scope`: None when it
    passes, else how many seconds to wait.

    The same window under the same key as the API's `ScopedRateThrottle` (the user, or the
    client's address), so both paths share one limit.
    """
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
        return None
    return throttle.wait() or 0.0
