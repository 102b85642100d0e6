"""Issue 3: the tag taxonomy, expert profiles and the one-tag rule, through API, pages, admin."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from experts.models import Expert, Tag, TagChange
from experts.services import expert_adjust_counters, expert_claim_tag
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_taxonomy_has_at_least_15_tags_across_stages():
    tags = list(Tag.objects.all())
    assert len(tags) >= 15
    assert {t.stage for t in tags} == set(Tag.Stage.values)
    for slug in ("brand-strategy", "naming", "visual-identity", "copywriting", "pr-media",
                 "wechat-ops", "weibo-ops", "xiaohongshu-ops", "content-marketing",
                 "community-ops", "kol-cooperation", "event-planning", "video-production",
                 "photography", "web-landing", "growth-ads", "crisis-pr"):  # fmt: skip
        tag = Tag.objects.get(slug=slug)
        assert tag.name
        assert tag.name_en
        assert len(tag.description) > 10


def test_tag_list_api_is_public_and_ordered(api_client):
    response = api_client.get("/api/v1/tags/")
    assert response.status_code == 200
    assert [t["slug"] for t in response.json()] == list(
        Tag.objects.order_by("position", "slug").values_list("slug", flat=True)
    )
    first = response.json()[0]
    assert set(first) >= {"slug", "name", "name_en", "stage", "description"}


def test_expert_me_returns_the_profile(expert):
    response = client_for(expert.user).get("/api/v1/experts/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == expert.pk
    assert body["tag"] == "copywriting"
    assert body["day_rate"] == 1500
    assert body["capacity"] == 3
    assert body["availability"] == "available"
    assert body["rating_avg"] is None
    assert body["rating_count"] == 0
    assert body["completed_count"] == 0


def test_expert_patch_changes_allowed_fields_only(expert):
    response = client_for(expert.user).patch(
        "/api/v1/experts/me/",
        {"headline": "品牌文案", "day_rate": 3000, "rating_count": 99, "tag": "naming"},
        format="json",
    )
    assert response.status_code == 200
    expert.refresh_from_db()
    assert expert.headline == "品牌文案"
    assert expert.day_rate == 3000
    assert expert.rating_count == 0  # read-only counters ignored
    assert expert.tag.slug == "copywriting"  # the tag is claimed through its own endpoint


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"day_rate": 99}, "day_rate"),
        ({"day_rate": 100_001}, "day_rate"),
        ({"capacity": 11}, "capacity"),
    ],
)
def test_the_profile_service_names_the_field_out_of_range(expert, data, field):
    """The service is what the browser form and the API share: its own checks name the field."""
    from django.core.exceptions import ValidationError

    from experts.services import expert_update

    before = Expert.objects.filter(pk=expert.pk).values().get()
    with pytest.raises(ValidationError) as raised:
        expert_update(expert_id=expert.pk, data=data)
    assert field in raised.value.message_dict
    assert Expert.objects.filter(pk=expert.pk).values().get() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"day_rate": -5}, "day_rate"),
        ({"day_rate": 10_000_000}, "day_rate"),
        ({"day_rate": "abc"}, "day_rate"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 500}, "capacity"),
        ({"headline": "x" * 121}, "headline"),
        ({"bio": "x" * 3001}, "bio"),
        ({"display_name": ""}, "display_name"),
        ({"availability": "sleeping"}, "availability"),
        ({"portfolio_links": "not a link"}, "portfolio_links"),
        ({"portfolio_links": "\n".join(f"https://e.com/{i}" for i in range(6))}, "portfolio_links"),
    ],
)
def test_expert_patch_rejects_bad_input_and_saves_nothing(expert, payload, field):
    before = Expert.objects.filter(pk=expert.pk).values().get()
    response = client_for(expert.user).patch("/api/v1/experts/me/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    after = Expert.objects.filter(pk=expert.pk).values().get()
    assert after == before


def test_capacity_cannot_drop_below_running_engagements(expert):
    expert_adjust_counters(expert_id=expert.pk, active_load=2)
    response = client_for(expert.user).patch("/api/v1/experts/me/", {"capacity": 1}, format="json")
    assert response.status_code == 400
    assert "capacity" in response.json()["errors"]
    expert.refresh_from_db()
    assert expert.capacity == 3


def test_claim_tag_sets_the_one_tag_and_records_history():
    expert = factories.ExpertFactory(tag=None)
    client = client_for(expert.user)

    first = client.put("/api/v1/experts/me/tag/", {"tag": "naming"}, format="json")
    second = client.put("/api/v1/experts/me/tag/", {"tag": "visual-identity"}, format="json")

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json()["tag"] == "visual-identity"
    expert.refresh_from_db()
    assert expert.tag.slug == "visual-identity"
    history = list(
        TagChange.objects.filter(expert=expert)
        .order_by("id")
        .values_list("from_tag__slug", "to_tag__slug", "actor_id")
    )
    assert history == [
        (None, "naming", expert.user_id),
        ("naming", "visual-identity", expert.user_id),
    ]


def test_claiming_the_same_tag_again_adds_no_history(expert):
    response = client_for(expert.user).put("/api/v1/experts/me/tag/", {"tag": "copywriting"})
    assert response.status_code == 200
    assert TagChange.objects.filter(expert=expert).count() == 0


def test_claim_unknown_tag_is_a_400(expert):
    response = client_for(expert.user).put("/api/v1/experts/me/tag/", {"tag": "juggling"})
    assert response.status_code == 400
    assert "tag" in response.json()["errors"]
    expert.refresh_from_db()
    assert expert.tag.slug == "copywriting"


@pytest.mark.parametrize("counter", ["active_load", "pending_invitations"])
def test_changing_tag_while_work_is_in_flight_is_refused(expert, counter):
    expert_adjust_counters(expert_id=expert.pk, **{counter: 1})
    response = client_for(expert.user).put("/api/v1/experts/me/tag/", {"tag": "naming"})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert "tag" in response.json()["errors"]
    expert.refresh_from_db()
    assert expert.tag.slug == "copywriting"
    assert not TagChange.objects.filter(expert=expert).exists()


@pytest.mark.parametrize("who", ["anonymous", "startup", "pm"])
@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/api/v1/experts/me/", None),
        ("patch", "/api/v1/experts/me/", {"headline": "x"}),
        ("put", "/api/v1/experts/me/tag/", {"tag": "naming"}),
    ],
)
def test_expert_endpoints_refuse_non_experts(who, method, url, data, startup, pm):
    user = {"anonymous": None, "startup": startup.owner, "pm": pm}[who]
    response = getattr(client_for(user), method)(url, data, format="json")
    assert response.status_code == (401 if who == "anonymous" else 403)
    assert set(response.json()) == {"detail", "code", "errors"}


# --- browser ---------------------------------------------------------------------------------


def test_dashboard_shows_the_profile_form_and_the_tag(client, expert):
    client.force_login(expert.user)
    response = client.get(reverse("experts:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert expert.display_name in html
    assert Tag.objects.get(slug="copywriting").name in html
    assert 'name="day_rate"' in html


def test_dashboard_form_saves_the_profile(client, expert):
    client.force_login(expert.user)
    data = {
        "display_name": "新名字",
        "headline": "做品牌",
        "city": "深圳",
        "day_rate": 2000,
        "capacity": 4,
        "availability": "paused",
        "bio": "",
        "portfolio_links": "https://example.com/a\nhttps://example.com/b",
    }
    response = client.post(reverse("experts:dashboard"), data)
    assert response.status_code == 302
    expert.refresh_from_db()
    assert (expert.display_name, expert.city, expert.day_rate, expert.capacity) == (
        "新名字",
        "深圳",
        2000,
        4,
    )
    assert expert.availability == "paused"
    assert expert.portfolio_list == ["https://example.com/a", "https://example.com/b"]


def test_dashboard_form_shows_errors_and_keeps_what_was_typed(client, expert):
    client.force_login(expert.user)
    data = {
        "display_name": "保留我",
        "headline": "",
        "city": "",
        "day_rate": -1,
        "capacity": 3,
        "availability": "available",
        "bio": "",
        "portfolio_links": "",
    }
    response = client.post(reverse("experts:dashboard"), data)
    assert response.status_code == 200
    assert "day_rate" in response.context["form"].errors
    assert 'value="保留我"' in response.content.decode()
    expert.refresh_from_db()
    assert expert.day_rate == 1500


def test_claim_page_groups_tags_by_stage_and_says_only_one(client):
    expert = factories.ExpertFactory(tag=None)
    client.force_login(expert.user)
    response = client.get(reverse("experts:claim_tag"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('type="radio" name="tag"') == Tag.objects.filter(is_active=True).count()
    groups = response.context["groups"]
    assert [len(tags) for _, tags in groups] == [
        Tag.objects.filter(stage=stage).count()
        for stage in Tag.Stage.values
        if Tag.objects.filter(stage=stage).exists()
    ]
    assert Tag.objects.get(slug="naming").description in html


def test_claim_page_claims_a_tag(client):
    expert = factories.ExpertFactory(tag=None)
    client.force_login(expert.user)
    response = client.post(reverse("experts:claim_tag"), {"tag": "naming"})
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.tag.slug == "naming"


def test_claim_page_refuses_a_change_while_engaged_with_the_form_again(client, expert):
    expert_adjust_counters(expert_id=expert.pk, active_load=1)
    client.force_login(expert.user)
    response = client.post(reverse("experts:claim_tag"), {"tag": "naming"})
    assert response.status_code == 200
    assert response.context["form"].errors
    expert.refresh_from_db()
    assert expert.tag.slug == "copywriting"


@pytest.mark.parametrize("url_name", ["experts:dashboard", "experts:claim_tag"])
def test_expert_pages_need_an_expert(client, startup, url_name):
    assert client.get(reverse(url_name)).status_code == 302  # to the login page
    client.force_login(startup.owner)
    assert client.get(reverse(url_name)).status_code == 403


# --- admin -----------------------------------------------------------------------------------


def test_admin_finds_experts_by_name_city_and_tag(client, superuser):
    a = factories.ExpertFactory(display_name="张三", city="杭州", tag=factories.tag("naming"))
    b = factories.ExpertFactory(display_name="李四", city="成都")
    client.force_login(superuser)
    url = reverse("admin:experts_expert_changelist")

    def found(query):
        response = client.get(url, query)
        assert response.status_code == 200
        return {e.pk for e in response.context["cl"].result_list}

    assert found({"q": "张三"}) == {a.pk}
    assert found({"q": "成都"}) == {b.pk}
    assert found({"q": "品牌命名"}) == {a.pk}
    assert found({"tag__id__exact": factories.tag("copywriting").pk}) == {b.pk}
    assert found({"availability__exact": "available"}) == {a.pk, b.pk}
    assert found({"rating": "none"}) == {a.pk, b.pk}


def test_pm_sees_the_tag_history_in_the_admin(client, pm):
    expert = factories.ExpertFactory(tag=None)
    expert_claim_tag(expert_id=expert.pk, tag_slug="naming", actor=expert.user)
    expert_claim_tag(expert_id=expert.pk, tag_slug="photography", actor=expert.user)
    # A PM reads the experts proposed for their briefs (tests/test_admin_scope.py).
    factories.MatchFactory(expert=expert, brief=factories.BriefFactory(pm=pm))
    client.force_login(pm)
    response = client.get(reverse("admin:experts_expert_change", args=[expert.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "品牌命名" in html
    assert "商业摄影" in html
    # PMs may read but not change experts or tags.
    assert (
        client.post(reverse("admin:experts_expert_change", args=[expert.pk]), {}).status_code == 403
    )
    assert client.get(reverse("admin:experts_tag_add")).status_code == 403


# --- concurrency (PostgreSQL row locks) -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claims_end_with_exactly_one_tag_and_a_consistent_history():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    expert = factories.ExpertFactory(tag=None)
    barrier = threading.Barrier(2)
    errors = []

    def claim(slug):
        try:
            barrier.wait()
            expert_claim_tag(expert_id=expert.pk, tag_slug=slug, actor=expert.user)
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(s,)) for s in ("naming", "photography")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    expert.refresh_from_db()
    changes = list(TagChange.objects.filter(expert=expert).order_by("id"))
    assert len(changes) == 2
    assert changes[0].from_tag_id is None
    assert changes[1].from_tag_id == changes[0].to_tag_id  # no lost update
    assert expert.tag_id == changes[1].to_tag_id


def test_one_answer_names_a_bad_link_next_to_a_bad_day_rate(client, expert):
    client.force_login(expert.user)
    data = {
        "display_name": "专家",
        "day_rate": -1,
        "capacity": 3,
        "availability": "available",
        "portfolio_links": "not a link",
    }
    response = client.post(reverse("experts:dashboard"), data)
    assert set(response.context["form"].errors) == {"day_rate", "portfolio_links"}
    api = client_for(expert.user).patch(
        "/api/v1/experts/me/", {"day_rate": -1, "portfolio_links": "not a link"}, format="json"
    )
    assert api.status_code == 400
    assert set(api.json()["errors"]) == {"day_rate", "portfolio_links"}
