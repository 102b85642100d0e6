"""Issue 11: transparent quotes — the arithmetic, who sees what, the re-match rule, the CSV."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from experts.services import expert_refresh_rank_base
from kaigan.api import json_rows
from kaigan.errors import ApplicationError, NotAllowed
from kaigan.notifications.models import Notification
from marketplace import pricing
from marketplace import services as marketplace_services
from marketplace.matching import propose_matches
from marketplace.models import Brief, Quote
from projects import services
from tests import factories
from tests.conftest import client_for

S = Brief.Status
Q = Quote.Status


# --- the arithmetic (no database) ------------------------------------------------------------


rules = st.builds(
    lambda percent, floor, extra: pricing.FeeRule(
        percent=Decimal(percent) / 4, floor=floor, cap=floor + extra
    ),
    st.integers(min_value=0, max_value=200),  # 0–50 % in quarter steps
    st.integers(min_value=0, max_value=5_000),
    st.integers(min_value=0, max_value=50_000),
)
half_days = st.integers(min_value=1, max_value=240).map(lambda n: Decimal(n) / 2)


@given(day_rate=st.integers(min_value=100, max_value=100_000), days=half_days, rule=rules)
def test_lines_always_add_up_and_the_fee_stays_within_floor_and_cap(day_rate, days, rule):
    lines = pricing.quote_lines(day_rate=day_rate, scope_days=days, rule=rule)
    assert lines.expert_earnings + lines.platform_fee == lines.total
    assert rule.floor <= lines.platform_fee <= rule.cap
    assert lines.expert_earnings == pricing.round_cny(Decimal(day_rate) * days)
    assert all(isinstance(v, int) for v in (lines.expert_earnings, lines.platform_fee))


@given(price=st.integers(min_value=100, max_value=5_000_000), rule=rules)
def test_a_fixed_price_is_the_earnings_and_a_waived_fee_is_zero(price, rule):
    lines = pricing.quote_lines(day_rate=None, fixed_price=price, rule=rule)
    assert lines.expert_earnings == price
    waived = pricing.quote_lines(day_rate=None, fixed_price=price, rule=rule, fee_waived=True)
    assert (waived.platform_fee, waived.total) == (0, price)


@given(day_rate=st.integers(min_value=100, max_value=100_000), budget=st.integers(500, 10**7))
def test_the_suggested_scope_fits_the_budget(day_rate, budget):
    rule = pricing.FeeRule(percent=Decimal(10), floor=0, cap=10**9)
    days = pricing.suggested_scope_days(day_rate=day_rate, budget_max=budget, rule=rule)
    lines = pricing.quote_lines(day_rate=day_rate, scope_days=days, rule=rule)
    assert days == pricing.SCOPE_DAYS_MIN or lines.total <= budget + 1  # +1: half-up rounding


def test_rounding_is_half_up_to_whole_cny():
    rule = pricing.FeeRule(percent=Decimal("12.5"), floor=0, cap=10**6)
    lines = pricing.quote_lines(day_rate=1001, scope_days=Decimal("0.5"), rule=rule)
    assert lines.expert_earnings == 501  # 500.5 → 501
    assert lines.platform_fee == 63  # 62.625 → 63
    assert lines.total == 564


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scope_days": Decimal("0")}, "scope_days"),
        ({"scope_days": Decimal("-2")}, "scope_days"),
        ({"scope_days": Decimal("121")}, "scope_days"),
        ({"scope_days": Decimal("1.3")}, "scope_days"),
        ({"scope_days": "NaN"}, "scope_days"),
        ({"fixed_price": 50}, "fixed_price"),
        ({"fixed_price": 10**9}, "fixed_price"),
        ({"fixed_price": 99.5}, "fixed_price"),
        ({}, "scope_days"),
        ({"scope_days": Decimal(2), "fixed_price": 1000}, "scope_days"),
    ],
)
def test_bad_scopes_are_refused_with_the_field(kwargs, field):
    rule = pricing.FeeRule(percent=Decimal(10), floor=0, cap=1000)
    with pytest.raises(pricing.PricingError) as caught:
        pricing.quote_lines(day_rate=1000, rule=rule, **kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("percent", "floor", "cap"), [(Decimal(-1), 0, 10), (Decimal(51), 0, 10), (10, 500, 100)]
)
def test_fee_rules_out_of_range_are_refused(percent, floor, cap):
    with pytest.raises(pricing.PricingError):
        pricing.FeeRule(percent=Decimal(percent), floor=floor, cap=cap)


@pytest.mark.django_db
def test_a_fee_setting_out_of_range_stops_the_system_check(settings):
    settings.KAIGAN_FEE_PERCENT = "80"
    with pytest.raises(SystemCheckError, match="kaigan.E001"):
        call_command("check")


# --- through the workflow --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fees(settings):
    settings.KAIGAN_FEE_PERCENT = "10"
    settings.KAIGAN_FEE_FLOOR = 200
    settings.KAIGAN_FEE_CAP = 20000
    settings.KAIGAN_MATCH_ROUND_SIZE = 2


def _approved(pm, *, scope_days=Decimal(4), experts=4):
    for expert in [factories.ExpertFactory(day_rate=2000) for _ in range(experts)]:
        expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(pm=pm, budget_min=5000, budget_max=10000)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm, scope_days=scope_days)
    match.refresh_from_db()
    return brief, match


@pytest.mark.django_db
def test_approval_makes_an_offered_quote_the_expert_sees_before_accepting(pm):
    brief, match = _approved(pm)
    quote = Quote.objects.get(match=match)
    assert (quote.status, quote.scope_days, quote.day_rate) == (Q.OFFERED, Decimal(4), 2000)
    assert (quote.expert_earnings, quote.platform_fee, quote.total) == (8000, 800, 8800)
    invitations = client_for(match.expert.user).get("/api/v1/invitations/").json()["results"]
    assert invitations[0]["quote"]["expert_earnings"] == 8000
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    quote.refresh_from_db()
    assert quote.status == Q.AGREED
    assert quote.agreed_at is not None


@pytest.mark.django_db
def test_the_startup_sees_both_lines_on_the_page_and_in_the_api(client, pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    body = client_for(brief.startup.owner).get(f"/api/v1/briefs/{brief.pk}/").json()
    assert body["quote"]["expert_earnings"] == 8000
    assert body["quote"]["platform_fee"] == 800
    assert body["quote"]["total"] == 8800
    client.force_login(brief.startup.owner)
    html = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert "¥8000" in html
    assert "¥800<" in html
    assert "¥8800" in html


@pytest.mark.django_db
def test_a_completed_brief_still_shows_its_expert_and_agreed_quote(monkeypatch, pm):
    # Accepting the delivery ends the match as `completed`: the brief's expert and the quote
    # agreed stay on the brief (they were both null after completion).
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    services.work_deliver(brief_id=brief.pk, user=match.expert.user)
    client = client_for(brief.startup.owner)
    accepted = client.post(f"/api/v1/briefs/{brief.pk}/accept/", {"rating": 5}, format="json")
    assert accepted.status_code == 200

    listed = client.get("/api/v1/briefs/").json()["results"]  # rendered by PostgreSQL
    with monkeypatch.context() as m:
        m.setattr(json_rows, "supported", lambda request, queryset: False)
        serialized = client.get("/api/v1/briefs/").json()["results"]
    detail = client.get(f"/api/v1/briefs/{brief.pk}/").json()
    for body in (accepted.json(), detail, listed[0], serialized[0]):
        assert body["status"] == "completed"
        assert body["current_expert"]["id"] == match.expert_id
        assert body["quote"]["status"] == "agreed"
        assert body["quote"]["total"] == 8800
    assert listed == serialized


@pytest.mark.django_db
def test_the_pm_default_scope_fits_the_budget(pm):
    for expert in [factories.ExpertFactory(day_rate=1500) for _ in range(2)]:
        expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(pm=pm, budget_max=10000)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    marketplace_services.match_approve(match_id=match.pk, actor=pm)
    quote = Quote.objects.get(match=match)
    assert quote.total <= brief.budget_max
    assert quote.scope_days == Decimal("6")  # 6 × 1500 × 1.1 = 9900 ≤ 10000 < 6.5 days


@pytest.mark.django_db
def test_the_admin_warns_when_the_total_exceeds_the_budget(client, pm):
    for expert in [factories.ExpertFactory(day_rate=2000) for _ in range(2)]:
        expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(pm=pm, budget_max=10000)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    client.force_login(pm)
    page = client.get(reverse("admin:marketplace_match_approve", args=[match.pk]))
    assert page.context["form"].initial["scope_days"] == Decimal("4.5")
    response = client.post(
        reverse("admin:marketplace_match_approve", args=[match.pk]),
        {"scope_days": "10", "note": ""},
        follow=True,
    )
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels == ["success", "warning"]
    assert Quote.objects.get(match=match).total == 22000


@pytest.mark.django_db
def test_a_bad_scope_at_approval_changes_nothing(pm):
    for expert in [factories.ExpertFactory() for _ in range(2)]:
        expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(pm=pm)
    propose_matches(brief)
    match = brief.matches.order_by("rank").first()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        marketplace_services.match_approve(match_id=match.pk, actor=pm, scope_days=Decimal(-1))
    match.refresh_from_db()
    brief.refresh_from_db()
    assert (match.status, brief.status) == ("proposed", S.AWAITING_APPROVAL)
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_a_rematch_quotes_the_new_expert_without_a_second_fee(pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    job = services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="fit")
    services.rematch_run(job_id=job.pk)
    new_match = brief.matches.filter(round=2).order_by("rank").first()
    marketplace_services.match_approve(match_id=new_match.pk, actor=pm, scope_days=Decimal(4))
    new_quote = Quote.objects.get(match=new_match)
    assert (new_quote.expert_earnings, new_quote.platform_fee, new_quote.total) == (8000, 0, 8000)
    assert new_quote.fee_waived is True
    # The first expert's agreed quote stays as it was.
    assert Quote.objects.get(match=match).status == Q.AGREED


@pytest.mark.django_db
def test_a_declined_offer_is_void_and_the_next_expert_still_pays_the_fee_once(pm):
    brief, match = _approved(pm)
    services.invitation_decline(match_id=match.pk, user=match.expert.user)
    assert Quote.objects.get(match=match).status == Q.VOID
    job = brief.rematch_jobs.get()
    services.rematch_run(job_id=job.pk)
    new_match = brief.matches.filter(round=2).order_by("rank").first()
    marketplace_services.match_approve(match_id=new_match.pk, actor=pm, scope_days=Decimal(4))
    assert Quote.objects.get(match=new_match).platform_fee == 800


@pytest.mark.django_db
def test_a_change_after_acceptance_needs_the_other_side_and_keeps_the_old_version(pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    expert_api = client_for(match.expert.user)
    owner_api = client_for(brief.startup.owner)
    proposed = expert_api.post(f"/api/v1/briefs/{brief.pk}/quote/change/", {"scope_days": "6"})
    assert proposed.status_code == 201
    change = proposed.json()
    assert (change["version"], change["status"], change["total"]) == (2, Q.PROPOSED, 13200)
    # The proposer cannot agree to their own change.
    assert expert_api.post(f"/api/v1/quotes/{change['id']}/agree/").status_code == 403
    # While it waits, the version in force is still the first.
    assert owner_api.get(f"/api/v1/briefs/{brief.pk}/").json()["quote"]["version"] == 1
    agreed = owner_api.post(f"/api/v1/quotes/{change['id']}/agree/")
    assert agreed.status_code == 200
    assert list(Quote.objects.filter(match=match).order_by("version").values_list("status")) == [
        (Q.SUPERSEDED,),
        (Q.AGREED,),
    ]
    assert owner_api.get(f"/api/v1/briefs/{brief.pk}/").json()["quote"]["total"] == 13200


@pytest.mark.django_db
def test_a_rejected_change_leaves_the_agreed_quote(pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    change = marketplace_services.quote_propose_change(
        brief_id=brief.pk, user=brief.startup.owner, fixed_price=5000
    )
    marketplace_services.quote_answer_change(
        quote_id=change.pk, user=match.expert.user, agree=False
    )
    statuses = dict(Quote.objects.filter(match=match).values_list("version", "status"))
    assert statuses == {1: Q.AGREED, 2: Q.REJECTED}
    # A new proposal after the rejected one takes the next number (it was a 500: version 2 again).
    again = client_for(brief.startup.owner).post(
        f"/api/v1/briefs/{brief.pk}/quote/change/", {"fixed_price": 6000}
    )
    assert again.status_code == 201
    assert again.json()["version"] == 3


@pytest.mark.django_db
def test_each_side_is_told_of_a_change_and_of_its_answer(client, pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    owner, expert_user = brief.startup.owner, match.expert.user

    # The expert proposes from the workbench; the startup is told, with a link to its brief.
    client.force_login(expert_user)
    page = client.get(reverse("experts:dashboard")).content.decode()
    assert f'id="scope-days-{match.pk}"' in page
    client.post(reverse("projects:quote_change", args=[brief.pk]), {"scope_days": "6"})
    told = Notification.objects.get(recipient=owner, kind="quote_change_proposed")
    assert told.url == reverse("marketplace:brief_detail", args=[brief.pk])
    assert brief.title in told.text

    client.force_login(owner)
    page = client.get(told.url).content.decode()
    assert "· 由专家提出" in page
    change = Quote.objects.get(match=match, status=Q.PROPOSED)
    client.post(reverse("projects:quote_answer", args=[change.pk]), {"answer": "reject"})
    answered = Notification.objects.get(recipient=expert_user, kind="quote_change_rejected")
    assert answered.url == reverse("experts:dashboard")

    # The startup proposes; the expert is told and agrees; the startup hears it.
    marketplace_services.quote_propose_change(brief_id=brief.pk, user=owner, fixed_price=9000)
    assert Notification.objects.filter(recipient=expert_user, kind="quote_change_proposed").exists()
    change = Quote.objects.get(match=match, status=Q.PROPOSED)
    marketplace_services.quote_answer_change(quote_id=change.pk, user=expert_user, agree=True)
    assert Notification.objects.filter(recipient=owner, kind="quote_change_agreed").exists()


@pytest.mark.django_db
def test_the_expert_sees_the_brief_they_work_on(client, pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    client.force_login(match.expert.user)
    page = client.get(reverse("experts:dashboard")).content.decode()
    engagements = page[page.index("<h2>我的项目</h2>") :]
    assert brief.description in engagements
    assert brief.startup.company_name in engagements
    assert f"mailto:{pm.email}" in engagements


@pytest.mark.django_db
def test_approving_an_expert_without_a_day_rate_says_what_is_offered(client, pm):
    expert = factories.ExpertFactory(day_rate=None)
    expert_refresh_rank_base(expert_id=expert.pk)
    brief = factories.BriefFactory(pm=pm, budget_min=5000, budget_max=10000)
    propose_matches(brief)
    match = brief.matches.get(expert=expert)
    client.force_login(pm)
    url = reverse("admin:marketplace_match_approve", args=[match.pk])
    assert "预算下限（¥5000）" in client.get(url).content.decode()
    response = client.post(url, {"note": ""}, follow=True)
    assert "报价为固定价格 ¥5000" in [str(m) for m in response.context["messages"]][-1]


@pytest.mark.django_db
def test_the_startup_is_warned_of_a_change_above_its_budget(client, pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    marketplace_services.quote_propose_change(
        brief_id=brief.pk, user=match.expert.user, fixed_price=12000
    )
    client.force_login(brief.startup.owner)
    page = client.get(reverse("marketplace:brief_detail", args=[brief.pk])).content.decode()
    assert "超出了你的预算 ¥10000" in page


@pytest.mark.django_db
def test_a_quote_change_by_someone_not_a_party_is_refused(pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    for user in (pm, factories.StartupFactory().owner, factories.ExpertFactory().user):
        with pytest.raises(NotAllowed):
            marketplace_services.quote_propose_change(
                brief_id=brief.pk, user=user, scope_days=Decimal(1)
            )
        response = client_for(user).post(
            f"/api/v1/briefs/{brief.pk}/quote/change/", {"scope_days": "1"}
        )
        assert response.status_code == 404
    assert Quote.objects.filter(match=match).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [{"scope_days": "-1"}, {"scope_days": "0.3"}, {"fixed_price": 10}, {}, {"scope_days": "abc"}],
)
def test_a_bad_change_is_a_400_and_nothing_changes(pm, payload):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    response = client_for(brief.startup.owner).post(
        f"/api/v1/briefs/{brief.pk}/quote/change/", payload
    )
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Quote.objects.filter(match=match).count() == 1


@pytest.mark.django_db
def test_a_change_before_acceptance_is_refused(pm):
    brief, match = _approved(pm)
    with pytest.raises(ApplicationError):
        marketplace_services.quote_propose_change(
            brief_id=brief.pk, user=brief.startup.owner, scope_days=Decimal(2)
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "header"), [("zh-hans", "专家收入"), ("en", "Expert earns (CNY)")]
)
def test_the_startup_downloads_its_quotes_as_csv(client, pm, language, header):
    brief, match = _approved(pm)
    factories.BriefFactory(title="=HYPERLINK(evil)", startup=brief.startup)
    client.force_login(brief.startup.owner)
    client.post("/i18n/setlang/", {"language": language})
    response = client.get(reverse("marketplace:quotes_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header in rows[0][8]
    assert len(rows) == 2
    assert rows[1][0] == brief.title
    assert rows[1][8:11] == ["8000", "800", "8800"]


@pytest.mark.django_db
def test_the_csv_says_when_an_expert_was_replaced_and_leaves_no_day_rate_on_a_fixed_price(
    client, pm
):
    brief, match = _approved(pm, scope_days=None)  # the PM's default scope: days
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    marketplace_services.quote_propose_change(
        brief_id=brief.pk, user=brief.startup.owner, fixed_price=7000
    )
    change = Quote.objects.get(match=match, status=Q.PROPOSED)
    marketplace_services.quote_answer_change(quote_id=change.pk, user=match.expert.user, agree=True)
    services.dissatisfaction_submit(brief_id=brief.pk, user=brief.startup.owner, reason="quality")
    client.force_login(brief.startup.owner)
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("marketplace:quotes_csv")).content.decode("utf-8-sig"))
        )
    )
    fixed = next(row for row in rows[1:] if row[7] == "7000")
    assert fixed[3] == "已确认"
    assert fixed[4] == "已更换"  # the quote's expert no longer works on the brief
    assert fixed[5] == fixed[6] == ""  # no days, no day rate: a fixed price


@pytest.mark.django_db
def test_csv_holds_only_the_startups_own_quotes(client, pm):
    _approved(pm)
    stranger = factories.StartupFactory()
    client.force_login(stranger.owner)
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("marketplace:quotes_csv")).content.decode("utf-8-sig"))
        )
    )
    assert len(rows) == 1  # the header only


@pytest.mark.django_db
def test_the_pm_dashboard_shows_fee_totals_per_month(client, pm):
    brief, match = _approved(pm)
    services.invitation_accept(match_id=match.pk, user=match.expert.user)
    client.force_login(pm)
    response = client.get(reverse("admin:marketplace_brief_dashboard"))
    rows = response.context["fees_by_month"]
    assert [(r["fees"], r["quotes"]) for r in rows] == [(800, 1)]
    assert "¥800" in response.content.decode()
