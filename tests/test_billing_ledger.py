"""Issue 21: the ledger's core. Double entry in fen, append-only, once per idempotency key,
never below zero where it must not be; PostgreSQL holds the same rules on its own."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from billing import ledger
from billing.models import (
    Account,
    AppendOnlyError,
    BriefFunding,
    LedgerEntry,
    LedgerTransaction,
)
from kaigan.errors import Conflict
from tests import factories

pytestmark = pytest.mark.django_db
K = Account.Kind
FUNDING = LedgerTransaction.Cause.FUNDING
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database's own guard is PostgreSQL's"
)


def _fund(brief, fen, key="fund-1"):
    return ledger.post(
        cause=FUNDING,
        kind="receipt",
        key=key,
        lines=[(ledger.platform_account(K.BANK), fen), (ledger.escrow_account(brief.pk), -fen)],
        brief_id=brief.pk,
    )


def test_a_balanced_transaction_moves_money_between_accounts():
    brief = factories.BriefFactory()
    posted = _fund(brief, 1_234_56)

    assert posted.created
    assert sorted(posted.transaction.entries.values_list("amount", flat=True)) == [-123456, 123456]
    assert ledger.balance(ledger.escrow_account(brief.pk)) == 123456  # escrow holds it
    assert ledger.balance(ledger.platform_account(K.BANK)) == 123456  # and so does the bank


@pytest.mark.parametrize(
    "amounts",
    [[100, -99], [100], [100, 0, -100], [1.5, -1.5], [True, -1]],
    ids=["unbalanced", "one entry", "a zero entry", "not fen", "a bool"],
)
def test_the_service_refuses_what_does_not_add_up(amounts):
    brief = factories.BriefFactory()
    accounts = [ledger.platform_account(K.BANK), ledger.escrow_account(brief.pk)] * 2
    lines = list(zip(accounts, amounts, strict=False))

    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post(cause=FUNDING, kind="receipt", key="k", lines=lines)
    assert LedgerTransaction.objects.count() == 0


def test_the_same_key_posts_once_and_other_amounts_under_it_are_refused():
    brief = factories.BriefFactory()
    first = _fund(brief, 5000)
    again = _fund(brief, 5000)

    assert (first.created, again.created) == (True, False)
    assert again.transaction.pk == first.transaction.pk
    with pytest.raises(Conflict):
        _fund(brief, 6000)
    assert LedgerTransaction.objects.count() == 1
    assert ledger.balance(ledger.escrow_account(brief.pk)) == 5000


def test_escrow_never_goes_below_zero():
    brief, expert = factories.BriefFactory(), factories.ExpertFactory()
    _fund(brief, 1000)

    with pytest.raises(ledger.InsufficientFunds):
        ledger.post(
            cause=LedgerTransaction.Cause.RELEASE,
            kind="earnings",
            key="release",
            lines=[
                (ledger.escrow_account(brief.pk), 1001),
                (ledger.payable_account(expert.pk), -1001),
            ],
        )
    assert LedgerTransaction.objects.count() == 1
    assert ledger.balance(ledger.payable_account(expert.pk)) == 0


def test_ledger_rows_are_never_updated_or_deleted_through_the_orm():
    txn = _fund(factories.BriefFactory(), 100).transaction
    entry = txn.entries.first()

    for attempt in (
        lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount=1),
        lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(),
        lambda: LedgerTransaction.objects.all().delete(),
        entry.save,
        entry.delete,
        txn.save,
        txn.delete,
        lambda: Account.objects.all().delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert sorted(txn.entries.values_list("amount", flat=True)) == [-100, 100]


def test_a_correction_is_a_reversing_transaction_once():
    brief = factories.BriefFactory()
    original = _fund(brief, 700).transaction
    actor = factories.UserFactory(role="admin", is_staff=True)

    first = ledger.reverse(original=original, actor=actor, memo="错账")
    again = ledger.reverse(original=original, actor=actor, memo="错账")

    assert first.created
    assert not again.created
    assert first.transaction.reverses_id == original.pk
    assert first.transaction.cause == LedgerTransaction.Cause.ADJUSTMENT
    assert ledger.balance(ledger.escrow_account(brief.pk)) == 0
    assert LedgerTransaction.objects.count() == 2  # the original stays, as it was


def _write_around_the_service(key, lines, *, check_now=True):
    """Rows written straight to the tables, as a bug or a hand in psql could; `check_now` runs
    the deferred triggers at once (what COMMIT does)."""
    with transaction.atomic():
        txn = LedgerTransaction.objects.create(cause=FUNDING, kind="receipt", idempotency_key=key)
        LedgerEntry.objects.bulk_create(
            LedgerEntry(transaction=txn, account=account, amount=amount)
            for account, amount in lines
        )
        if check_now:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@postgres_only
def test_postgresql_refuses_an_unbalanced_transaction_written_around_the_service():
    brief = factories.BriefFactory()
    bank, escrow = ledger.platform_account(K.BANK), ledger.escrow_account(brief.pk)

    with pytest.raises(IntegrityError, match="unbalanced"):
        _write_around_the_service("x", [(bank, 100), (escrow, -99)])
    with pytest.raises(IntegrityError, match="unbalanced"):
        _write_around_the_service("empty", [])
    assert LedgerTransaction.objects.count() == 0


@postgres_only
def test_postgresql_refuses_an_escrow_below_zero_written_around_the_service():
    brief, expert = factories.BriefFactory(), factories.ExpertFactory()
    _fund(brief, 100)
    escrow, payable = ledger.escrow_account(brief.pk), ledger.payable_account(expert.pk)

    with pytest.raises(IntegrityError, match="less than nothing"):
        _write_around_the_service("r", [(escrow, 101), (payable, -101)])
    assert ledger.balance(escrow) == 100


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@postgres_only
def test_postgresql_refuses_to_change_or_delete_ledger_rows_in_raw_sql():
    brief = factories.BriefFactory()
    txn = _fund(brief, 100).transaction
    BriefFunding.objects.create(brief=brief, reference="KG00000100")
    for sql, params in (
        ("UPDATE billing_ledgerentry SET amount = amount * 2", ()),
        ("DELETE FROM billing_ledgerentry", ()),
        ("UPDATE billing_ledgertransaction SET memo = 'x' WHERE id = %s", (txn.pk,)),
        ("DELETE FROM billing_account", ()),
        ("DELETE FROM billing_brieffunding", ()),
    ):
        with pytest.raises(IntegrityError):
            _raw(sql, params)
    assert sorted(txn.entries.values_list("amount", flat=True)) == [-100, 100]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_deferred_check_runs_at_commit():
    brief = factories.BriefFactory()
    bank, escrow = ledger.platform_account(K.BANK), ledger.escrow_account(brief.pk)
    lines = [(bank, 100), (escrow, -100), (escrow, -1)]

    with pytest.raises(IntegrityError, match="unbalanced"):
        # No SET CONSTRAINTS: the triggers fire at COMMIT, when atomic() leaves.
        _write_around_the_service("c", lines, check_now=False)
    assert LedgerTransaction.objects.count() == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_postings_of_one_key_at_once_move_money_once():
    brief = factories.BriefFactory()
    bank, escrow = ledger.platform_account(K.BANK), ledger.escrow_account(brief.pk)
    barrier, results, errors = threading.Barrier(20), [], []

    def worker():
        try:
            barrier.wait()
            with transaction.atomic():
                posted = ledger.post(
                    cause=FUNDING,
                    kind="receipt",
                    key="same-receipt",
                    lines=[(bank, 8800), (escrow, -8800)],
                    brief_id=brief.pk,
                )
            results.append(posted.created)
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False] * 19 + [True]
    assert LedgerTransaction.objects.count() == 1
    assert ledger.balance(escrow) == 8800
