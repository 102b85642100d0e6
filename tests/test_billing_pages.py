"""Issue 21: money on the pages (the startup's brief, the expert's money, 发票) and in the admin
(finance's workplace and the PM's decisions); who may see and do what; no money row deleted."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from billing import crypto, ledger
from billing import services as billing
from billing.models import (
    Account,
    BriefFunding,
    ExpertBankAccount,
    LedgerTransaction,
    PayoutBatch,
    Receipt,
    StatementImport,
)
from tests import factories
from tests.test_billing_flow import engage, rematch

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_brief_page_shows_what_to_pay_how_and_the_dev_provider_says_so(pm):
    brief, _match = engage(pm, fixed_price=8000)
    page = browser(brief.startup.owner).get(reverse("marketplace:brief_detail", args=[brief.pk]))
    html = page.content.decode()

    assert "等待付款" in html
    assert "现在需支付：¥8,800.00" in html
    assert selectors_reference(brief) in html
    assert "开发用支付渠道：不涉及真实资金，生产环境中从不启用。" in html


def selectors_reference(brief):
    from billing.selectors import reference_for

    return reference_for(brief)


def test_the_dev_provider_funds_from_the_page_and_the_expert_may_then_deliver(pm):
    brief, match = engage(pm)
    owner, expert = browser(brief.startup.owner), browser(match.expert.user)
    before = expert.get(reverse("experts:dashboard")).content.decode()

    owner.post(reverse("billing:brief_fund_dev", args=[brief.pk]))
    after = expert.get(reverse("experts:dashboard")).content.decode()

    assert "awaiting-funding" in before
    assert "deliver-form" not in before
    assert "deliver-form" in after
    assert Receipt.objects.get().method == "dev"


def test_a_rematch_page_explains_every_yuan_to_the_startup_and_the_replaced_expert(pm):
    brief, first = engage(pm, fixed_price=8000)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=first.expert.user)
    rematch(brief)
    replaced = browser(first.expert.user).get(reverse("billing:expert_money")).content.decode()
    billing.settlement_decide(match_id=first.pk, actor=pm, percent=30, reason="初稿部分可用")
    brief, second = engage(pm, fixed_price=9000, brief=brief)

    html = browser(brief.startup.owner).get(reverse("billing:brief_money", args=[brief.pk]))
    text = html.content.decode()
    decided = browser(first.expert.user).get(reverse("billing:expert_money")).content.decode()

    assert "项目经理会决定你的份额，最多 ¥4,000.00" in replaced
    assert "你的份额：¥2,400.00（你收入的 30%）" in decided
    assert "初稿部分可用" in decided
    for words in (
        "通过开发用支付渠道（非真实资金）付款",  # what came in
        f"为已交付的工作支付给 {first.expert.display_name}：¥8,000.00 的 30%",  # the share
        f"{second.expert.display_name}：固定价格 ¥9000",  # the new price, said plainly
        "平台服务费：每个需求只在你验收时收一次",
        "仍需支付",
    ):
        assert words in text, words
    assert "¥2,400.00" in text  # the share
    assert "¥3,400.00" in text  # still to pay: 9,000 + 800 − (8,800 − 2,400)


def test_a_startup_downloads_its_brief_statement_as_csv(pm):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    response = browser(brief.startup.owner).get(reverse("billing:brief_money_csv", args=[brief.pk]))
    other = browser(factories.StartupFactory().owner).get(
        reverse("billing:brief_money_csv", args=[brief.pk])
    )

    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[1].endswith(",8800.00,8800.00")
    assert other.status_code == 404


def test_an_expert_keeps_bank_details_encrypted_and_masked(expert):
    client = browser(expert.user)
    bad = client.post(
        reverse("billing:expert_money"),
        {"holder_name": "陈文", "bank_name": "招商银行", "account_number": "12"},
    )
    good = client.post(
        reverse("billing:expert_money"),
        {
            "holder_name": "陈文",
            "bank_name": "招商银行",
            "branch": "上海分行",
            "account_number": "6225 8812 3456 7890",
        },
    )
    page = client.get(reverse("billing:expert_money")).content.decode()

    assert bad.status_code == 400
    assert good.status_code == 302
    account = ExpertBankAccount.objects.get(expert=expert)
    assert "6225881234567890" not in account.account_number_encrypted
    assert crypto.decrypt(account.account_number_encrypted) == "6225881234567890"
    assert "**** **** 7890" in page
    assert "6225881234567890" not in page


def test_a_new_encryption_key_rotates_bank_details(expert, settings):
    billing.bank_account_save(
        expert=expert, holder_name="陈文", bank_name="招行", branch="", account_number="62258812345"
    )
    old = settings.KAIGAN_FIELD_ENCRYPTION_KEY
    settings.KAIGAN_FIELD_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old}"

    call_command("billing_rotate_key", stdout=io.StringIO())

    account = ExpertBankAccount.objects.get(expert=expert)
    settings.KAIGAN_FIELD_ENCRYPTION_KEY = settings.KAIGAN_FIELD_ENCRYPTION_KEY.split(",")[0]
    assert crypto.decrypt(account.account_number_encrypted) == "62258812345"


def test_the_fapiao_page_refuses_a_bad_tax_id_with_the_form_again(pm):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    client = browser(brief.startup.owner)
    body = {
        "brief": brief.pk,
        "title": "水杯科技",
        "tax_id": "91310000MA1FL8XQ30",
        "address": "上海",
        "bank": "招行",
    }

    bad = client.post(reverse("billing:invoices"), body)
    good = client.post(reverse("billing:invoices"), {**body, "tax_id": "91310000MA1FL8XQ37"})

    assert bad.status_code == 400
    assert "这不是有效的统一社会信用代码" in bad.content.decode()
    assert 'value="水杯科技"' in bad.content.decode()  # what was typed is kept
    assert good.status_code == 302
    page = client.get(reverse("billing:invoices")).content.decode()
    assert "¥800.00" in page  # the fee invoiced
    assert "¥8,000.00" in page  # the expert's part, shown


# --- the admin: finance and the PM -----------------------------------------------------------


def test_finance_works_in_the_admin_and_the_dashboard_reconciles(pm, finance):
    brief, match = engage(pm)
    client = browser(finance)
    reference = selectors_reference(brief)

    dashboard = client.get(reverse("admin:billing_dashboard"))
    confirm = client.post(
        reverse("admin:billing_receipt_confirm"),
        {
            "brief": brief.pk,
            "amount": "8800.00",
            "received_on": "2026-01-05",
            "bank_reference": "B-1",
            "payer": "水杯科技",
        },
    )
    statement = io.BytesIO(
        f"交易日期,流水号,金额,对方户名,摘要\n2026-01-05,B-1,8800.00,水杯科技,{reference}\n"
        "2026-01-06,B-2,10.00,某人,不知道\n".encode()
    )
    statement.name = "jan.csv"
    upload = client.post(reverse("admin:billing_statementimport_upload"), {"file": statement})
    after = client.get(reverse("admin:billing_dashboard")).content.decode()

    assert dashboard.status_code == 200
    assert confirm.status_code == 302
    assert upload.status_code == 302
    assert StatementImport.objects.get().line_count == 2
    assert Receipt.objects.count() == 1  # the statement joined the confirmed transfer
    assert "账本中的银行账户与已导入的对账单一致。" in after
    assert "不知道" in after  # the unmatched receipt is listed


def test_finance_pays_out_the_weekly_batch_from_the_admin(pm, finance):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    billing.bank_account_save(
        expert=match.expert,
        holder_name="陈文",
        bank_name="招商银行",
        branch="上海分行",
        account_number="6225881234567890",
    )
    client = browser(finance)

    client.post(reverse("admin:billing_payoutbatch_make"))
    batch = PayoutBatch.objects.get()
    export = client.get(reverse("admin:billing_payoutbatch_export", args=[batch.pk]))
    paid = client.post(
        reverse("admin:billing_payoutbatch_paid", args=[batch.pk]), {"bank_reference": "PAY-7"}
    )

    rows = export.content.decode("utf-8-sig").splitlines()
    assert rows[1].split(",")[4:] == ["6225881234567890", "8000.00"]
    assert paid.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.bank_reference) == (PayoutBatch.Status.PAID, "PAY-7")
    assert ledger.balance(ledger.payable_account(match.expert_id)) == 0


def test_the_pm_decides_a_share_in_the_admin_and_another_pm_cannot(pm):
    brief, first = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=first.expert.user)
    rematch(brief)
    funding = BriefFunding.objects.get(brief=brief)
    url = reverse("admin:billing_brieffunding_share", args=[funding.pk])
    other = factories.ProjectManagerFactory().user
    body = {"match": first.pk, "percent": 40, "reason": "交付了一半"}

    assert browser(other).post(url, body).status_code == 404
    too_much = browser(pm).post(url, {**body, "percent": 60})
    done = browser(pm).post(url, body)

    assert too_much.status_code == 200  # the form again, with the bound
    assert done.status_code == 302
    assert first.settlement.percent == 40


@pytest.mark.parametrize(
    ("who", "status"),
    [("finance", 200), ("superuser", 200), ("pm", 403), ("startup", 302)],
)
def test_only_finance_opens_the_finance_dashboard(who, status, pm, finance, superuser, startup):
    user = {"finance": finance, "superuser": superuser, "pm": pm, "startup": startup.owner}[who]
    response = browser(user).get(reverse("admin:billing_dashboard"))
    assert response.status_code == status


def test_no_money_row_can_be_deleted_or_edited_in_the_admin(pm, finance, superuser):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    txn = LedgerTransaction.objects.get()
    account = Account.objects.filter(kind=Account.Kind.ESCROW).get()
    for user in (finance, superuser):
        client = browser(user)
        for url in (
            reverse("admin:billing_ledgertransaction_delete", args=[txn.pk]),
            reverse("admin:billing_account_delete", args=[account.pk]),
        ):
            assert client.post(url, {"post": "yes"}).status_code == 403
        changed = client.post(
            reverse("admin:billing_ledgertransaction_change", args=[txn.pk]), {"memo": "x"}
        )
        assert changed.status_code == 403
    assert LedgerTransaction.objects.count() == 1


def test_the_finance_group_is_made_by_a_command(db):
    out = io.StringIO()
    call_command("createfinance", email="cw@example.com", password="a-long-pass-123", stdout=out)
    from kaigan.accounts.models import User

    user = User.objects.get(email="cw@example.com")
    assert user.is_staff
    assert billing.is_finance(user)
    assert user.has_perm("billing.view_receipt")
    assert not user.has_perm("billing.delete_receipt")
