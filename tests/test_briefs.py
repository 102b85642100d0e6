"""Issue 4: startups post briefs in the browser and the API; each brief gets a PM."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kaigan.errors import InvalidTransition
from kaigan.notifications.models import Notification
from marketplace import services
from marketplace.forms import BriefForm
from marketplace.models import Brief, BriefEvent, Campaign
from projects.services import brief_submit
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

S = Brief.Status


def _future(days=30):
    return timezone.localdate() + timedelta(days=days)


def _form(**overrides):
    data = {
        "title": "新品发布新闻稿",
        "description": "我们要发布一款智能钢琴,需要一篇面向科技媒体的新闻稿。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 12000,
        "deadline": _future().isoformat(),
        "campaign": "春季发布",
    }
    data.update(overrides)
    return data


# --- posting in the browser -----------------------------------------------------------------


def test_startup_posts_a_brief_in_the_browser(
    client, startup, pm, mailoutbox, django_capture_on_commit_callbacks
):
    factories.ExpertFactory()  # one copywriter, so the ranking finds somebody
    client.force_login(startup.owner)

    with django_capture_on_commit_callbacks(execute=True):
        with_callbacks = client.post(reverse("marketplace:brief_create"), _form())

    brief = Brief.objects.get()
    assert with_callbacks.status_code == 302
    assert with_callbacks["Location"] == reverse("marketplace:brief_detail", args=[brief.pk])
    assert brief.startup == startup
    assert brief.pm == pm
    assert brief.campaign.name == "春季发布"
    # The ranking ran (eagerly here) after commit and found the copywriter.
    assert brief.status == S.AWAITING_APPROVAL
    assert list(brief.events.values_list("from_status", "to_status")) == [
        ("", S.OPEN),
        (S.OPEN, S.AWAITING_APPROVAL),
    ]
    kinds = list(Notification.objects.filter(recipient=pm).values_list("kind", flat=True))
    assert sorted(kinds) == ["brief_assigned", "brief_proposals_ready"]
    assert {m.to[0] for m in mailoutbox} == {pm.email}


def test_brief_with_nobody_to_match_needs_attention(
    client, startup, pm, django_capture_on_commit_callbacks
):
    client.force_login(startup.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("marketplace:brief_create"), _form(tag="crisis-pr"))
    brief = Brief.objects.get()
    assert brief.status == S.NEEDS_ATTENTION
    assert Notification.objects.filter(recipient=pm, kind="brief_needs_attention").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"budget_min": 20000, "budget_max": 10000}, "budget_max"),
        ({"budget_min": -100}, "budget_min"),
        ({"budget_max": 10**12}, "budget_max"),
        ({"deadline": "2020-01-01"}, "deadline"),
        ({"deadline": "not a date"}, "deadline"),
        ({"tag": "juggling"}, "tag"),
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": ""}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"campaign": "x" * 61}, "campaign"),
    ],
)
def test_bad_brief_form_shows_the_message_and_keeps_the_input(client, startup, overrides, field):
    client.force_login(startup.owner)
    response = client.post(reverse("marketplace:brief_create"), _form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    if field != "description":
        assert "我们要发布一款智能钢琴" in html  # what was typed is still there
    assert Brief.objects.count() == 0


def test_brief_form_shows_each_tag_with_its_description(client, startup):
    client.force_login(startup.owner)
    html = client.get(reverse("marketplace:brief_create")).content.decode()
    naming = factories.tag("naming")
    assert naming.name in html
    assert naming.description in html


# --- PM assignment ---------------------------------------------------------------------------


def test_pm_with_fewest_open_briefs_is_assigned_and_ties_go_to_the_first(startup):
    busy = factories.ProjectManagerFactory()
    free_a = factories.ProjectManagerFactory()
    free_b = factories.ProjectManagerFactory()
    factories.BriefFactory(pm=busy.user)
    factories.BriefFactory(pm=free_b.user, status=S.COMPLETED)  # closed: does not count

    brief = brief_submit(startup=startup, actor=startup.owner, **_api_payload())

    assert brief.pm == free_a.user  # free_a and free_b tie at 0 open; lower id wins


def test_pm_who_knows_the_tag_wins_a_tie(startup):
    factories.ProjectManagerFactory()
    expert_pm = factories.ProjectManagerFactory()
    expert_pm.tags.add(factories.tag("copywriting"))
    brief = brief_submit(startup=startup, actor=startup.owner, **_api_payload())
    assert brief.pm == expert_pm.user


def test_full_or_inactive_pms_are_skipped_and_superusers_told_when_none_is_free(startup, superuser):
    full = factories.ProjectManagerFactory(capacity=1)
    factories.BriefFactory(pm=full.user)
    factories.ProjectManagerFactory(is_active=False)

    brief = brief_submit(startup=startup, actor=startup.owner, **_api_payload())

    assert brief.pm is None
    assert Brief.objects.filter(pk=brief.pk).exists()
    assert Notification.objects.filter(recipient=superuser, kind="brief_unassigned").count() == 1


def test_the_pm_gets_an_email_after_commit(startup, pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        brief_submit(startup=startup, actor=startup.owner, **_api_payload())
    assert len(mail.outbox) == 0  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox][:1] == [[pm.email]]


# --- the state machine -----------------------------------------------------------------------


def test_an_illegal_transition_is_refused_and_nothing_is_recorded(startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    with pytest.raises(InvalidTransition):
        services.brief_transition(brief=brief, to=S.COMPLETED, actor=startup.owner)
    assert Brief.objects.get(pk=brief.pk).status == S.OPEN
    assert not BriefEvent.objects.filter(brief=brief).exists()


def test_every_transition_is_audited_with_actor_and_reason(startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    services.brief_transition(
        brief=brief, to=S.NEEDS_ATTENTION, actor=startup.owner, reason="nobody left"
    )
    event = BriefEvent.objects.get(brief=brief)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        S.OPEN,
        S.NEEDS_ATTENTION,
        startup.owner,
        "nobody left",
    )


# --- pages: list, detail, edit, cancel -------------------------------------------------------


def test_list_page_shows_only_own_briefs_newest_first(client, startup, other_startup):
    older = factories.BriefFactory(startup=startup, title="旧的")
    newer = factories.BriefFactory(startup=startup, title="新的")
    factories.BriefFactory(startup=other_startup, title="别人的")
    client.force_login(startup.owner)
    response = client.get(reverse("marketplace:brief_list"))
    assert [b.pk for b in response.context["page"].object_list] == [newer.pk, older.pk]
    assert "别人的" not in response.content.decode()


def test_list_page_is_paginated(client, startup):
    factories.BriefFactory.create_batch(12, startup=startup)
    client.force_login(startup.owner)
    first = client.get(reverse("marketplace:brief_list"))
    second = client.get(reverse("marketplace:brief_list"), {"page": 2})
    assert len(first.context["page"].object_list) == 10
    assert len(second.context["page"].object_list) == 2


def test_list_page_has_a_clear_empty_state(client, startup):
    client.force_login(startup.owner)
    html = client.get(reverse("marketplace:brief_list")).content.decode()
    assert reverse("marketplace:brief_create") in html
    assert 'class="empty card"' in html


def test_list_page_query_count_stays_flat(client, startup, django_assert_max_num_queries):
    client.force_login(startup.owner)
    factories.BriefFactory.create_batch(2, startup=startup)
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("marketplace:brief_list"))
    factories.BriefFactory.create_batch(8, startup=startup)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("marketplace:brief_list"))


def test_detail_page_shows_the_timeline_and_pm(
    client, startup, pm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        brief = brief_submit(startup=startup, actor=startup.owner, **_api_payload())
    client.force_login(startup.owner)
    response = client.get(reverse("marketplace:brief_detail", args=[brief.pk]))
    assert response.status_code == 200
    assert [e.to_status for e in response.context["timeline"]] == [
        S.OPEN,
        S.NEEDS_ATTENTION,
    ]
    assert pm.get_full_name() in response.content.decode()


def test_another_startups_brief_is_a_404_on_every_page(client, startup, other_startup):
    brief = factories.BriefFactory(startup=other_startup)
    client.force_login(startup.owner)
    for name in ("brief_detail", "brief_edit"):
        assert client.get(reverse(f"marketplace:{name}", args=[brief.pk])).status_code == 404
    cancel = client.post(reverse("marketplace:brief_cancel", args=[brief.pk]), {"confirm": "on"})
    assert cancel.status_code == 404
    assert Brief.objects.get(pk=brief.pk).status == S.OPEN


def test_edit_page_saves_changes(client, startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    client.force_login(startup.owner)
    response = client.post(
        reverse("marketplace:brief_edit", args=[brief.pk]),
        _form(title="改过的标题", version=brief.version),
    )
    assert response.status_code == 302
    brief.refresh_from_db()
    assert brief.title == "改过的标题"
    assert brief.version == 2


def test_edit_with_a_stale_version_keeps_the_other_change(client, startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN, title="原标题")
    services.brief_update(brief_id=brief.pk, actor=startup.owner, data={"title": "别人改的"})
    client.force_login(startup.owner)
    opened = {**BriefForm.initial_for(brief), "version": 1}  # the form as it was opened
    response = client.post(
        reverse("marketplace:brief_edit", args=[brief.pk]), {**opened, "title": "我的"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    brief.refresh_from_db()
    assert brief.title == "别人改的"

    # The page says what happened, keeps what the user typed and shows what is saved now ...
    page = response.content.decode()
    assert "在你打开后被修改过" in page
    assert 'value="我的"' in page
    assert "<dt>标题</dt><dd>别人改的</dd>" in page
    assert ("标题", "别人改的") in response.context["newer"]
    assert [label for label, _ in response.context["newer"]] == ["标题"]  # only what differs
    # ... and a second save, made knowingly, goes through: nothing typed was lost.
    form = response.context["form"]
    again = client.post(
        reverse("marketplace:brief_edit", args=[brief.pk]),
        {**opened, "title": "我的", "version": form["version"].value()},
    )
    assert again.status_code == 302
    brief.refresh_from_db()
    assert brief.title == "我的"


def test_a_brief_in_progress_cannot_be_edited_or_cancelled(client, startup):
    brief = factories.BriefFactory(startup=startup, status=S.IN_PROGRESS, title="进行中")
    client.force_login(startup.owner)
    edit = client.post(reverse("marketplace:brief_edit", args=[brief.pk]), _form(title="改"))
    assert edit.status_code == 302
    cancel = client.post(reverse("marketplace:brief_cancel", args=[brief.pk]), {"confirm": "on"})
    assert cancel.status_code == 302
    brief.refresh_from_db()
    assert (brief.title, brief.status) == ("进行中", S.IN_PROGRESS)


def test_cancel_withdraws_open_proposals_and_records_the_reason(client, startup, pm):
    brief = factories.BriefFactory(startup=startup, pm=pm, status=S.AWAITING_APPROVAL)
    match = factories.MatchFactory(brief=brief)
    client.force_login(startup.owner)
    url = reverse("marketplace:brief_cancel", args=[brief.pk])
    client.post(url, {"reason": "预算取消", "confirm": "on"})
    brief.refresh_from_db()
    match.refresh_from_db()
    assert brief.status == S.CANCELLED
    assert match.status == "withdrawn"
    assert BriefEvent.objects.get(brief=brief, to_status=S.CANCELLED).reason == "预算取消"
    assert Notification.objects.filter(recipient=pm, kind="brief_cancelled").exists()


def test_cancelling_asks_for_a_confirmation_and_keeps_the_reason(client, startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    client.force_login(startup.owner)
    url = reverse("marketplace:brief_cancel", args=[brief.pk])
    response = client.post(url, {"reason": "预算被砍了"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请勾选确认取消" in page
    assert "预算被砍了" in page  # what was typed is still there
    too_long = client.post(url, {"reason": "很" * 501, "confirm": "on"})
    assert too_long.status_code == 400
    assert "很" * 501 in too_long.content.decode()
    brief.refresh_from_db()
    assert brief.status == S.OPEN


def test_startup_profile_is_editable(client, startup):
    client.force_login(startup.owner)
    response = client.post(
        reverse("marketplace:startup_profile"),
        {
            "company_name": "三个爸爸",
            "stage": "a",
            "industry": "家电",
            "city": "北京",
            "website": "https://example.com",
            "description": "",
        },
    )
    assert response.status_code == 302
    startup.refresh_from_db()
    assert (startup.company_name, startup.stage) == ("三个爸爸", "a")


def test_the_company_name_cannot_be_blanked(client, startup):
    client.force_login(startup.owner)
    response = client.post(
        reverse("marketplace:startup_profile"),
        {"company_name": "  ", "stage": "a", "industry": "家电", "city": "北京"},
    )
    assert response.status_code == 200
    assert "company_name" in response.context["form"].errors
    startup.refresh_from_db()
    assert startup.company_name.strip()


def test_a_deadline_years_ahead_is_a_typing_slip_in_the_api_and_the_form(client, startup):
    far = (timezone.localdate() + timedelta(days=2 * 366 + 1)).isoformat()
    response = client_for(startup.owner).post(
        "/api/v1/briefs/", {**_api_payload(), "deadline": far}, format="json"
    )
    assert response.status_code == 400
    assert "deadline" in response.json()["errors"]
    client.force_login(startup.owner)
    page = client.post(reverse("marketplace:brief_create"), _form(deadline="9999-12-31"))
    assert page.status_code == 200
    assert "截止日期必须在两年以内" in page.content.decode()
    assert not Brief.objects.filter(startup=startup).exists()
    within = (timezone.localdate() + timedelta(days=700)).isoformat()
    ok = client_for(startup.owner).post(
        "/api/v1/briefs/", {**_api_payload(), "deadline": within}, format="json"
    )
    assert ok.status_code == 201


def test_startup_profile_rejects_a_bad_website(client, startup):
    client.force_login(startup.owner)
    response = client.post(
        reverse("marketplace:startup_profile"),
        {"company_name": "X", "stage": "a", "industry": "", "city": "", "website": "nope"},
    )
    assert response.status_code == 200
    assert "website" in response.context["form"].errors


def test_header_shows_the_unread_notification_count(client, startup):
    factories.NotificationFactory.create_batch(3, recipient=startup.owner)
    client.force_login(startup.owner)
    html = client.get(reverse("marketplace:brief_list")).content.decode()
    assert '<span class="count"' in html
    assert ">3</span>" in html
    client.post(reverse("notifications:mark_all_read"))
    html = client.get(reverse("marketplace:brief_list")).content.decode()
    assert '<span class="count"' not in html


# --- API -------------------------------------------------------------------------------------


def _api_payload(**overrides):
    data = {
        "title": "发布会文案",
        "description": "为发布会写主视觉文案。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 10000,
        "deadline": _future(),
    }
    data.update(overrides)
    return data


def test_api_post_brief_returns_201_with_id_status_and_pm(startup, pm):
    payload = _api_payload(deadline=_future().isoformat(), campaign="发布会")
    response = client_for(startup.owner).post("/api/v1/briefs/", payload, format="json")
    assert response.status_code == 201
    body = response.json()
    brief = Brief.objects.get()
    assert body["id"] == brief.pk
    assert body["status"] == brief.status
    assert body["pm"] == {"id": pm.pk, "name": pm.get_full_name()}
    assert body["campaign"] == "发布会"
    assert body["tag"] == "copywriting"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"budget_min": 9000, "budget_max": 8000}, "budget_max"),
        ({"budget_min": -1}, "budget_min"),
        ({"budget_max": 10**10}, "budget_max"),
        ({"deadline": "2001-01-01"}, "deadline"),
        ({"tag": "juggling"}, "tag"),
        ({"title": ""}, "title"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_api_post_brief_rejects_bad_input(startup, overrides, field):
    payload = _api_payload(**{"deadline": _future().isoformat(), **overrides})
    response = client_for(startup.owner).post("/api/v1/briefs/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Brief.objects.count() == 0


def test_api_mass_assignment_cannot_set_status_owner_or_pm(startup, other_startup, pm):
    payload = _api_payload(
        deadline=_future().isoformat(),
        status="completed",
        startup=other_startup.pk,
        pm=None,
        rematch_count=9,
    )
    response = client_for(startup.owner).post("/api/v1/briefs/", payload, format="json")
    assert response.status_code == 201
    brief = Brief.objects.get()
    assert brief.startup == startup
    assert brief.status != "completed"
    assert brief.pm == pm
    assert brief.rematch_count == 0


@pytest.mark.parametrize("who", ["expert", "pm"])
def test_only_startups_post_briefs(who, expert, pm):
    user = {"expert": expert.user, "pm": pm}[who]
    response = client_for(user).post(
        "/api/v1/briefs/", _api_payload(deadline=_future().isoformat()), format="json"
    )
    assert response.status_code == 403
    assert Brief.objects.count() == 0


def test_api_isolation_between_startups(startup, other_startup):
    mine = factories.BriefFactory(startup=startup)
    theirs = factories.BriefFactory(startup=other_startup, title="别人的")
    client = client_for(startup.owner)
    assert [b["id"] for b in client.get("/api/v1/briefs/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/briefs/{theirs.pk}/").status_code == 404
    assert client.patch(f"/api/v1/briefs/{theirs.pk}/", {"title": "x"}).status_code == 404
    assert client.post(f"/api/v1/briefs/{theirs.pk}/cancel/").status_code == 404
    assert client.get(f"/api/v1/briefs/{theirs.pk}/matches/").status_code == 404
    assert client.get("/api/v1/briefs/-1/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.title, theirs.status) == ("别人的", S.OPEN)


def test_a_pm_sees_only_assigned_briefs(pm):
    other_pm = factories.ProjectManagerFactory().user
    mine = factories.BriefFactory(pm=pm)
    theirs = factories.BriefFactory(pm=other_pm)
    client = client_for(pm)
    assert [b["id"] for b in client.get("/api/v1/briefs/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/briefs/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/briefs/{mine.pk}/").status_code == 200
    # A PM reads the brief but does not edit the startup's text.
    assert client.patch(f"/api/v1/briefs/{mine.pk}/", {"title": "x"}).status_code == 403


def test_api_patch_edits_and_a_stale_version_is_a_409(startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    client = client_for(startup.owner)
    ok = client.patch(f"/api/v1/briefs/{brief.pk}/", {"title": "新标题", "version": 1})
    assert ok.status_code == 200
    assert ok.json()["title"] == "新标题"
    assert ok.json()["version"] == 2
    stale = client.patch(f"/api/v1/briefs/{brief.pk}/", {"title": "旧版本", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    brief.refresh_from_db()
    assert brief.title == "新标题"


def test_api_patch_refused_once_not_editable(startup):
    brief = factories.BriefFactory(startup=startup, status=S.IN_PROGRESS, title="原")
    response = client_for(startup.owner).patch(f"/api/v1/briefs/{brief.pk}/", {"title": "改"})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    brief.refresh_from_db()
    assert brief.title == "原"


def test_api_cancel(startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    response = client_for(startup.owner).post(
        f"/api/v1/briefs/{brief.pk}/cancel/", {"reason": "不需要了"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == S.CANCELLED
    again = client_for(startup.owner).post(f"/api/v1/briefs/{brief.pk}/cancel/")
    assert again.status_code == 409


def test_api_filters_by_status_tag_and_campaign(startup):
    campaign = factories.CampaignFactory(startup=startup, name="双十一")
    a = factories.BriefFactory(startup=startup, campaign=campaign)
    b = factories.BriefFactory(startup=startup, tag=factories.tag("naming"), status=S.CANCELLED)
    client = client_for(startup.owner)

    def ids(query):
        return {row["id"] for row in client.get("/api/v1/briefs/", query).json()["results"]}

    assert ids({"campaign": "双十一"}) == {a.pk}
    assert ids({"tag": "naming"}) == {b.pk}
    assert ids({"status": "cancelled"}) == {b.pk}
    assert client.get("/api/v1/briefs/", {"status": "bogus"}).status_code == 400


def test_briefs_of_one_campaign_share_it(startup):
    for title in ("命名", "VI"):
        brief_submit(
            startup=startup, actor=startup.owner, **_api_payload(title=title, campaign="品牌升级")
        )
    assert Campaign.objects.filter(startup=startup).count() == 1
    assert Campaign.objects.get().briefs.count() == 2


def test_api_list_query_count_stays_flat(startup, django_assert_max_num_queries):
    client = client_for(startup.owner)
    factories.BriefFactory.create_batch(2, startup=startup)
    with django_assert_max_num_queries(8) as few:
        assert client.get("/api/v1/briefs/").status_code == 200
    for brief in factories.BriefFactory.create_batch(8, startup=startup):
        factories.MatchFactory(brief=brief, status="accepted")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/briefs/")
    assert all(row["current_expert"] for row in response.json()["results"][:8])


def test_one_answer_names_every_bad_field_in_the_api_and_the_form(client, startup):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client_for(startup.owner).post(
        "/api/v1/briefs/",
        {**_api_payload(), "title": "", "tag": "no-such-tag", "deadline": past},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "tag", "deadline"}

    client.force_login(startup.owner)
    page = client.post(reverse("marketplace:brief_create"), _form(title="", deadline=past))
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"title", "deadline"}
    assert not Brief.objects.filter(startup=startup).exists()


def test_an_edit_keeps_a_deadline_that_has_passed_meanwhile(client, startup):
    brief = factories.BriefFactory(
        startup=startup, status=S.OPEN, deadline=timezone.localdate() - timedelta(days=3)
    )
    client.force_login(startup.owner)
    opened = BriefForm.initial_for(brief)
    response = client.post(
        reverse("marketplace:brief_edit", args=[brief.pk]), {**opened, "title": "新标题"}
    )
    assert response.status_code == 302
    brief.refresh_from_db()
    assert brief.title == "新标题"
    patched = client_for(startup.owner).patch(
        f"/api/v1/briefs/{brief.pk}/", {"title": "", "deadline": brief.deadline.isoformat()}
    )
    assert set(patched.json()["errors"]) == {"title"}  # the unchanged deadline is not refused


def test_the_edit_page_gives_the_date_picker_an_iso_date_in_chinese_too(client, startup):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    client.force_login(startup.owner)
    page = client.get(reverse("marketplace:brief_edit", args=[brief.pk])).content.decode()
    assert f'type="date" name="deadline" value="{brief.deadline.isoformat()}"' in page


def test_after_a_refused_form_the_language_switch_does_not_lead_to_a_form_only_address(
    client, startup
):
    brief = factories.BriefFactory(startup=startup, status=S.OPEN)
    client.force_login(startup.owner)
    url = reverse("marketplace:brief_cancel", args=[brief.pk])
    refused = client.post(url, {"reason": "x"})
    assert refused.status_code == 400
    assert f'name="next" type="hidden" value="{url}"' not in refused.content.decode()
    switched = client.post(
        reverse("set_language"),
        {"language": "en"},
        HTTP_REFERER=f"http://testserver{reverse('marketplace:brief_detail', args=[brief.pk])}",
    )
    assert switched["Location"].endswith(reverse("marketplace:brief_detail", args=[brief.pk]))
