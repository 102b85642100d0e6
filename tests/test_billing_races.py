"""Issue 21: the same release, refund or payout fired 20 times at once moves money once (row
locks and idempotency keys), through the services and through the API, on PostgreSQL."""

import json
import threading

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from billing import ledger
from billing import services as billing
from billing.models import Account, LedgerTransaction, Payout, Receipt, Refund
from billing.selectors import escrow_state
from projects import services as projects_services
from tests import factories
from tests.test_billing_flow import engage, rematch

AT_ONCE = 20
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def at_once(call, n=AT_ONCE):
    """Run `call()` in n threads released together; (results, errors)."""
    barrier, results, errors = threading.Barrier(n), [], []

    def run():
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # noqa: BLE001  (collected and asserted by the caller)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def _accepted_unreleased(pm):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    # Accepted through the lower service: the release is left to billing.
    projects_services.work_accept(brief_id=brief.pk, user=brief.startup.owner, rating=5)
    return brief, match


def test_one_release_fired_twenty_times_at_once_releases_once(pm):
    brief, match = _accepted_unreleased(pm)

    _results, errors = at_once(lambda: billing.brief_settle(brief_id=brief.pk))

    assert errors == []
    assert LedgerTransaction.objects.filter(kind="earnings").count() == 1
    assert LedgerTransaction.objects.filter(kind="fee").count() == 1
    assert ledger.balance(ledger.payable_account(match.expert_id)) == 800000
    assert escrow_state(brief).held == 0


def test_twenty_acceptances_through_the_api_release_once(pm):
    brief, match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    billing.work_deliver(brief_id=brief.pk, user=match.expert.user)
    token = factories.api_token(brief.startup.owner)

    def accept():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client.post(f"/api/v1/briefs/{brief.pk}/accept/", {"rating": 5}).status_code

    statuses, errors = at_once(accept)

    assert errors == []
    assert sorted(statuses) == [200] + [409] * (AT_ONCE - 1)
    assert LedgerTransaction.objects.filter(kind="earnings").count() == 1
    assert ledger.balance(ledger.payable_account(match.expert_id)) == 800000


def test_one_refund_paid_twenty_times_at_once_pays_once(pm, finance):
    brief, _match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    rematch(brief)
    billing.brief_cancel(brief_id=brief.pk, actor=brief.startup.owner)
    refund = Refund.objects.get()

    _results, errors = at_once(
        lambda: billing.refund_mark_paid(refund_id=refund.pk, actor=finance, bank_reference="R1")
    )

    assert errors == []
    assert LedgerTransaction.objects.filter(kind="refund_paid").count() == 1
    assert ledger.balance(ledger.platform_account(Account.Kind.REFUNDS_DUE)) == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PAID


def test_twenty_cancellations_at_once_refund_once(pm):
    brief, _match = engage(pm)
    billing.fund_with_dev_provider(brief_id=brief.pk, user=brief.startup.owner)
    rematch(brief)
    token = factories.api_token(brief.startup.owner)

    def cancel():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client.post(f"/api/v1/briefs/{brief.pk}/cancel/", {}).status_code

    statuses, errors = at_once(cancel)

    assert errors == []
    assert sorted(statuses) == [200] + [409] * (AT_ONCE - 1)
    assert list(Refund.objects.values_list("amount", flat=True)) == [880000]


def test_one_payout_batch_marked_paid_twenty_times_at_once_pays_once(pm, finance):
    brief, match = _accepted_unreleased(pm)
    billing.brief_settle(brief_id=brief.pk)
    billing.bank_account_save(
        expert=match.expert,
        holder_name="陈文",
        bank_name="招商银行",
        branch="",
        account_number="6225881234567890",
    )
    batches, errors = at_once(lambda: billing.payout_batch_create(actor=finance).pk)
    assert errors == []
    assert len(set(batches)) == 1  # one batch a week, however many make it at once
    batch_id = batches[0]
    assert Payout.objects.count() == 1
    billing.payout_batch_export(batch_id=batch_id, actor=finance)

    _results, errors = at_once(
        lambda: billing.payout_batch_mark_paid(
            batch_id=batch_id, actor=finance, bank_reference="PAY-1"
        )
    )

    assert errors == []
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    assert ledger.balance(ledger.payable_account(match.expert_id)) == 0


def test_twenty_replays_of_one_idempotency_key_at_once_fund_once_and_answer_alike(pm):
    brief, _match = engage(pm)
    token = factories.api_token(brief.startup.owner)

    def fund():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = client.post(
            f"/api/v1/briefs/{brief.pk}/funding/",
            {"method": "dev"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="same-payment",
        )
        return response.status_code, response.json()

    answers, errors = at_once(fund)

    assert errors == []
    assert {status for status, _body in answers} == {201}
    # The same answer (as JSON: the stored copy may list the keys in another order).
    assert len({json.dumps(body, sort_keys=True) for _status, body in answers}) == 1
    assert Receipt.objects.count() == 1
    with transaction.atomic():
        assert escrow_state(brief).held == 880000
