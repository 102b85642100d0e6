"""Throttling: the token endpoint, posting briefs and complaints are held tighter than the rest.

The test settings lift every rate; these tests put low ones back. Run with REDIS_URL set, they
also run against the Redis cache that production uses, so the counts are shared by every web
process.
"""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from kaigan.cache import RedisCache
from projects.models import Feedback
from tests import factories
from tests.conftest import REDIS_URL, client_for


def _assert_throttled(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["code"] == "throttled"
    assert body["errors"] == {}
    assert body["detail"]


@pytest.mark.django_db
def test_the_token_endpoint_answers_429_after_n_tries(rates, api_client):
    rates(token="3/min")
    user = factories.UserFactory()
    wrong = {"email": user.email, "password": "not-the-password"}
    for _ in range(3):
        assert api_client.post("/api/v1/auth/token/", wrong, format="json").status_code == 400
    right = {"email": user.email, "password": factories.PASSWORD}
    _assert_throttled(api_client.post("/api/v1/auth/token/", right, format="json"))
    # Other endpoints keep their own, wider budget.
    assert api_client.get("/api/v1/tags/").status_code == 200


@pytest.mark.django_db
def test_posting_briefs_is_throttled_but_reading_them_is_not(rates, startup, pm):
    rates(brief_post="2/min")
    client = client_for(startup.owner)
    payload = {
        "title": "新品发布",
        "description": "写一篇新闻稿。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 9000,
        "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
    }
    for _ in range(2):
        assert client.post("/api/v1/briefs/", payload, format="json").status_code == 201
    _assert_throttled(client.post("/api/v1/briefs/", payload, format="json"))
    assert startup.briefs.count() == 2
    assert client.get("/api/v1/briefs/").status_code == 200


@pytest.mark.django_db
def test_complaints_are_throttled(rates, pm):
    rates(dissatisfaction="1/min")
    owner = factories.StartupFactory().owner
    brief = factories.BriefFactory(startup=owner.startup, pm=pm)
    client = client_for(owner)
    url = f"/api/v1/briefs/{brief.pk}/dissatisfaction/"
    # The brief is open: the first complaint is refused on its merits, and counts all the same.
    assert client.post(url, {"reason": "quality"}, format="json").status_code == 409
    _assert_throttled(client.post(url, {"reason": "quality"}, format="json"))
    assert not Feedback.objects.filter(brief=brief).exists()


@pytest.mark.django_db
def test_anonymous_clients_have_a_budget(rates, api_client):
    rates(anon="5/min")
    for _ in range(5):
        assert api_client.get("/api/v1/tags/").status_code == 200
    _assert_throttled(api_client.get("/api/v1/tags/"))


@pytest.mark.skipif(not REDIS_URL, reason="no Redis")
def test_parallel_requests_cannot_pass_the_limit_together(rates):
    """DRF reads the history, decides and writes it back: requests that read it at the same
    moment all pass. With Redis the window is checked and recorded in one atomic step."""
    import threading
    from types import SimpleNamespace

    from kaigan.api.throttling import UserRateThrottle

    rates(user="5/min")
    # The fixture's parameter chose the cache: only the Redis one is under test here.
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the atomic window needs the Redis cache")
    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=uuid.uuid4().int))
    start = threading.Barrier(24)
    passed = []

    def one():
        throttle = UserRateThrottle()
        start.wait()
        passed.append(throttle.allow_request(request, view=None))

    threads = [threading.Thread(target=one) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passed.count(True) == 5
    # The next one waits for the oldest to leave the window: about a minute.
    throttle = UserRateThrottle()
    assert throttle.allow_request(request, view=None) is False
    assert 55 <= throttle.wait() <= 60


@pytest.mark.django_db
def test_a_rate_of_zero_shuts_the_scope(rates, api_client):
    rates(anon="0/min")
    _assert_throttled(api_client.get("/api/v1/tags/"))


def _brief_fields(title: str) -> dict:
    return {
        "title": title,
        "description": "写一篇新闻稿。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 9000,
        "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
    }


@pytest.mark.django_db
def test_the_brief_form_has_the_apis_limit_and_says_so(rates, client, startup, pm):
    rates(brief_post="3/min")
    client.force_login(startup.owner)
    answers = [
        client.post(reverse("marketplace:brief_create"), _brief_fields(f"第{i}稿"))
        for i in range(5)
    ]
    assert [r.status_code for r in answers] == [302, 302, 302, 429, 429]
    assert startup.briefs.count() == 3
    refused = answers[-1]
    assert "在短时间内发布了很多需求" in refused.content.decode()
    assert refused.context["form"]["title"].value() == "第4稿"  # what was typed is kept


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["api", "form"])
def test_the_api_and_the_form_share_one_brief_limit(first, rates, client, startup, pm):
    rates(brief_post="2/min")
    client.force_login(startup.owner)
    api = client_for(startup.owner)

    def by_api(title):
        return api.post("/api/v1/briefs/", _brief_fields(title), format="json").status_code

    def by_form(title):
        return client.post(reverse("marketplace:brief_create"), _brief_fields(title)).status_code

    if first == "api":
        assert [by_api("一"), by_api("二")] == [201, 201]
        assert by_form("三") == 429
    else:
        assert [by_form("一"), by_form("二")] == [302, 302]
        assert by_api("三") == 429
    assert sorted(startup.briefs.values_list("title", flat=True)) == ["一", "二"]
    # Another startup has a limit of its own.
    other = factories.StartupFactory().owner
    assert (
        client_for(other).post("/api/v1/briefs/", _brief_fields("四"), format="json").status_code
        == 201
    )
