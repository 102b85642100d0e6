"""Issue 21: the money API — funding, statement, balance, payouts, 发票 — and Idempotency-Key."""

import pytest
from django.urls import reverse

from billing import services as billing
from billing.models import IdempotentRequest, InvoiceRequest, LedgerTransaction, Receipt
from tests import factories
from tests.conftest import client_for
from tests.test_billing_flow import engage

pytestmark = pytest.mark.django_db
TAX_ID = "91310000MA1FL8XQ37"


def test_the_funding_contract_in_fen(pm):
    brief, _match = engage(pm, fixed_price=8000)

    data = client_for(brief.startup.owner).get(f"/api/v1/briefs/{brief.pk}/funding/").json()

    assert {k: data[k] for k in ("due", "funded", "held", "currency", "status")} == {
        "due": 880000,
        "funded": 0,
        "held": 0,
        "currency": "CNY",
        "status": "awaiting_funding",
    }
    assert data["reference"] == f"KG{brief.pk:06d}" + data["reference"][-2:]
    assert [m["method"] for m in data["methods"]] == ["bank_transfer", "dev"]
    assert data["methods"][1]["development_only"] is True
    assert client_for(pm).get(f"/api/v1/briefs/{brief.pk}/funding/").status_code == 200


def test_a_replayed_funding_call_answers_the_same_and_moves_money_once(pm):
    brief, _match = engage(pm)
    owner = client_for(brief.startup.owner)
    url = f"/api/v1/briefs/{brief.pk}/funding/"

    first = owner.post(url, {"method": "dev"}, HTTP_IDEMPOTENCY_KEY="pay-42-a")
    again = owner.post(url, {"method": "dev"}, HTTP_IDEMPOTENCY_KEY="pay-42-a")
    without = owner.post(url, {"method": "dev"})  # a new request: nothing is due any more

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert without.status_code == 409
    assert Receipt.objects.count() == 1
    assert LedgerTransaction.objects.filter(cause="funding").count() == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(pm):
    brief, _match = engage(pm)
    owner = client_for(brief.startup.owner)
    owner.post(f"/api/v1/briefs/{brief.pk}/funding/", {"method": "dev"}, HTTP_IDEMPOTENCY_KEY="k1")

    other = owner.post(
        "/api/v1/invoices/",
        {"brief": brief.pk, "title": "t", "tax_id": TAX_ID, "address": "a", "bank": "b"},
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    bad = owner.post(
        f"/api/v1/briefs/{brief.pk}/funding/", {"method": "dev"}, HTTP_IDEMPOTENCY_KEY="a b"
    )

    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["Idempotency-Key"]
    assert IdempotentRequest.objects.count() == 1
    assert InvoiceRequest.objects.count() == 0


def test_a_failed_request_stores_no_answer_and_may_be_retried_with_its_key(pm):
    brief, _match = engage(pm)
    owner = client_for(brief.startup.owner)
    url = f"/api/v1/briefs/{brief.pk}/funding/"

    refused = owner.post(url, {"method": "alipay"}, HTTP_IDEMPOTENCY_KEY="retry-me")
    retried = owner.post(url, {"method": "dev"}, HTTP_IDEMPOTENCY_KEY="retry-me")

    assert refused.status_code == 400
    assert retried.status_code == 201


def test_the_statement_lists_every_movement_in_order(pm):
    brief, match = engage(pm, fixed_price=8000)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)

    data = client_for(brief.startup.owner).get(f"/api/v1/briefs/{brief.pk}/statement/").json()

    moves = [(m["kind"], m["amount"], m["balance"]) for m in data["movements"]]
    assert moves == [
        ("receipt_dev", 880000, 880000),
        ("earnings", -800000, 80000),
        ("fee", -80000, 0),
    ]
    assert data["held"] == 0


def test_the_expert_sees_pending_then_available_then_paid(pm, finance):
    brief, match = engage(pm, fixed_price=8000)
    expert = client_for(match.expert.user)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)

    pending = expert.get("/api/v1/experts/me/balance/").json()
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    available = expert.get("/api/v1/experts/me/balance/").json()
    billing.bank_account_save(
        expert=match.expert,
        holder_name="陈文",
        bank_name="招商银行",
        branch="上海分行",
        account_number="6225 8812 3456 7890",
    )
    batch = billing.payout_batch_create(actor=finance)
    billing.payout_batch_export(batch_id=batch.pk, actor=finance)
    billing.payout_batch_mark_paid(batch_id=batch.pk, actor=finance, bank_reference="PAY-1")
    paid = expert.get("/api/v1/experts/me/balance/").json()
    payouts = expert.get("/api/v1/experts/me/payouts/").json()

    assert (pending["pending"], pending["available"], pending["paid"]) == (800000, 0, 0)
    assert (available["pending"], available["available"]) == (0, 800000)
    assert (paid["available"], paid["paid"]) == (0, 800000)
    assert [(p["amount"], p["status"]) for p in payouts["results"]] == [(800000, "paid")]


def test_a_startup_requests_a_fapiao_once_the_fee_is_charged_with_a_checked_tax_id(pm):
    brief, match = engage(pm, fixed_price=8000)
    owner = client_for(brief.startup.owner)
    body = {
        "brief": brief.pk,
        "title": "水杯科技（上海）有限公司",
        "tax_id": TAX_ID,
        "address": "上海市",
        "bank": "招商银行",
    }

    early = owner.post("/api/v1/invoices/", body)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    bad = owner.post("/api/v1/invoices/", {**body, "tax_id": TAX_ID[:-1] + "0", "title": ""})
    made = owner.post("/api/v1/invoices/", {**body, "tax_id": TAX_ID.lower()})
    twice = owner.post("/api/v1/invoices/", body)

    assert early.status_code == 409
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"tax_id", "title"}
    assert made.status_code == 201, made.json()
    assert (made.json()["amount"], made.json()["expert_part"], made.json()["tax_id"]) == (
        80000,
        800000,
        TAX_ID,
    )
    assert twice.status_code == 409
    assert [i["id"] for i in owner.get("/api/v1/invoices/").json()["results"]] == [
        made.json()["id"]
    ]


def test_finance_issues_the_fapiao_and_only_its_startup_downloads_it(
    pm, finance, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    billing.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    invoice = billing.invoice_request(
        user=brief.startup.owner,
        brief_id=brief.pk,
        title="水杯科技",
        tax_id=TAX_ID,
        address="上海",
        bank="招行",
    )
    with pytest.raises(Exception, match="PDF"):
        billing.invoice_issue(
            invoice_id=invoice.pk,
            actor=finance,
            invoice_number="0001",
            pdf=SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf"),
        )
    billing.invoice_issue(
        invoice_id=invoice.pk,
        actor=finance,
        invoice_number="04400012345",
        pdf=SimpleUploadedFile("f.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    url = reverse("billing:invoice_pdf", args=[invoice.pk])

    from django.test import Client

    owner, stranger = Client(), Client()
    owner.force_login(brief.startup.owner)
    stranger.force_login(factories.StartupFactory().owner)
    response = owner.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert stranger.get(url).status_code == 404


def test_a_replayed_acceptance_answers_the_same_and_releases_once(pm):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    owner = client_for(brief.startup.owner)
    url = f"/api/v1/briefs/{brief.pk}/accept/"

    first = owner.post(url, {"rating": 5}, HTTP_IDEMPOTENCY_KEY="accept-1")
    again = owner.post(url, {"rating": 5}, HTTP_IDEMPOTENCY_KEY="accept-1")
    without = owner.post(url, {"rating": 5})

    assert (first.status_code, again.status_code, without.status_code) == (200, 200, 409)
    assert again.json() == first.json()
    assert LedgerTransaction.objects.filter(kind="earnings").count() == 1


def test_the_schema_documents_the_idempotency_key_on_money_posts(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/briefs/{id}/funding/",
        "/api/v1/briefs/{id}/funding/approve/",
        "/api/v1/invoices/",
        "/api/v1/briefs/{id}/accept/",
        "/api/v1/briefs/{id}/cancel/",
    ):
        names = [p["name"] for p in schema["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
    accept = schema["paths"]["/api/v1/briefs/{id}/accept/"]["post"]
    assert accept["summary"] == "Accept the delivery and rate it 1–5 (the startup)"
