"""Issue 21 in a real browser: a brief funded by bank transfer, finance imports the bank's
statement, the expert delivers, the startup accepts, the expert's balance shows the earnings,
and finance pays the weekly batch out. (The re-match case, where the page explains every yuan
to both sides, runs inside tests/test_e2e_journey.py.)

Screenshots go to tests/artifacts/screenshots/money/.
"""

import shutil

import pytest

from billing import services as billing
from billing.models import PayoutBatch, StatementImport
from billing.selectors import reference_for
from experts.services import expert_refresh_rank_base
from marketplace import services as marketplace_services
from marketplace.models import Brief, Match
from projects import services as projects_services
from tests import factories
from tests.test_e2e_journey import PASSWORD, SHOTS, Person, browser  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_bank_transfer_statement_delivery_release_and_payout_in_the_browser(browser, live_server):  # noqa: F811
    shots = SHOTS / "money"
    shutil.rmtree(shots, ignore_errors=True)
    pm_user = projects_services.pm_create(email="pm-money@example.com", password=PASSWORD)
    billing.finance_user_create(email="finance@example.com", password=PASSWORD, name="财务")
    expert = factories.ExpertFactory(display_name="陈文 Writer", day_rate=2000)
    expert.user.set_password(PASSWORD)
    expert.user.save(update_fields=["password"])
    expert_refresh_rank_base(expert_id=expert.pk)
    owner = factories.UserFactory(email="founder-money@example.com")
    owner.set_password(PASSWORD)
    owner.save(update_fields=["password"])
    startup = factories.StartupFactory(owner=owner, company_name="水杯科技")
    brief = factories.BriefFactory(
        startup=startup, pm=pm_user, status=Brief.Status.AWAITING_APPROVAL
    )
    match = factories.MatchFactory(brief=brief, expert=expert, status=Match.Status.PROPOSED)
    marketplace_services.match_approve(match_id=match.pk, actor=pm_user, fixed_price=8000)
    billing.invitation_accept(match_id=match.pk, user=expert.user)
    reference = reference_for(brief)
    people = []

    def person(name):
        p = Person(browser, live_server.url, locale="zh-CN", width=1280, shots=shots, name=name)
        people.append(p)
        return p

    try:
        # The startup sees the platform's account and the brief's reference.
        founder = person("startup")
        founder.login(owner.email, PASSWORD, next_path=f"/briefs/{brief.pk}/")
        money = founder.page.locator("#money")
        assert reference in money.inner_text()
        assert "¥8,800.00" in money.inner_text()
        founder.shot("01-bank-transfer")

        # Finance imports the bank's statement: the transfer is matched by its reference.
        finance = person("finance")
        finance.login("finance@example.com", PASSWORD, next_path="/admin/")
        finance.go("/admin/billing/statementimport/upload/")
        statement = (
            "交易日期,流水号,收入金额,支出金额,对方户名,摘要\n"
            f'2026-01-05,ICBC-0001,"8,800.00",,水杯科技,货款 {reference}\n'
        )
        finance.page.set_input_files(
            "#id_file",
            files=[{"name": "jan.csv", "mimeType": "text/csv", "buffer": statement.encode()}],
        )
        finance.shot("02-statement-upload")
        finance.page.locator("#content-main form input[type=submit]").click()
        finance.page.wait_for_load_state("load")
        assert StatementImport.objects.get().lines.get().status == "matched"
        finance.go("/admin/billing/account/dashboard/")
        assert finance.page.locator(".reconciled").count() == 1
        finance.shot("03-dashboard-reconciled")

        # The expert may now deliver; the startup accepts.
        writer = person("expert")
        writer.login(expert.user.email, PASSWORD, next_path="/expert/")
        assert "已付款" in writer.page.locator(".money-ok").inner_text()
        writer.page.locator("form[action$='/deliver/'] button").click()
        writer.page.wait_for_load_state("load")
        founder.go(f"/briefs/{brief.pk}/")
        founder.page.locator("label[for=id_rating_0]").click()
        founder.submit("form[action$='/accept/']")
        founder.shot("04-accepted")
        brief.refresh_from_db()
        assert brief.status == Brief.Status.COMPLETED

        # The expert's balance shows the earnings; they give their bank details.
        writer.go("/expert/money/")
        assert writer.page.locator(".available").inner_text() == "¥8,000.00"
        writer.page.fill("#id_holder_name", "陈文")
        writer.page.fill("#id_bank_name", "招商银行")
        writer.page.fill("#id_account_number", "6225 8812 3456 7890")
        writer.submit("main form[method=post]")
        assert "**** **** 7890" in writer.page.content()
        writer.shot("05-balance")

        # Finance makes the weekly batch, exports it for the bank and marks it paid.
        finance.go("/admin/billing/payoutbatch/make/")
        finance.page.locator("#content-main form input[type=submit]").click()
        finance.page.wait_for_load_state("load")
        batch = PayoutBatch.objects.get()
        with finance.page.expect_download() as download:
            finance.page.locator(f"a[href$='/{batch.pk}/export/']").first.click()
        assert download.value.suggested_filename == f"kaigan-payouts-{batch.week}.csv"
        finance.go(f"/admin/billing/payoutbatch/{batch.pk}/paid/")
        finance.page.fill("#id_bank_reference", "ICBC-PAY-0001")
        finance.page.locator("#content-main form input[type=submit]").click()
        finance.page.wait_for_load_state("load")
        finance.shot("06-batch-paid")
        writer.go("/expert/money/")
        assert writer.page.locator(".paid").inner_text() == "¥8,000.00"
        assert writer.page.locator(".available").inner_text() == "¥0.00"
        writer.shot("07-paid-out")

        errors = [e for p in people for e in p.errors]
        assert errors == [], "browser console errors:\n" + "\n".join(errors)
    finally:
        for p in people:
            p.close()
