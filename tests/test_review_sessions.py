"""Review of perf-read (c168d14): sessions are read from the cache and written to the database.

Settings promise that "a cache that is down or flushed only costs the database read". Django's
cached_db backend catches a failing cache read and a failing save, but not the cache write that
follows a database read, nor `exists` (a new session key) or `delete` (login, logout): with
Redis down every signed-in page answered 500, where database sessions kept working.
"""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import caches
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DOWN
    # Neither throttles nor the allauth rate limits are under test here.
    settings.ACCOUNT_RATE_LIMITS = False
    yield
    caches["default"].close()


def test_signed_in_pages_work_while_the_cache_is_down(cache_down):
    startup = factories.StartupFactory()
    brief = factories.BriefFactory(startup=startup)
    client = Client()
    client.force_login(startup.owner)

    assert client.get("/briefs/").status_code == 200
    assert client.get(f"/briefs/{brief.pk}/").status_code == 200


def test_sign_in_and_out_work_while_the_cache_is_down(cache_down):
    user = factories.StartupFactory().owner
    user.set_password("a-long-secret-1")
    user.save()
    client = Client()

    response = client.post("/accounts/login/", {"login": user.email, "password": "a-long-secret-1"})
    assert response.status_code == 302
    assert client.get("/briefs/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_sessions_still_come_from_the_cache_when_it_is_up(django_assert_num_queries):
    """With the cache up, a session is read without a query, as before."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    store = store_class()
    store["k"] = "v"
    store.save()
    assert isinstance(store, SessionBase)
    with django_assert_num_queries(0):
        assert store_class(store.session_key)["k"] == "v"
