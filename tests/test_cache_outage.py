"""A cache (Redis) that is down must not take signed-in pages, sign-in or sign-out with it.

(Found in review: Django's cached_db sessions answered 500 on every signed-in page with Redis
down; sessions went back to the database.)
"""

import pytest
from django.core.cache import caches
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

DOWN = {
    "default": {
        "BACKEND": "kaigan.cache.RedisCache",
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


def test_the_api_answers_while_the_cache_is_down(cache_down):
    """The throttles keep their windows in Redis: with Redis down a request is not counted,
    and passes, instead of failing with the cache."""
    from tests.conftest import client_for

    startup = factories.StartupFactory()
    brief = factories.BriefFactory(startup=startup)
    client = client_for(startup.owner)

    listed = client.get("/api/v1/briefs/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [brief.pk]
