"""The ledger's one door: post a balanced transaction once, reverse one, read balances.

Every posting:
- adds up to zero over two or more non-zero entries (checked here, and by PostgreSQL's deferred
  constraint triggers, which this module makes fire before `post` returns);
- carries a cause, an actor (None: the platform's own job) and an idempotency key: the same key
  returns the transaction already posted, and the same key with other entries is a conflict;
- locks the accounts that must never go below zero (escrow, payable, refunds due) in id order,
  then checks their balances after the entries. Callers that act on a brief lock the brief's row
  first (`marketplace.services.brief_lock`): the one lock order is brief, then accounts.
"""

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from billing.models import Account, LedgerEntry, LedgerTransaction
from kaigan.errors import Conflict, InvalidTransition

K = Account.Kind
#: The PostgreSQL constraint triggers (migration 0002) this module fires at the end of a post.
CONSTRAINT_TRIGGERS = "billing_ledgerentry_balanced, billing_ledgertransaction_balanced"


class UnbalancedTransaction(ValueError):
    """A programming error: entries that do not add up, or fewer than two."""


class InsufficientFunds(InvalidTransition):
    """An account that never goes below zero would."""

    code = "insufficient_funds"


@dataclass(frozen=True)
class Posted:
    transaction: LedgerTransaction
    created: bool


# --- accounts -------------------------------------------------------------------------------


def _account(**lookup) -> Account:
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:  # made at the same time by another posting
        return Account.objects.get(**lookup)


def platform_account(kind: str) -> Account:
    assert kind in (K.BANK, K.REFUNDS_DUE, K.UNMATCHED, K.FEE_INCOME, K.PLATFORM_COST), kind
    return _account(kind=kind)


def escrow_account(brief_id: int) -> Account:
    return _account(kind=K.ESCROW, brief_id=brief_id)


def payable_account(expert_id: int) -> Account:
    return _account(kind=K.PAYABLE, expert_id=expert_id)


def provider_account(provider: str) -> Account:
    return _account(kind=K.PROVIDER, provider=provider)


def natural(account_kind: str, raw: int) -> int:
    """A raw balance (debits positive) as the account reads it: credit accounts flip the sign."""
    return raw if account_kind in Account.DEBIT_KINDS else -raw


def balance(account: Account) -> int:
    """The account's balance in fen, in its own sense (what escrow holds, what is payable…)."""
    raw = LedgerEntry.objects.filter(account=account).aggregate(total=Coalesce(Sum("amount"), 0))[
        "total"
    ]
    return natural(account.kind, raw)


def balances(accounts) -> dict[int, int]:
    """{account id: balance in its own sense} for these accounts, in one query."""
    accounts = list(accounts)
    raw = dict(
        LedgerEntry.objects.filter(account__in=accounts)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    return {a.pk: natural(a.kind, raw.get(a.pk, 0)) for a in accounts}


# --- posting --------------------------------------------------------------------------------


def _check_balanced(lines) -> None:
    if len(lines) < 2:
        raise UnbalancedTransaction("a transaction has at least two entries")
    for account, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            raise UnbalancedTransaction(f"an entry is a non-zero whole number of fen: {amount!r}")
        if account.pk is None:
            raise UnbalancedTransaction("an entry's account must be saved")
    if sum(amount for _account, amount in lines) != 0:
        raise UnbalancedTransaction("the entries of a transaction add up to zero")


def _same(existing: LedgerTransaction, cause: str, lines) -> bool:
    stored = sorted(existing.entries.values_list("account_id", "amount"))
    return existing.cause == cause and stored == sorted((a.pk, amount) for a, amount in lines)


def _replay(key: str, cause: str, lines) -> Posted | None:
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if not _same(existing, cause, lines):
        raise Conflict(
            _("This operation was already recorded with other amounts."),
            code="idempotency_conflict",
        )
    return Posted(existing, created=False)


def post(
    *,
    cause: str,
    kind: str,
    key: str,
    lines: list[tuple[Account, int]],
    actor=None,
    brief_id: int | None = None,
    memo: str = "",
    reverses: LedgerTransaction | None = None,
) -> Posted:
    """Post `lines` [(account, fen)] once under `key`; see the module's docstring.

    One savepoint: a refused posting (not enough money, a key reused with other amounts) rolls
    back to it and leaves the caller's transaction usable."""
    _check_balanced(lines)
    try:
        with transaction.atomic():
            return _post(cause, kind, key, lines, actor, brief_id, memo, reverses)
    except IntegrityError:
        replayed = _replay(key, cause, lines)  # the same key committed meanwhile
        if replayed is not None:
            return replayed
        raise


def _post(cause, kind, key, lines, actor, brief_id, memo, reverses) -> Posted:
    guarded = sorted(
        {account.pk for account, _amount in lines if account.kind in Account.NEVER_NEGATIVE}
    )
    locked = []
    if guarded:  # locked first, so that the replay check below sees a posting that won
        locked = list(Account.objects.select_for_update().filter(pk__in=guarded).order_by("pk"))
    replayed = _replay(key, cause, lines)
    if replayed is not None:
        return replayed
    txn = LedgerTransaction.objects.create(
        cause=cause,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        idempotency_key=key,
        brief_id=brief_id,
        memo=memo[:500],
        reverses=reverses,
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=txn, account=account, amount=amount) for account, amount in lines
    )
    _check_not_negative(locked)
    if connection.vendor == "postgresql":
        # The database's own check, now rather than at commit (the triggers are deferred: they
        # fire when the mode turns immediate), then back to deferred.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SET CONSTRAINTS {CONSTRAINT_TRIGGERS} IMMEDIATE; "
                f"SET CONSTRAINTS {CONSTRAINT_TRIGGERS} DEFERRED"
            )
    return Posted(txn, created=True)


def _check_not_negative(accounts) -> None:
    """Each of these (locked) accounts holds at least nothing after the entries just made."""
    if not accounts:
        return
    amounts = balances(accounts)
    for account in accounts:
        if amounts[account.pk] < 0:
            raise InsufficientFunds(
                _("Not enough money on the account for this (%(account)s).") % {"account": account}
            )


def reverse(*, original: LedgerTransaction, actor, memo: str = "") -> Posted:
    """A correction: the same entries with the opposite sign, naming the transaction it undoes.

    A transaction is reversed at most once (its key, and a one-to-one column)."""
    lines = [(entry.account, -entry.amount) for entry in original.entries.select_related("account")]
    return post(
        cause=LedgerTransaction.Cause.ADJUSTMENT,
        kind="reversal",
        key=f"reverse:{original.pk}",
        lines=lines,
        actor=actor,
        brief_id=original.brief_id,
        memo=memo,
        reverses=original,
    )
