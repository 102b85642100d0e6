"""Issue 7 (service level): not satisfied → a re-match job, the sweeper, the attempt cap."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from experts.models import Expert
from experts.services import expert_refresh_rank_base
from kaigan.notifications.models import Notification
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, Match
from projects import services
from projects.models import Feedback, Project, RematchJob
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

S = Brief.Status
M = Match.Status
J = RematchJob.Status


@pytest.fixture(autouse=True)
def _small_rounds(settings):
    """Two proposals a round, so a brief keeps fresh candidates for its re-matches."""
    settings.KAIGAN_MATCH_ROUND_SIZE = 2


def _experts(n, **kwargs):
    experts = [factories.ExpertFactory(**kwargs) for _ in range(n)]
    for expert in experts:
        expert_refresh_rank_base(expert_id=expert.pk)
    return experts


def _working_brief(pm, *, experts=5, stage="in_progress", startup=None):
    """A brief whose first-ranked expert is approved, and (by stage) working or delivered."""
    _experts(experts)
    brief = factories.BriefFactory(pm=pm, **({"startup": startup} if startup else {}))
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm)
    if stage in ("in_progress", "delivered"):
        services.invitation_accept(match_id=match.pk, user=match.expert.user)
    if stage == "delivered":
        services.work_deliver(brief_id=brief.pk, user=match.expert.user)
    brief.refresh_from_db()
    match.refresh_from_db()
    return brief, match


@pytest.mark.parametrize("stage", ["awaiting_expert", "in_progress", "delivered"])
def test_dissatisfaction_replaces_the_expert_and_writes_a_job_in_one_go(
    pm, stage, django_capture_on_commit_callbacks
):
    brief, match = _working_brief(pm, stage=stage)
    client = client_for(brief.startup.owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"/api/v1/briefs/{brief.pk}/dissatisfaction/",
            {"reason": "quality", "comment": "稿子太空泛"},
        )
    assert response.status_code == 202
    body = response.json()
    job = RematchJob.objects.get(brief=brief)
    assert (body["id"], body["status"], body["cause"]) == (job.pk, J.PENDING, "dissatisfaction")
    assert body["brief"]["status"] == S.REMATCHING
    assert body["brief"]["rematch_started_at"] is not None
    promised = brief.__class__.objects.get(pk=brief.pk).rematch_promised_by
    assert datetime.fromisoformat(body["promised_by"]) == promised
    assert promised - timezone.now() > timedelta(hours=47)
    match.refresh_from_db()
    assert match.status == M.REPLACED
    feedback = Feedback.objects.get(brief=brief, kind="dissatisfaction")
    assert (feedback.reason, feedback.comment, feedback.counts_against_expert) == (
        "quality",
        "稿子太空泛",
        True,
    )
    expert = Expert.objects.get(pk=match.expert_id)
    assert (expert.active_load, expert.pending_invitations) == (0, 0)
    if stage != "awaiting_expert":
        assert Project.objects.get(match=match).status == Project.Status.REPLACED
    # Nothing was ranked yet: the message leaves only after the commit.
    assert brief.matches.filter(round=2).count() == 0
    assert len(callbacks) >= 1
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    brief.refresh_from_db()
    assert job.status == J.DONE
    assert brief.status == S.AWAITING_APPROVAL
    new_experts = set(brief.matches.filter(round=2).values_list("expert_id", flat=True))
    assert new_experts
    assert match.expert_id not in new_experts
    assert brief.rematch_count == 1


@pytest.mark.parametrize(
    ("reason", "counts"),
    [("fit", False), ("brief_unclear", False), ("communication", True), ("deadline", True)],
)
def test_fit_and_unclear_brief_do_not_count_against_the_expert(pm, reason, counts):
    brief, _ = _working_brief(pm)
    services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason=reason)
    assert Feedback.objects.get(brief=brief).counts_against_expert is counts


@pytest.mark.parametrize("status", [S.OPEN, S.AWAITING_APPROVAL, S.COMPLETED, S.CANCELLED])
def test_dissatisfaction_refused_outside_the_allowed_statuses(startup, status):
    brief = factories.BriefFactory(startup=startup, status=status)
    response = client_for(startup.owner).post(
        f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "quality"}
    )
    assert response.status_code == 409
    assert not RematchJob.objects.exists()
    assert not Feedback.objects.exists()


def test_dissatisfaction_bad_input_and_other_tenants(pm):
    brief, match = _working_brief(pm)
    owner = client_for(brief.startup.owner)
    bad = owner.post(f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "vibes"})
    assert bad.status_code == 400
    assert "reason" in bad.json()["errors"]
    long = owner.post(
        f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "fit", "comment": "x" * 2001}
    )
    assert long.status_code == 400
    for user in (factories.StartupFactory().owner, match.expert.user):
        response = client_for(user).post(
            f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "quality"}
        )
        assert response.status_code in (403, 404)
    brief.refresh_from_db()
    assert brief.status == S.IN_PROGRESS
    assert not RematchJob.objects.exists()


def test_a_second_complaint_while_rematching_is_a_conflict(pm):
    brief, _ = _working_brief(pm)
    owner = client_for(brief.startup.owner)
    assert (
        owner.post(f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "fit"}).status_code
        == 202
    )
    again = owner.post(f"/api/v1/briefs/{brief.pk}/dissatisfaction/", {"reason": "fit"})
    assert again.status_code == 409
    assert RematchJob.objects.filter(brief=brief).count() == 1


def test_an_expert_the_startup_was_dissatisfied_with_is_never_proposed_to_it_again(pm):
    startup = factories.StartupFactory()
    brief, match = _working_brief(pm, experts=4, startup=startup)
    services.dissatisfaction_submit(brief_id=brief.pk, user=startup.owner, reason="quality")
    later = factories.BriefFactory(startup=startup, pm=pm)
    propose_matches(later)
    assert match.expert_id not in set(later.matches.values_list("expert_id", flat=True))
    other = factories.BriefFactory(pm=pm)  # another startup may still get them
    propose_matches(other)
    assert match.expert_id in set(other.matches.values_list("expert_id", flat=True))


def test_rerunning_a_job_makes_no_second_round(pm):
    brief, _ = _working_brief(pm)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    assert services.rematch_run(job_id=job.pk) == J.DONE
    assert services.rematch_run(job_id=job.pk) == "not_claimed"
    brief.refresh_from_db()
    assert brief.match_round == 2
    assert brief.matches.filter(round=2).count() == 2


def test_no_candidate_left_needs_attention_and_the_pm_is_told(pm):
    brief, _ = _working_brief(pm, experts=1)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    assert services.rematch_run(job_id=job.pk) == J.NO_CANDIDATES
    brief.refresh_from_db()
    assert brief.status == S.NEEDS_ATTENTION
    assert Notification.objects.filter(recipient=pm, kind="brief_needs_attention").exists()


def test_sweeper_republishes_a_job_whose_message_was_lost(pm, django_capture_on_commit_callbacks):
    brief, _ = _working_brief(pm)
    with django_capture_on_commit_callbacks(execute=False):  # the message is "lost"
        job = services.dissatisfaction_submit(
            brief_id=brief.pk, user=brief.startup.owner, reason="fit"
        )
    assert services.rematch_sweep()["republished"] == []  # still within its grace period
    later = timezone.now() + timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.rematch_sweep(now=later)
    assert (outcome["republished"], outcome["dead"]) == ([job.pk], [])
    job.refresh_from_db()
    assert job.status == J.DONE


def test_sweeper_buries_a_job_out_of_attempts_and_tells_the_pm(pm):
    brief, _ = _working_brief(pm)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    RematchJob.objects.filter(pk=job.pk).update(
        status=J.RUNNING, attempts=3, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.rematch_claim(job_id=job.pk) is False
    outcome = services.rematch_sweep()
    assert (outcome["republished"], outcome["dead"]) == ([], [job.pk])
    job.refresh_from_db()
    brief.refresh_from_db()
    assert job.status == J.DEAD
    assert brief.status == S.NEEDS_ATTENTION
    assert Notification.objects.filter(recipient=pm, kind="rematch_dead").count() == 1


def test_pm_requeues_from_the_admin(client, pm, django_capture_on_commit_callbacks):
    brief, _ = _working_brief(pm, experts=4)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    RematchJob.objects.filter(pk=job.pk).update(status=J.RUNNING, attempts=3)
    services.rematch_bury(job_id=job.pk)
    client.force_login(pm)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:projects_rematchjob_changelist"),
            {"action": "requeue", "_selected_action": [job.pk]},
        )
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL
    requeued = RematchJob.objects.filter(brief=brief).exclude(pk=job.pk).get()
    assert (requeued.cause, requeued.status) == (RematchJob.Cause.REQUEUE, J.DONE)


def test_a_running_job_with_a_live_lease_is_not_taken_twice(pm):
    brief, _ = _working_brief(pm)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    assert services.rematch_claim(job_id=job.pk) is True
    assert services.rematch_claim(job_id=job.pk) is False
    assert services.rematch_lease_left(job_id=job.pk) > 60
    later = timezone.now() + timedelta(seconds=300)
    assert services.rematch_claim(job_id=job.pk, now=later) is True
    job.refresh_from_db()
    assert job.attempts == 2


def test_rematch_count_is_shown_to_the_pm(client, pm):
    brief, _ = _working_brief(pm)
    services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    client.force_login(pm)
    response = client.get(reverse("admin:marketplace_brief_changelist"))
    row = response.context["cl"].result_list[0]
    assert (row.pk, row.rematch_count) == (brief.pk, 1)
    assert "h left" in response.content.decode() or "小时" in response.content.decode()


# --- browser ---------------------------------------------------------------------------------


def test_startup_says_not_satisfied_in_the_browser_and_sees_the_promise(
    client, pm, django_capture_on_commit_callbacks
):
    brief, match = _working_brief(pm)
    client.force_login(brief.startup.owner)
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert reverse("projects:brief_not_satisfied", args=[brief.pk]) in page
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("projects:brief_not_satisfied", args=[brief.pk]),
            {"reason": "communication", "comment": "回复太慢"},
        )
    assert response.status_code == 302
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk]))
    html = page.content.decode()
    brief.refresh_from_db()
    assert brief.status == S.REMATCHING
    assert 'class="card notice rematch-banner"' in html
    assert timezone.localtime(brief.rematch_promised_by).strftime("%Y-%m-%d %H:%M") in html


def test_not_satisfied_form_without_a_reason_shows_the_form_again(client, pm):
    brief, _ = _working_brief(pm)
    client.force_login(brief.startup.owner)
    response = client.post(
        reverse("projects:brief_not_satisfied", args=[brief.pk]), {"comment": "保留这段话"}
    )
    assert response.status_code == 400
    assert "reason" in response.context["dissatisfaction_form"].errors
    assert "保留这段话" in response.content.decode()
    brief.refresh_from_db()
    assert brief.status == S.IN_PROGRESS


@pytest.mark.parametrize("cause", ["dissatisfaction", "decline", "expiry"])
def test_the_rematch_message_leaves_before_any_notification_email(
    pm, cause, mailoutbox, django_capture_on_commit_callbacks
):
    """Every way into re-matching publishes the job first: e-mail never delays a re-match."""
    stage = "in_progress" if cause == "dissatisfaction" else "awaiting_expert"
    brief, match = _working_brief(pm, stage=stage)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        if cause == "dissatisfaction":
            services.dissatisfaction_submit(
                brief_id=brief.pk, user=brief.startup.owner, reason="fit", comment=""
            )
        elif cause == "decline":
            services.invitation_decline(match_id=match.pk, user=match.expert.user)
        else:
            Match.objects.filter(pk=match.pk).update(expires_at=timezone.now())
            assert services.invitations_expire() == 1
    job = RematchJob.objects.get(brief=brief)
    assert job.cause == cause
    assert len(callbacks) >= 2  # the job's message and at least one notification e-mail

    callbacks[0]()  # eager Celery: the first message runs at once

    job.refresh_from_db()
    assert job.status == J.DONE
    assert mailoutbox == []
    for callback in callbacks[1:]:
        callback()
    assert mailoutbox


def test_the_platforms_reasons_are_written_in_each_readers_language(client, settings, pm):
    """A startup on the English site says 'not the right fit': the Chinese page (and the PM's
    admin) read it in Chinese, the English page in English; the replaced match's decision is
    stored in the site's language, not as the code."""
    brief, match = _working_brief(pm)
    owner = brief.startup.owner
    english = client_for(owner)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert (
        english.post(
            f"/api/v1/briefs/{brief.pk}/dissatisfaction/",
            {"reason": "fit"},
            HTTP_ACCEPT_LANGUAGE="en",
        ).status_code
        == 202
    )
    services.rematch_run(job_id=RematchJob.objects.get(brief=brief).pk)

    page = reverse("marketplace:brief_detail", args=[brief.pk])
    client.force_login(owner)
    chinese = client.get(page).content.decode()
    assert "<p>不太合适</p>" in chinese
    assert "<p>第 1 轮重新匹配</p>" in chinese
    assert "Not the right fit" not in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    in_english = client.get(page).content.decode()
    assert "<p>Not the right fit</p>" in in_english
    assert "<p>Re-match round 1</p>" in in_english

    match.refresh_from_db()
    assert match.decision_reason == "不太合适"  # was the code "fit"
    # The PM approves one of the new round: the other is withdrawn, for a reason of the platform.
    new = brief.matches.filter(status=M.PROPOSED).order_by("rank").first()
    marketplace_services.match_approve(match_id=new.pk, actor=pm)
    client.force_login(pm)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    admin_page = client.get(reverse("admin:marketplace_brief_change", args=[brief.pk]))
    assert "第 1 轮重新匹配" in admin_page.content.decode()
    assert "已批准了另一位专家。" in admin_page.content.decode()  # the round-2 withdrawal
    # A PM on the English admin reads the matches' ends in English, not as stored.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english_admin = client.get(reverse("admin:marketplace_brief_change", args=[brief.pk]))
    html = english_admin.content.decode()
    assert "Not the right fit" in html
    assert "Another expert was approved." in html
    assert "不太合适" not in html
    assert "已批准了另一位专家" not in html


def _promise_column(client, brief) -> str:
    """The admin list's "re-match promise" cell of the brief's row, as text."""
    from django.utils.html import strip_tags

    listing = client.get(reverse("admin:marketplace_brief_changelist")).content.decode()
    row = listing[listing.index(f"/admin/marketplace/brief/{brief.pk}/change/") :]
    cell = row[row.index('class="field-promise"') :]
    return strip_tags(cell[cell.index(">") + 1 : cell.index("</td>")]).strip()


def test_the_promise_stays_in_sight_until_a_pm_approves_someone_new(client, pm):
    brief, _ = _working_brief(pm)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    services.rematch_run(job_id=job.pk)
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL  # found, not yet approved: the promise is open
    page = reverse("marketplace:brief_detail", args=[brief.pk])
    promised = timezone.localtime(brief.rematch_promised_by).strftime("%Y-%m-%d %H:%M")

    client.force_login(brief.startup.owner)
    html = client.get(page).content.decode()
    assert "找到了新的候选人" in html
    assert promised in html
    client.force_login(pm)
    assert "小时" in _promise_column(client, brief)

    new = brief.matches.filter(status=M.PROPOSED).order_by("rank").first()
    marketplace_services.match_approve(match_id=new.pk, actor=pm)  # the promise is kept
    client.force_login(brief.startup.owner)
    assert 'class="card notice rematch-banner"' not in client.get(page).content.decode()
    client.force_login(pm)
    assert _promise_column(client, brief) == "—"


def test_a_brief_with_nobody_left_reads_as_the_pms_job_to_the_startup(client, pm):
    brief, _ = _working_brief(pm, experts=1)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    services.rematch_run(job_id=job.pk)
    brief.refresh_from_db()
    assert brief.status == S.NEEDS_ATTENTION
    client.force_login(brief.startup.owner)
    html = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert "需要处理" not in html
    assert '<span class="badge status-needs_attention">项目经理处理中</span>' in html
    assert "项目经理正在为你手动寻找新人选" in html  # and the promise still stands
    listing = client.get(reverse("marketplace:brief_list")).content.decode()
    assert "项目经理处理中" in listing
    assert "需要处理" not in listing


def test_the_replaced_expert_keeps_the_engagement_in_their_history(client, pm):
    brief, match = _working_brief(pm)
    services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="quality")
    client.force_login(match.expert.user)
    page = client.get(reverse("experts:dashboard")).content.decode()
    engagements = page[page.index("<h2>我的项目</h2>") :]
    assert brief.title in engagements
    assert '<span class="badge status-replaced">已更换</span>' in engagements
    assert "标记为已交付" not in engagements  # nothing left to do on it
