"""Issue 6: PMs approve in the admin and the API; experts accept, decline, deliver; rating."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from experts.models import Expert
from experts.services import expert_refresh_rank_base
from kaigan.errors import ApplicationError, Conflict, InvalidTransition
from kaigan.notifications.models import Notification
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, Match
from projects import services
from projects.models import Feedback, Project, RematchJob
from tests import factories
from tests.conftest import client_for

S = Brief.Status
M = Match.Status


def _proposed_brief(pm, startup=None, experts=3):
    """A brief with `experts` ranked proposals, assigned to `pm`."""
    pool = [factories.ExpertFactory(day_rate=1000 + 100 * i) for i in range(experts)]
    for expert in pool:
        expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(pm=pm, **({"startup": startup} if startup else {}))
    propose_matches(brief)
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL
    return brief


def _first(brief) -> Match:
    return brief.matches.order_by("rank").first()


# --- admin -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_queue_shows_a_pm_only_their_briefs(client, pm, superuser):
    mine = factories.BriefFactory(pm=pm)
    theirs = factories.BriefFactory(pm=factories.ProjectManagerFactory().user)
    url = reverse("admin:marketplace_brief_changelist")
    client.force_login(pm)
    assert {b.pk for b in client.get(url).context["cl"].result_list} == {mine.pk}
    assert (
        client.get(reverse("admin:marketplace_brief_change", args=[theirs.pk])).status_code == 302
    )  # the admin answers "not found" by redirecting to the index
    client.force_login(superuser)
    assert {b.pk for b in client.get(url).context["cl"].result_list} == {mine.pk, theirs.pk}


@pytest.mark.django_db
def test_admin_queue_filters_by_status(client, pm):
    a = factories.BriefFactory(pm=pm, status=S.NEEDS_ATTENTION)
    factories.BriefFactory(pm=pm, status=S.OPEN)
    client.force_login(pm)
    response = client.get(
        reverse("admin:marketplace_brief_changelist"), {"status__exact": "needs_attention"}
    )
    assert [b.pk for b in response.context["cl"].result_list] == [a.pk]


@pytest.mark.django_db
def test_brief_page_shows_ranked_proposals_with_reasons(client, pm):
    brief = _proposed_brief(pm)
    client.force_login(pm)
    html = client.get(reverse("admin:marketplace_brief_change", args=[brief.pk])).content.decode()
    for match in brief.matches.select_related("expert"):
        assert match.expert.display_name in html
        assert reverse("admin:experts_expert_change", args=[match.expert_id]) in html
        assert reverse("admin:marketplace_match_approve", args=[match.pk]) in html
        assert f"¥{match.expert.day_rate}" in html
    assert "贝叶斯" in html or "Bayesian" in html
    assert "审计记录" in html or "Audit history" in html


@pytest.mark.django_db
def test_pm_approves_in_the_admin_with_a_note(client, pm):
    brief = _proposed_brief(pm)
    match = _first(brief)
    client.force_login(pm)
    url = reverse("admin:marketplace_match_approve", args=[match.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "写过三篇同类稿件"})
    assert response.status_code == 302
    match.refresh_from_db()
    brief.refresh_from_db()
    assert match.status == M.APPROVED
    assert match.pm_note == "写过三篇同类稿件"
    assert match.expires_at is not None
    assert brief.status == S.AWAITING_EXPERT
    assert set(brief.matches.exclude(pk=match.pk).values_list("status", flat=True)) == {M.WITHDRAWN}
    assert Notification.objects.filter(recipient=match.expert.user, kind="invitation_received")
    assert Notification.objects.filter(recipient=brief.startup.owner, kind="match_approved")
    assert Expert.objects.get(pk=match.expert_id).pending_invitations == 1


@pytest.mark.django_db
def test_admin_refuses_a_second_approval_with_a_message(client, pm):
    brief = _proposed_brief(pm)
    first, second = brief.matches.order_by("rank")[:2]
    client.force_login(pm)
    client.post(reverse("admin:marketplace_match_approve", args=[first.pk]), {"note": ""})
    response = client.post(
        reverse("admin:marketplace_match_approve", args=[second.pk]), {"note": ""}, follow=True
    )
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    second.refresh_from_db()
    assert second.status == M.WITHDRAWN


@pytest.mark.django_db
def test_admin_reject_action_with_reason_and_none_left_needs_attention(client, pm):
    brief = _proposed_brief(pm, experts=2)
    ids = list(brief.matches.values_list("pk", flat=True))
    client.force_login(pm)
    url = reverse("admin:marketplace_match_changelist")
    confirm = client.post(url, {"action": "reject_selected", "_selected_action": ids})
    assert confirm.status_code == 200  # the page that asks for the reason
    client.post(
        url,
        {"action": "reject_selected", "_selected_action": ids, "apply": "1", "reason": "风格不符"},
    )
    assert set(brief.matches.values_list("status", "decision_reason")) == {(M.REJECTED, "风格不符")}
    brief.refresh_from_db()
    assert brief.status == S.NEEDS_ATTENTION


@pytest.mark.django_db
def test_admin_approve_action_reports_each_outcome(client, pm):
    brief = _proposed_brief(pm, experts=2)
    ids = list(brief.matches.order_by("rank").values_list("pk", flat=True))
    client.force_login(pm)
    response = client.post(
        reverse("admin:marketplace_match_changelist"),
        {"action": "approve_selected", "_selected_action": ids},
        follow=True,
    )
    levels = sorted(m.level_tag for m in response.context["messages"])
    assert levels == ["error", "success"]
    assert list(brief.matches.order_by("rank").values_list("status", flat=True)) == [
        M.APPROVED,
        M.WITHDRAWN,
    ]


@pytest.mark.django_db
def test_rerun_and_pick_by_hand_when_the_brief_needs_attention(client, pm):
    brief = factories.BriefFactory(pm=pm, status=S.NEEDS_ATTENTION)
    client.force_login(pm)
    client.post(reverse("admin:marketplace_brief_rerun", args=[brief.pk]))
    brief.refresh_from_db()
    assert brief.status == S.NEEDS_ATTENTION  # still nobody
    newcomer = factories.ExpertFactory()
    response = client.post(
        reverse("admin:marketplace_brief_pick", args=[brief.pk]),
        {"expert": newcomer.pk, "note": "新人,作品集很强"},
    )
    assert response.status_code == 302
    brief.refresh_from_db()
    match = brief.matches.get()
    assert (match.expert, match.status, match.pm_note) == (newcomer, M.APPROVED, "新人,作品集很强")
    assert brief.status == S.AWAITING_EXPERT


@pytest.mark.django_db
def test_pick_by_hand_says_why_no_expert_is_left(client, pm):
    brief = _proposed_brief(pm, experts=2)  # both copywriters proposed already
    factories.ExpertFactory(availability="paused")  # paused: not listed either
    client.force_login(pm)
    response = client.get(reverse("admin:marketplace_brief_pick", args=[brief.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "没有可指定的专家" in page
    assert "（共 2 位）" in page
    assert 'class="default"' not in page  # nothing to approve: no button that would fail


@pytest.mark.django_db
def test_the_admins_messages_and_empty_choices_are_in_chinese(client, pm):
    brief = _proposed_brief(pm, experts=1)
    client.force_login(pm)
    response = client.post(
        reverse("admin:marketplace_match_changelist"),
        {"action": "approve_selected", "_selected_action": [_first(brief).pk]},
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    assert message.endswith("：已完成")
    changelist = client.get(reverse("admin:marketplace_match_changelist")).content.decode()
    assert "- 请选择 -" in changelist
    assert "Select an option" not in changelist


@pytest.mark.django_db
def test_pm_dashboard(client, pm):
    factories.BriefFactory(pm=pm, status=S.NEEDS_ATTENTION, title="等得最久")
    factories.BriefFactory(pm=factories.ProjectManagerFactory().user, title="别人的")
    client.force_login(pm)
    response = client.get(reverse("admin:marketplace_brief_dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "等得最久" in html
    assert "别人的" not in html
    assert {s: n for s, _, n in response.context["by_status"]}["needs_attention"] == 1


@pytest.mark.django_db
def test_pms_cannot_delete_business_records(client, pm):
    brief = factories.BriefFactory(pm=pm)
    client.force_login(pm)
    url = reverse("admin:marketplace_brief_delete", args=[brief.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Brief.objects.filter(pk=brief.pk).exists()


# --- API: approve and reject -----------------------------------------------------------------


@pytest.mark.django_db
def test_api_approve_and_reject(pm):
    brief = _proposed_brief(pm)
    first, second, third = brief.matches.order_by("rank")
    client = client_for(pm)
    rejected = client.post(f"/api/v1/matches/{third.pk}/reject/", {"reason": "档期冲突"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == M.REJECTED
    approved = client.post(f"/api/v1/matches/{first.pk}/approve/", {"note": "最合适"})
    assert approved.status_code == 200
    assert approved.json()["status"] == M.APPROVED
    assert approved.json()["pm_note"] == "最合适"
    again = client.post(f"/api/v1/matches/{second.pk}/approve/")
    assert again.status_code == 409
    second.refresh_from_db()
    assert second.status == M.WITHDRAWN


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_pm", "startup", "expert"])
def test_api_approve_refused_to_others_with_nothing_changed(pm, who):
    brief = _proposed_brief(pm)
    match = _first(brief)
    user = {
        "other_pm": factories.ProjectManagerFactory().user,
        "startup": brief.startup.owner,
        "expert": match.expert.user,
    }[who]
    response = client_for(user).post(f"/api/v1/matches/{match.pk}/approve/")
    assert response.status_code == 404
    match.refresh_from_db()
    assert match.status == M.PROPOSED


@pytest.mark.django_db
def test_matches_endpoint_shows_the_startup_only_approved_ones(pm):
    brief = _proposed_brief(pm)
    owner = client_for(brief.startup.owner)
    assert owner.get(f"/api/v1/briefs/{brief.pk}/matches/").json()["results"] == []
    pm_view = client_for(pm).get(f"/api/v1/briefs/{brief.pk}/matches/").json()["results"]
    assert [m["rank"] for m in pm_view] == [1, 2, 3]
    assert set(pm_view[0]) >= {"id", "status", "rank", "score", "breakdown", "expert"}
    marketplace_services.match_approve(match_id=pm_view[0]["id"], actor=pm)
    visible = owner.get(f"/api/v1/briefs/{brief.pk}/matches/").json()["results"]
    assert [(m["id"], m["status"]) for m in visible] == [(pm_view[0]["id"], M.APPROVED)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_of_one_brief_let_exactly_one_win(pm):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    brief = _proposed_brief(pm, experts=4)
    ids = list(brief.matches.values_list("pk", flat=True))
    barrier = threading.Barrier(len(ids))
    outcomes = []

    def approve(match_id):
        try:
            barrier.wait()
            marketplace_services.match_approve(match_id=match_id, actor=pm)
            outcomes.append("won")
        except (Conflict, InvalidTransition):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * (len(ids) - 1) + ["won"]
    assert brief.matches.filter(status=M.APPROVED).count() == 1
    assert brief.matches.filter(status=M.WITHDRAWN).count() == len(ids) - 1


# --- the expert side -------------------------------------------------------------------------


def _invited(pm):
    brief = _proposed_brief(pm)
    match = _first(brief)
    marketplace_services.match_approve(match_id=match.pk, actor=pm, note="很合适")
    match.refresh_from_db()
    return brief, match


@pytest.mark.django_db
def test_expert_sees_and_accepts_an_invitation(pm):
    brief, match = _invited(pm)
    client = client_for(match.expert.user)
    listed = client.get("/api/v1/invitations/").json()["results"]
    assert [(i["id"], i["status"], i["pm_note"]) for i in listed] == [
        (match.pk, M.APPROVED, "很合适")
    ]
    assert listed[0]["brief"]["title"] == brief.title
    response = client.post(f"/api/v1/invitations/{match.pk}/accept/")
    assert response.status_code == 200
    brief.refresh_from_db()
    expert = Expert.objects.get(pk=match.expert_id)
    assert brief.status == S.IN_PROGRESS
    assert (expert.active_load, expert.pending_invitations) == (1, 0)
    project = Project.objects.get(match=match)
    assert (project.brief, project.status) == (brief, Project.Status.ACTIVE)
    assert client_for(brief.startup.owner).get(f"/api/v1/briefs/{brief.pk}/").json()[
        "current_expert"
    ] == {"id": expert.pk, "display_name": expert.display_name, "tag": "copywriting"}


@pytest.mark.django_db
def test_invitation_of_another_expert_is_a_404(pm):
    _, match = _invited(pm)
    other = factories.ExpertFactory()
    response = client_for(other.user).post(f"/api/v1/invitations/{match.pk}/accept/")
    assert response.status_code == 404
    match.refresh_from_db()
    assert match.status == M.APPROVED


@pytest.mark.django_db
def test_an_expired_invitation_cannot_be_accepted(pm):
    _, match = _invited(pm)
    Match.objects.filter(pk=match.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client_for(match.expert.user).post(f"/api/v1/invitations/{match.pk}/accept/")
    assert response.status_code == 409
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_an_expert_at_capacity_cannot_accept(pm):
    _, match = _invited(pm)
    Expert.objects.filter(pk=match.expert_id).update(capacity=1, active_load=1)
    response = client_for(match.expert.user).post(f"/api/v1/invitations/{match.pk}/accept/")
    assert response.status_code == 409
    assert Expert.objects.get(pk=match.expert_id).active_load == 1
    match.refresh_from_db()
    assert match.status == M.APPROVED


@pytest.mark.django_db
def test_decline_sends_the_brief_back_to_matching_without_that_expert(
    pm, django_capture_on_commit_callbacks
):
    brief, match = _invited(pm)
    withdrawn = list(brief.matches.filter(status=M.WITHDRAWN).values_list("expert_id", flat=True))
    assert len(withdrawn) == 2
    spare = factories.ExpertFactory()
    expert_refresh_rank_base(expert_id=spare.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(match.expert.user).post(
            f"/api/v1/invitations/{match.pk}/decline/", {"reason": "档期满了"}
        )
    assert response.status_code == 200
    match.refresh_from_db()
    brief.refresh_from_db()
    assert match.status == M.DECLINED
    job = RematchJob.objects.get(brief=brief)
    assert (job.cause, job.status) == (RematchJob.Cause.DECLINE, RematchJob.Status.DONE)
    assert brief.status == S.AWAITING_APPROVAL
    # The two withdrawn when the decliner was approved were never turned down: they are back,
    # on their own rows, with the newcomer; never the expert who declined.
    new_round = brief.matches.filter(round=brief.match_round)
    assert {m.expert_id: m.status for m in new_round} == dict.fromkeys(
        [*withdrawn, spare.pk], M.PROPOSED
    )
    assert brief.matches.count() == 4  # one row per (brief, expert)


@pytest.mark.django_db
def test_expire_invitations_task(pm, django_capture_on_commit_callbacks):
    from projects.tasks import invitations_expire_task

    brief, match = _invited(pm)
    Match.objects.filter(pk=match.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_expire_task.delay().get() == 1
    match.refresh_from_db()
    brief.refresh_from_db()
    assert match.status == M.EXPIRED
    assert RematchJob.objects.get(brief=brief).cause == RematchJob.Cause.EXPIRY
    # The two withdrawn when this one was approved are proposed again; the silent one is not.
    assert brief.status == S.AWAITING_APPROVAL
    assert set(brief.matches.filter(round=2).values_list("pk", flat=True)) == set(
        brief.matches.exclude(pk=match.pk).values_list("pk", flat=True)
    )
    assert Expert.objects.get(pk=match.expert_id).pending_invitations == 0


def _fund(brief):
    """The startup pays the agreed price into escrow: the work may start (issue 21)."""
    from billing.services import fund_with_dev_provider

    fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)


@pytest.mark.django_db
def test_expert_delivers_and_startup_accepts_with_a_rating(pm):
    brief, match = _invited(pm)
    expert_client = client_for(match.expert.user)
    expert_client.post(f"/api/v1/invitations/{match.pk}/accept/")
    _fund(brief)
    stranger = factories.ExpertFactory()
    assert client_for(stranger.user).post(f"/api/v1/briefs/{brief.pk}/deliver/").status_code == 404
    assert expert_client.post(f"/api/v1/briefs/{brief.pk}/deliver/").status_code == 200
    before = Expert.objects.get(pk=match.expert_id).rank_base
    owner = client_for(brief.startup.owner)
    bad = owner.post(f"/api/v1/briefs/{brief.pk}/accept/", {"rating": 6})
    assert bad.status_code == 400
    assert "rating" in bad.json()["errors"]
    ok = owner.post(f"/api/v1/briefs/{brief.pk}/accept/", {"rating": 5, "review": "很棒"})
    assert ok.status_code == 200
    assert ok.json()["status"] == S.COMPLETED
    expert = Expert.objects.get(pk=match.expert_id)
    assert (expert.rating_count, expert.rating_sum, expert.completed_count, expert.active_load) == (
        1,
        5,
        1,
        0,
    )
    assert expert.rank_base != before
    assert Feedback.objects.get(brief=brief, kind="rating").comment == "很棒"
    match.refresh_from_db()
    assert match.status == M.COMPLETED


@pytest.mark.django_db
def test_accepting_before_delivery_is_refused(pm):
    brief, match = _invited(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    with pytest.raises(ApplicationError):
        services.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    brief.refresh_from_db()
    assert brief.status == S.IN_PROGRESS


@pytest.mark.django_db
def test_expert_dashboard_accept_and_deliver_buttons(client, pm):
    brief, match = _invited(pm)
    client.force_login(match.expert.user)
    page = client.get(reverse("experts:dashboard")).content.decode()
    assert brief.title in page
    assert "很合适" in page  # the PM's "why this match"
    client.post(reverse("projects:invitation_accept", args=[match.pk]))
    page = client.get(reverse("experts:dashboard")).content.decode()
    assert "deliver-form" not in page  # not before the brief is funded
    assert "等待付款" in page
    _fund(brief)
    client.post(reverse("projects:brief_deliver", args=[brief.pk]))
    brief.refresh_from_db()
    assert brief.status == S.DELIVERED


@pytest.mark.django_db
def test_a_decline_with_a_reason_too_long_is_refused_not_declined_without_it(client, pm):
    brief, match = _invited(pm)
    client.force_login(match.expert.user)
    url = reverse("projects:invitation_decline", args=[match.pk])
    response = client.post(url, {"reason": "不" * 501}, follow=True)
    assert any("500" in str(m) for m in response.context["messages"])
    match.refresh_from_db()
    assert match.status == M.APPROVED  # still the expert's to answer
    client.post(url, {"reason": "档期冲突"})
    match.refresh_from_db()
    assert (match.status, match.decision_reason) == (M.DECLINED, "档期冲突")


@pytest.mark.django_db
def test_the_expert_hands_over_with_a_note_the_startup_reads(client, pm):
    brief, match = _invited(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    _fund(brief)
    client.force_login(match.expert.user)
    note = "终稿见 https://pan.example.com/s/abc <script>alert(1)</script>"
    client.post(reverse("projects:brief_deliver", args=[brief.pk]), {"note": note})
    brief.refresh_from_db()
    assert brief.status == S.DELIVERED

    client.force_login(brief.startup.owner)
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert "<h3>专家交付的内容</h3>" in page
    assert 'href="https://pan.example.com/s/abc"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


@pytest.mark.django_db
def test_a_delivery_note_too_long_is_refused_and_nothing_is_delivered(pm):
    brief, match = _invited(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    _fund(brief)
    api = client_for(match.expert.user)
    too_long = api.post(f"/api/v1/briefs/{brief.pk}/deliver/", {"note": "长" * 2001})
    assert too_long.status_code == 400
    assert "note" in too_long.json()["errors"]
    brief.refresh_from_db()
    assert brief.status == S.IN_PROGRESS
    done = api.post(f"/api/v1/briefs/{brief.pk}/deliver/", {"note": "见附件链接"})
    assert done.status_code == 200
    assert Project.objects.get(match=match).delivery_note == "见附件链接"


@pytest.mark.django_db
def test_startup_accepts_and_rates_in_the_browser(client, pm):
    brief, match = _invited(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    services.work_deliver(brief_id=brief.pk, user=match.expert.user)
    client.force_login(brief.startup.owner)
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert reverse("projects:brief_accept", args=[brief.pk]) in page
    bad = client.post(reverse("projects:brief_accept", args=[brief.pk]), {"rating": 9})
    assert bad.status_code == 400
    assert "rating" in bad.context["accept_form"].errors
    client.post(reverse("projects:brief_accept", args=[brief.pk]), {"rating": 4, "review": "好"})
    brief.refresh_from_db()
    assert brief.status == S.COMPLETED

    # The completed brief still says who did the work, for what price, and the rating given.
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert "<h2>工作已完成</h2>" in page
    assert f"<dt>完成者</dt><dd>{match.expert.display_name}" in page
    assert "你的评分：4 / 5" in page
    assert "<h3>最终价格</h3>" in page
    assert 'class="price-lines quote"' in page


@pytest.mark.django_db
def test_the_startup_sees_plain_signals_not_a_prior_as_a_rating(client, pm):
    brief, match = _invited(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    client.force_login(brief.startup.owner)
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert match.expert.rating_count == 0
    assert "<dt>评分</dt><dd>暂无评分</dd>" in page  # not the ranking's prior of ~3.8
    assert "贝叶斯" not in page
    assert "匹配得分" not in page


@pytest.mark.django_db
def test_a_long_note_as_the_browser_sends_it_is_kept_and_links_read_right(client, pm):
    """Browsers count a line break as one character for maxlength and send it as two."""
    brief, match = _invited(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    _fund(brief)
    lines = ["初稿在这里：https://pan.example.com/s/abc，提取码 1234", *["修改说明" * 2] * 210]
    note = "\r\n".join(lines)
    assert len(note.replace("\r\n", "\n")) <= 2000 < len(note)
    client.force_login(match.expert.user)
    client.post(reverse("projects:brief_deliver", args=[brief.pk]), {"note": note})
    project = Project.objects.get(match=match)
    assert project.delivery_note == note.replace("\r\n", "\n")

    page = client.get(reverse("experts:dashboard")).content.decode()
    assert "你交付的内容" in page  # the expert sees what they handed over
    client.force_login(brief.startup.owner)
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    link = (
        '<a href="https://pan.example.com/s/abc" rel="nofollow noopener" target="_blank">'
        "https://pan.example.com/s/abc</a>，提取码 1234"
    )
    assert f"初稿在这里：{link}" in page
