"""Issue 9: the whole journey in a real browser (Debian's Chromium via Playwright), in
Chinese on a desktop screen and in English on a phone-width one.

Screenshots of every step go to tests/artifacts/screenshots/<language>/. Every page visited
must log no console error, fit the screen's width, and label every field.
"""

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from experts.models import Expert
from experts.services import expert_refresh_rank_base
from kaigan.celery import app as celery_app
from marketplace.models import Brief, Match
from projects import services
from projects.models import RematchJob
from tests import factories

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
PASSWORD = "a-long-enough-pass-42"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are plain synchronous calls all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Person:
    """One browser context (one person), with checks on every page it visits."""

    def __init__(self, browser, base_url, *, locale, width, shots: Path, name: str):
        self.context = browser.new_context(
            locale=locale,
            viewport={"width": width, "height": 900},
            extra_http_headers={"Accept-Language": locale},
        )
        self.page = self.context.new_page()
        self.base_url = base_url
        self.shots = shots
        self.name = name
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{self.page.url}: {msg.text}") if msg.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda exc: self.errors.append(f"{self.page.url}: {exc}"))

    def go(self, path):
        self.page.goto(self.base_url + path)
        self.check()

    def check(self):
        page = self.page
        page.wait_for_load_state("load")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{page.url} is {overflow}px wider than the screen"
        if "/admin/" not in page.url:
            unlabeled = page.evaluate(
                """() => [...document.querySelectorAll('input, select, textarea')]
                .filter(el => !['hidden', 'submit', 'button'].includes(el.type))
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                .map(el => el.name || el.id)"""
            )
            assert unlabeled == [], f"fields without a label on {page.url}: {unlabeled}"

    def shot(self, step: str):
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{step}-{self.name}.png"), full_page=True)

    def submit(self, form_selector="main form"):
        self.page.locator(f"{form_selector} button[type=submit]").first.click()
        self.page.wait_for_load_state("load")
        self.check()

    def login(self, email, password, next_path="/"):
        self.go(f"/accounts/login/?next={next_path}")
        self.page.fill("#id_login", email)
        self.page.fill("#id_password", password)
        self.submit()

    def close(self):
        self.context.close()


PRIVATE = "家里有事，不便说明"  # an expert's own words on why they declined: the PM's only


def _timeline(person) -> list[str]:
    """The timeline's entries on the person's page, as text."""
    return [" ".join(t.split()) for t in person.page.locator("ol.timeline li").all_inner_texts()]


def _journey(browser, live_server, settings, *, locale, width, language):
    settings.KAIGAN_MATCH_ROUND_SIZE = 2
    zh = language == "zh-hans"
    shots = SHOTS / language
    shutil.rmtree(shots, ignore_errors=True)
    base = live_server.url
    services.pm_create(email="pm-e2e@example.com", password=PASSWORD, name="王经理")
    people = []

    def person(name):
        p = Person(browser, base, locale=locale, width=width, shots=shots, name=name)
        people.append(p)
        return p

    try:
        # An expert signs up, fills the profile and claims the one tag.
        expert = person("expert")
        expert.go("/")
        if language == "en":
            # Chinese first: switch to English with the header's switcher.
            expert.page.goto(base + "/?stay=1")
            expert.page.locator("form.lang-switch button[value=en]").click()
            expert.page.wait_for_load_state("load")
            assert expert.page.locator("html").get_attribute("lang") == "en"
        expert.shot("01-landing")
        expert.go("/accounts/signup/?role=expert")
        expert.page.fill("#id_email", "writer@example.com")
        expert.page.fill("#id_password1", PASSWORD)
        expert.page.fill("#id_password2", PASSWORD)
        expert.shot("02-signup")
        expert.submit()
        assert expert.page.url.endswith("/expert/")
        expert.page.fill("#id_display_name", "陈文 Writer")
        expert.page.fill("#id_day_rate", "2000")
        expert.page.fill("#id_headline", "科技品牌文案")
        expert.submit("main form[method=post]:has(#id_day_rate)")
        expert.go("/expert/tag/")
        expert.page.locator("label[for=tag-copywriting]").click()
        expert.shot("03-claim-tag")
        expert.submit()
        assert Expert.objects.get(user__email="writer@example.com").tag.slug == "copywriting"
        expert.shot("04-expert-dashboard")

        # Another expert of the tag, already on the platform.
        backup = factories.ExpertFactory(display_name="赵敏 Backup", day_rate=1600)
        expert_refresh_rank_base(expert_id=backup.pk)

        # A startup signs up, completes its profile, posts a brief and follows it.
        startup = person("startup")
        if language == "en":
            startup.go("/?stay=1")
            startup.page.locator("form.lang-switch button[value=en]").click()
        startup.go("/accounts/signup/?role=startup")
        startup.page.fill("#id_email", "founder@example.com")
        startup.page.fill("#id_password1", PASSWORD)
        startup.page.fill("#id_password2", PASSWORD)
        startup.submit()
        assert startup.page.url.endswith("/briefs/")
        startup.shot("05-empty-brief-list")
        startup.go("/briefs/profile/")
        startup.page.fill("#id_company_name", "波罗蜜")
        startup.page.fill("#id_industry", "跨境电商")
        startup.page.fill("#id_city", "北京")
        startup.page.select_option("#id_stage", "angel")
        startup.submit()
        startup.go("/briefs/new/")
        startup.page.fill("#id_title", "新品发布新闻稿")
        startup.page.fill("#id_description", "面向科技媒体,介绍我们的跨境购物 App。")
        startup.page.locator("label[for=brief-tag-copywriting]").click()
        startup.page.fill("#id_budget_min", "9000")
        startup.page.fill("#id_budget_max", "6000")  # a mistake: the form comes back
        deadline = (timezone.localdate() + timedelta(days=20)).isoformat()
        startup.page.fill("#id_deadline", deadline)
        startup.submit()
        assert startup.page.locator("#id_title").input_value() == "新品发布新闻稿"
        assert startup.page.locator(".has-error #id_budget_max").count() == 1
        startup.shot("06-brief-form-error")
        startup.page.fill("#id_budget_max", "12000")
        startup.submit()
        brief = Brief.objects.get(title="新品发布新闻稿")
        assert brief.status == Brief.Status.AWAITING_APPROVAL
        assert startup.page.url.endswith(f"/briefs/{brief.pk}/")
        assert startup.page.locator("ol.timeline li").count() == 2
        startup.shot("07-brief-posted")

        # The PM logs in to the admin (through allauth) and approves one of the two proposals:
        # the other is withdrawn.
        pm = person("pm")
        pm.login("pm-e2e@example.com", PASSWORD, next_path="/admin/")
        assert "/admin/" in pm.page.url
        pm.shot("08-admin-index")
        pm.go(f"/admin/marketplace/brief/{brief.pk}/change/")
        pm.shot("09-admin-brief")
        writer_match = Match.objects.get(brief=brief, expert__user__email="writer@example.com")
        pm.page.locator("tr:has-text('赵敏 Backup') a[href$='/approve/']").click()
        pm.page.wait_for_load_state("load")
        pm.page.fill("#id_note", "档期灵活。")
        pm.page.locator("#content-main form input[type=submit]").click()
        pm.page.wait_for_load_state("load")
        brief.refresh_from_db()
        assert brief.status == Brief.Status.AWAITING_EXPERT
        writer_match.refresh_from_db()
        assert writer_match.status == Match.Status.WITHDRAWN

        # The invited expert declines, with words of their own; the brief is not stuck: the
        # withdrawn writer is proposed again, on the same row, in the next round.
        declining = person("backup-expert")
        declining.login(backup.user.email, factories.PASSWORD, next_path="/expert/")
        declining.page.locator(".invitation .decline-form input[name=reason]").fill(PRIVATE)
        declining.shot("08b-decline")
        declining.page.locator(".invitation .decline-form button").click()
        declining.page.wait_for_load_state("load")
        declining.check()
        brief.refresh_from_db()
        assert brief.status == Brief.Status.AWAITING_APPROVAL
        writer_match.refresh_from_db()
        assert (writer_match.status, writer_match.round) == (Match.Status.PROPOSED, 2)
        assert Match.objects.filter(brief=brief).count() == 2

        pm.go(f"/admin/marketplace/brief/{brief.pk}/change/")
        assert PRIVATE in pm.page.content()  # the PM reads why
        pm.page.locator("a[href$='/approve/']").first.click()
        pm.page.wait_for_load_state("load")
        pm.page.fill("#id_note", "十年科技品牌文案经验,写过同类发布稿。")
        pm.shot("10-admin-approve")
        pm.page.locator("#content-main form input[type=submit]").click()
        pm.page.wait_for_load_state("load")
        brief.refresh_from_db()
        assert brief.status == Brief.Status.AWAITING_EXPERT
        writer_match.refresh_from_db()
        assert writer_match.status == Match.Status.APPROVED

        # The expert sees the invitation with the earnings, accepts and delivers.
        expert.go("/expert/")
        assert expert.page.locator(".invitation").count() == 1
        assert "十年科技品牌文案经验" in expert.page.content()
        expert.shot("11-invitation")
        expert.page.locator(".invitation form[action$='/accept/'] button").click()
        expert.page.wait_for_load_state("load")
        # Money (issue 21): the work waits for funding; the startup pays into escrow (the
        # development provider, which says on the page that no real money moves).
        assert expert.page.locator(".awaiting-funding").count() == 1
        assert expert.page.locator("form[action$='/deliver/']").count() == 0
        startup.go(f"/briefs/{brief.pk}/")
        assert startup.page.locator("#money .dev-provider").count() == 1
        startup.shot("11b-awaiting-funding")
        startup.page.locator("#money form[action$='/money/fund/'] button").click()
        startup.page.wait_for_load_state("load")
        startup.check()
        expert.go("/expert/")
        expert.page.locator("form[action$='/deliver/'] button").click()
        expert.page.wait_for_load_state("load")
        expert.check()
        brief.refresh_from_db()
        assert brief.status == Brief.Status.DELIVERED
        expert.shot("12-delivered")

        # The startup is not satisfied: it sees the re-match start and the promise.
        second = factories.ExpertFactory(display_name="李想 Second", day_rate=1800)
        expert_refresh_rank_base(expert_id=second.pk)
        startup.go(f"/briefs/{brief.pk}/")
        startup.shot("13-delivered-brief")
        startup.page.locator("label[for=id_reason_0]").click()
        startup.page.fill("#id_comment", "稿子太空泛")
        celery_app.conf.task_always_eager = False  # the worker is "busy": the job waits
        try:
            startup.submit("form[action$='/not-satisfied/']")
        finally:
            celery_app.conf.task_always_eager = True
        brief.refresh_from_db()
        assert brief.status == Brief.Status.REMATCHING
        assert startup.page.locator(".rematch-banner").count() == 1
        startup.shot("14-rematching")
        # The sweeper finds the waiting job and the worker (eager here) re-matches.
        services.rematch_sweep(now=timezone.now() + timedelta(minutes=1))
        jobs = RematchJob.objects.filter(brief=brief).order_by("pk")
        assert [(j.cause, j.status) for j in jobs] == [
            (RematchJob.Cause.DECLINE, RematchJob.Status.DONE),
            (RematchJob.Cause.DISSATISFACTION, RematchJob.Status.DONE),
        ]
        new_match = Match.objects.get(brief=brief, round=3)
        assert new_match.expert_id == second.pk

        pm.go(f"/admin/marketplace/brief/{brief.pk}/change/")
        pm.page.locator("a[href$='/approve/']").first.click()
        pm.page.wait_for_load_state("load")
        pm.page.locator("#content-main form input[type=submit]").click()
        pm.page.wait_for_load_state("load")

        # The writer had delivered: before anyone agrees, both sides read the policy; the
        # writer sees that the PM decides their share, and the PM decides it in the admin.
        expert.go("/expert/money/")
        assert expert.page.locator(".replaced-pay li").count() == 1
        expert.shot("14b-replaced-expert-money")
        pm.go(f"/admin/marketplace/brief/{brief.pk}/change/")
        pm.page.locator(".object-tools a[href*='/billing/brieffunding/']").click()
        pm.page.wait_for_load_state("load")
        pm.page.locator("a[href$='/share/']").click()
        pm.page.wait_for_load_state("load")
        pm.page.fill("#id_percent", "20")
        pm.page.fill("#id_reason", "初稿结构可用")
        pm.shot("14c-pm-decides-share")
        pm.page.locator("#content-main form input[type=submit]").click()
        pm.page.wait_for_load_state("load")
        expert.go("/expert/money/")
        assert "初稿结构可用" in expert.page.content()
        assert "¥2,000.00" in expert.page.content()

        second_person = person("second-expert")
        second_person.login(second.user.email, factories.PASSWORD, next_path="/expert/")
        assert second_person.page.locator(".rematch-policy").count() >= 1  # before accepting
        second_person.page.locator(".invitation form[action$='/accept/'] button").click()
        second_person.page.wait_for_load_state("load")
        startup.go(f"/briefs/{brief.pk}/")
        assert "李想 Second" in startup.page.content()
        # Every yuan: what was paid, the writer's share, the new price, the fee once, the rest.
        money = " ".join(startup.page.locator("#money").inner_text().split())
        for words in ("¥11,000.00", "¥2,000.00", "¥10,800.00", "¥1,000.00", "¥2,800.00"):
            assert words in money, (words, money)
        startup.shot("15-new-expert")
        startup.page.locator("form[action$='/approve-difference/'] button").click()
        startup.page.wait_for_load_state("load")
        startup.page.locator("#money form[action$='/money/fund/'] button").click()
        startup.page.wait_for_load_state("load")
        startup.check()
        startup.shot("15b-difference-paid")
        second_person.go("/expert/")
        second_person.page.locator("form[action$='/deliver/'] button").click()
        second_person.page.wait_for_load_state("load")

        # The startup accepts and rates.
        startup.go(f"/briefs/{brief.pk}/")
        startup.page.locator("label[for=id_rating_0]").click()
        startup.page.fill("#id_review", "专业又高效")
        startup.submit("form[action$='/accept/']")
        brief.refresh_from_db()
        assert brief.status == Brief.Status.COMPLETED
        startup.shot("16-completed")
        # Released: the second expert's earnings, the fee once; the escrow is empty.
        second_person.go("/expert/money/")
        assert "¥10,800.00" in second_person.page.locator(".available").inner_text()
        startup.go(f"/briefs/{brief.pk}/money/")
        startup.shot("16a-statement")
        # The timeline, read by each party. The startup: a decline reads as a decline, without
        # the expert's words; re-matches are numbered from 1.
        startup.go(f"/briefs/{brief.pk}/")
        told = _timeline(startup)
        assert not any(PRIVATE in entry for entry in told)
        declined = "专家已拒绝" if zh else "Declined by expert"
        found, first = (
            ("邀请已结束，已找到新的候选。", "第 1 轮重新匹配")
            if zh
            else ("New candidates, as the invitation ended.", "Re-match round 1")
        )
        assert len(told) == 14
        assert [e for e in told if e.startswith(declined)] == [told[3]]
        assert found in told[4]  # after the decline: new candidates, not a re-match
        assert first in told[9]  # after "not satisfied": the first re-match
        assert not any("第 2 轮" in e or "round 2" in e for e in told)
        startup.page.locator("ol.timeline").scroll_into_view_if_needed()
        startup.shot("16b-timeline-startup")
        # The expert who declined: their own part, with their own words.
        declining.go(f"/expert/briefs/{brief.pk}/")
        theirs = _timeline(declining)
        assert len(theirs) == 2
        assert PRIVATE in theirs[1]
        declining.shot("16c-timeline-declined-expert")
        # The writer: from their invitation to their replacement, nothing of the decline.
        expert.go("/expert/")
        expert.page.locator(f"a[href$='/expert/briefs/{brief.pk}/']").first.click()
        expert.page.wait_for_load_state("load")
        expert.check()
        writers = _timeline(expert)
        assert len(writers) == 4
        assert not any(PRIVATE in entry for entry in writers)
        expert.shot("16d-timeline-writer")
        # The PM: everything, the expert's words included.
        pm.go(f"/admin/marketplace/brief/{brief.pk}/change/")
        assert PRIVATE in pm.page.content()
        pm.shot("16e-timeline-pm")

        startup.go("/briefs/")
        startup.shot("17-brief-list")
        startup.go("/notifications/")
        startup.shot("18-notifications")

        errors = [e for p in people for e in p.errors]
        assert errors == [], "browser console errors:\n" + "\n".join(errors)
        assert len(list(shots.glob("*.png"))) >= 17
    finally:
        for p in people:
            p.close()


@pytest.mark.django_db(transaction=True)
def test_the_whole_journey_in_chinese_on_a_desktop(browser, live_server, settings):
    _journey(browser, live_server, settings, locale="zh-CN", width=1280, language="zh-hans")


@pytest.mark.django_db(transaction=True)
def test_the_whole_journey_in_english_on_a_phone(browser, live_server, settings):
    _journey(browser, live_server, settings, locale="zh-CN", width=375, language="en")


@pytest.mark.django_db(transaction=True)
def test_the_landing_page_speaks_chinese_first(browser, live_server):
    person = Person(
        browser, live_server.url, locale="zh-CN", width=375, shots=SHOTS / "zh-hans", name="x"
    )
    try:
        person.go("/")
        assert person.page.locator("html").get_attribute("lang") == "zh-hans"
        assert re.search(r"[\u4e00-\u9fff]", person.page.locator("h1").inner_text())
        assert person.errors == []
    finally:
        person.close()
