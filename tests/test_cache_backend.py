"""kaigan.cache.RedisCache: Django's Redis backend, one client per pool, against the real Redis."""

import os
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from kaigan.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")


def _caches():
    params = {"KEY_PREFIX": f"kaigan-cache-test-{uuid.uuid4().hex}", "TIMEOUT": 60}
    return RedisCache(REDIS_URL, params), DjangoRedisCache(REDIS_URL, params)


def test_it_reuses_one_client_where_django_makes_one_per_call():
    ours, django = _caches()
    assert ours._cache.get_client() is ours._cache.get_client(write=True)
    assert django._cache.get_client() is not django._cache.get_client()


def test_it_reads_and_writes_what_djangos_backend_does():
    ours, django = _caches()  # the same prefix: they share keys
    ours.set("history", [1.5, 2.5], 30)
    assert django.get("history") == [1.5, 2.5]
    django.set("n", 1)
    assert ours.incr("n", 4) == 5
    assert ours.add("n", 9) is False
    assert ours.get_many(["history", "n", "missing"]) == {"history": [1.5, 2.5], "n": 5}
    ours.delete_many(["history", "n"])
    assert django.get("history") is None


def test_a_dead_server_raises_as_djangos_backend_does_and_the_client_recovers():
    params = {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    dead = RedisCache("redis://127.0.0.1:1/0", params)
    with pytest.raises(Exception, match="Connection"):
        dead.get("x")
    live, _ = _caches()
    live.set("k", "v")
    live._cache.get_client().connection_pool.disconnect()  # as after a Redis restart
    assert live.get("k") == "v"
