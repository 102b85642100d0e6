"""Issue 18, point 10: what each party reads on a brief's timeline (one rule, a test per role).

The startup never reads an expert's own words on why they declined; a decline reads as a
decline, not as a re-match; the first re-match is re-match round 1. An invited expert reads
their own part of the brief; the PM reads everything.
"""

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from experts.services import expert_refresh_rank_base
from marketplace import selectors
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, BriefEvent, Match
from projects import services
from projects.models import RematchJob
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

S = Brief.Status
M = Match.Status
PRIVATE = "家里有事，不便说明"
NOTE_A = "十年科技文案经验"
NOTE_B = "作品集最贴近"
CANCEL_WORDS = "预算被砍了"
NEW_CANDIDATES = "邀请已结束，已找到新的候选。"


@pytest.fixture(autouse=True)
def _round_of_five(settings):
    settings.KAIGAN_MATCH_ROUND_SIZE = 5


def _expert(name, rating=0):
    expert = factories.ExpertFactory(
        display_name=name, rating_sum=rating * 10, rating_count=10 if rating else 0
    )
    return expert_refresh_rank_base(expert_id=expert.pk)


def _rematch(brief):
    job = RematchJob.objects.filter(brief=brief).order_by("-pk").first()
    services.rematch_run(job_id=job.pk)


@pytest.fixture
def story(pm):
    """A declines with private words; B (withdrawn by A's approval) comes back and works; the
    startup is not satisfied; C comes back; the PM adds a newcomer D by hand."""
    a, b, c = _expert("甲", 5), _expert("乙", 4), _expert("丙", 3)
    brief = factories.BriefFactory(pm=pm)
    BriefEvent.objects.create(brief=brief, actor=brief.startup.owner, to_status=S.OPEN)
    propose_matches(brief)
    match_a, match_b, match_c = (brief.matches.get(expert=e) for e in (a, b, c))
    marketplace_services.match_approve(match_id=match_a.pk, actor=pm, note=NOTE_A)
    declined = client_for(a.user).post(
        f"/api/v1/invitations/{match_a.pk}/decline/", {"reason": PRIVATE}
    )
    assert declined.status_code == 200
    _rematch(brief)
    marketplace_services.match_approve(match_id=match_b.pk, actor=pm, note=NOTE_B)
    services.invitation_accept(match_id=match_b.pk, user=b.user)
    services.work_deliver(brief_id=brief.pk, user=b.user)
    services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="quality")
    _rematch(brief)
    _expert("丁", 5)
    assert marketplace_services.brief_add_candidates(brief_id=brief.pk, actor=pm)
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL
    return SimpleNamespace(brief=brief, pm=pm, a=a, b=b, c=c, match_c=match_c)


def _entries(html: str) -> list[tuple[str, str]]:
    """(label, reason) of each entry of the page's timeline."""
    section = html[html.index('<ol class="timeline">') :]
    section = section[: section.index("</ol>")]
    out = []
    for item in section.split("<li>")[1:]:
        label = strip_tags(item[item.index("<span") : item.index("</span>")]).strip()
        after = item[item.index("</time>") + len("</time>") :]
        out.append((label, strip_tags(after).strip()))
    return out


def test_the_startup_reads_a_decline_as_a_decline_without_the_experts_words(client, story):
    client.force_login(story.brief.startup.owner)
    html = client.get(reverse("marketplace:brief_detail", args=[story.brief.pk])).content.decode()

    assert PRIVATE not in html
    assert _entries(html) == [
        ("待匹配", ""),
        ("待项目经理审核", ""),
        ("待专家确认", NOTE_A),
        ("专家已拒绝", ""),
        ("待项目经理审核", NEW_CANDIDATES),
        ("待专家确认", NOTE_B),
        ("进行中", ""),
        ("已交付", ""),
        ("重新匹配中", "工作质量"),
        ("待项目经理审核", "第 1 轮重新匹配"),
        # The PM's "newer candidates" is their own record, not a change of the brief's status.
    ]


def test_the_expert_who_declined_reads_their_own_part_with_their_own_words(client, story):
    client.force_login(story.a.user)
    page = client.get(reverse("projects:expert_brief_timeline", args=[story.brief.pk]))
    assert page.status_code == 200
    assert _entries(page.content.decode()) == [
        ("待专家确认", NOTE_A),
        ("专家已拒绝", PRIVATE),
    ]
    dashboard = client.get(reverse("experts:dashboard")).content.decode()
    assert reverse("projects:expert_brief_timeline", args=[story.brief.pk]) not in dashboard


def test_the_next_expert_reads_from_their_invitation_to_their_replacement(client, story):
    client.force_login(story.b.user)
    url = reverse("projects:expert_brief_timeline", args=[story.brief.pk])
    assert url in client.get(reverse("experts:dashboard")).content.decode()
    html = client.get(url).content.decode()
    assert PRIVATE not in html
    assert NOTE_A not in html
    assert _entries(html) == [
        ("待专家确认", NOTE_B),
        ("进行中", ""),
        ("已交付", ""),
        ("重新匹配中", "工作质量"),
    ]


def test_the_pm_reads_every_event_and_every_reason(client, story):
    client.force_login(story.pm)
    html = client.get(
        reverse("admin:marketplace_brief_change", args=[story.brief.pk])
    ).content.decode()
    for text in (
        PRIVATE,
        NOTE_A,
        NOTE_B,
        NEW_CANDIDATES,
        "第 1 轮重新匹配",
        "项目经理补充了新的候选（1 位）：丁。",
    ):
        assert text in html
    assert "第 2 轮重新匹配" not in html
    entries = selectors.brief_timeline_for(brief=story.brief, user=story.pm)
    assert len(entries) == BriefEvent.objects.filter(brief=story.brief).count() == 11


@pytest.mark.parametrize("who", ["proposed_only", "other_expert", "other_startup", "stranger_pm"])
def test_nobody_else_reads_the_timeline(client, story, who):
    people = {
        "proposed_only": story.c.user,  # proposed (again), never invited
        "other_expert": _expert("戊").user,
        "other_startup": factories.StartupFactory().owner,
        "stranger_pm": factories.ProjectManagerFactory().user,
    }
    user = people[who]
    client.force_login(user)
    assert selectors.brief_timeline_for(brief=story.brief, user=user) == []
    if user.role == "expert":
        url = reverse("projects:expert_brief_timeline", args=[story.brief.pk])
        assert client.get(url).status_code == 404
    elif user.role == "startup":
        url = reverse("marketplace:brief_detail", args=[story.brief.pk])
        assert client.get(url).status_code == 404


def test_the_expert_page_is_for_signed_in_experts_only(client, story):
    url = reverse("projects:expert_brief_timeline", args=[story.brief.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(story.brief.startup.owner)
    assert client.get(url).status_code == 404


def test_rows_written_before_the_rule_read_right(client, pm):
    """As rows were written before: an expert's decline stored with their words as the reason
    (no key), and every later round called a re-match round, numbered one too high. The
    startup's page reads them right."""
    brief = factories.BriefFactory(pm=pm, status=S.AWAITING_APPROVAL)
    expert = _expert("己")
    owner = brief.startup.owner
    before = ""
    for to, actor, text, key, params in [
        (S.OPEN, owner, "", "", {}),
        (S.AWAITING_APPROVAL, None, "", "", {}),
        (S.AWAITING_EXPERT, pm, NOTE_A, "", {}),
        (S.REMATCHING, expert.user, PRIVATE, "", {}),
        (S.AWAITING_APPROVAL, None, "第 2 轮重新匹配", "rematch_round", {"n": 2}),
        (S.AWAITING_EXPERT, pm, NOTE_B, "", {}),
        (S.IN_PROGRESS, None, "", "", {}),
        (S.REMATCHING, owner, "工作质量", "feedback", {"code": "quality"}),
        (S.AWAITING_APPROVAL, None, "第 3 轮重新匹配", "rematch_round", {"n": 3}),
        (S.CANCELLED, owner, CANCEL_WORDS, "", {}),
    ]:
        BriefEvent.objects.create(
            brief=brief,
            actor=actor,
            from_status=before,
            to_status=to,
            reason=text,
            reason_key=key,
            reason_params=params,
        )
        before = to
    client.force_login(owner)
    html = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert PRIVATE not in html
    assert _entries(html)[3:] == [
        ("专家已拒绝", ""),
        ("待项目经理审核", NEW_CANDIDATES),
        ("待专家确认", NOTE_B),
        ("进行中", ""),
        ("重新匹配中", "工作质量"),
        ("待项目经理审核", "第 1 轮重新匹配"),
        ("已取消", CANCEL_WORDS),  # the startup's own words
    ]


def test_a_decline_reads_as_a_decline_in_english_too(client, settings, story):
    client.force_login(story.brief.startup.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("marketplace:brief_detail", args=[story.brief.pk])).content.decode()
    labels = [label for label, _reason in _entries(html)]
    assert labels[3] == "Declined by expert"
    assert ("Awaiting PM approval", "Re-match round 1") in _entries(html)
    assert ("Awaiting PM approval", "New candidates, as the invitation ended.") in _entries(html)
    assert PRIVATE not in html


def test_an_expired_invitation_reads_as_such_and_a_requeued_rematch_keeps_its_number(client, pm):
    """The invitation expires: the startup reads that, then new candidates. The startup is then
    not satisfied; the job dies and the PM requeues it: its round is still re-match round 1."""
    from datetime import timedelta

    from django.utils import timezone

    first, second, third = _expert("庚", 5), _expert("辛", 4), _expert("壬", 3)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    silent = brief.matches.get(expert=first)
    marketplace_services.match_approve(match_id=silent.pk, actor=pm)
    Match.objects.filter(pk=silent.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.invitations_expire() == 1
    _rematch(brief)
    working = brief.matches.get(expert=second)
    marketplace_services.match_approve(match_id=working.pk, actor=pm)
    services.invitation_accept(match_id=working.pk, user=second.user)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    services.rematch_bury(job_id=job.pk, error="worker lost")
    services.rematch_requeue(brief_id=brief.pk, actor=pm)
    _rematch(brief)
    brief.refresh_from_db()
    assert brief.status == S.AWAITING_APPROVAL
    assert set(brief.matches.filter(status=M.PROPOSED).values_list("expert_id", flat=True)) == {
        third.pk
    }

    client.force_login(brief.startup.owner)
    entries = _entries(
        client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    )
    assert entries[2:4] == [("邀请已过期", ""), ("待项目经理审核", NEW_CANDIDATES)]
    assert entries[-1] == ("待项目经理审核", "第 1 轮重新匹配")
    stored = BriefEvent.objects.filter(brief=brief, reason_key="rematch_round").get()
    assert stored.reason_params == {"n": 1}
