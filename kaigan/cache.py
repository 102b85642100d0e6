"""Django's Redis cache backend, keeping one Redis client per connection pool.

Django's `RedisCacheClient.get_client` makes a new `redis.Redis` for every cache call, and
redis-py builds its table of response callbacks (about 170 entries) in each one: on the API's
hot paths (the throttle's get and set on every request) that was a tenth of the CPU of a small
request (bench/LOAD.md). A `redis.Redis` is safe to share between threads; it takes a
connection from its pool for every command, so sharing one changes nothing else.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
