"""The ledger's rules, held by the database.

PostgreSQL:
- `billing_ledgertransaction_balanced` and `billing_ledgerentry_balanced`: deferred constraint
  triggers. At commit (or at `SET CONSTRAINTS … IMMEDIATE`, which `billing.ledger.post` runs
  before it returns) each transaction touched has at least two entries that add up to zero, and
  no escrow, payable or refunds-due account holds less than nothing.
- Entries and transactions are never updated or deleted; no money row is ever deleted. TRUNCATE
  (test tooling only) does not fire row triggers.

SQLite (`make run`): entries and transactions are never updated. Its flush deletes rows, so
deletes are left to the models' guards; the sums are checked by `billing.ledger.post`.
"""

from django.db import migrations

#: Money rows never deleted (PostgreSQL).
NO_DELETE_TABLES = [
    "billing_account",
    "billing_brieffunding",
    "billing_fundingdecision",
    "billing_statementimport",
    "billing_statementline",
    "billing_receipt",
    "billing_refund",
    "billing_settlement",
    "billing_expertbankaccount",
    "billing_payoutbatch",
    "billing_payout",
    "billing_invoicerequest",
]
APPEND_ONLY_TABLES = ["billing_ledgertransaction", "billing_ledgerentry"]

PG_FORWARD = """
CREATE OR REPLACE FUNCTION billing_check_transaction(txn_id bigint) RETURNS void AS $$
DECLARE
    total bigint;
    n integer;
BEGIN
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, n
      FROM billing_ledgerentry WHERE transaction_id = txn_id;
    IF n < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction %% is unbalanced: %% entries adding up to %% fen',
            txn_id, n, total USING ERRCODE = 'check_violation';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_ledgertransaction_check() RETURNS trigger AS $$
BEGIN
    PERFORM billing_check_transaction(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_ledgerentry_check() RETURNS trigger AS $$
DECLARE
    account_kind varchar;
    raw bigint;
BEGIN
    PERFORM billing_check_transaction(NEW.transaction_id);
    SELECT kind INTO account_kind FROM billing_account WHERE id = NEW.account_id;
    IF account_kind IN ('escrow', 'payable', 'refunds_due') THEN
        SELECT COALESCE(SUM(amount), 0) INTO raw
          FROM billing_ledgerentry WHERE account_id = NEW.account_id;
        IF raw > 0 THEN
            RAISE EXCEPTION 'ledger account %% (%%) would hold less than nothing: %% fen',
                NEW.account_id, account_kind, -raw USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER billing_ledgertransaction_balanced
AFTER INSERT ON billing_ledgertransaction
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION billing_ledgertransaction_check();

CREATE CONSTRAINT TRIGGER billing_ledgerentry_balanced
AFTER INSERT ON billing_ledgerentry
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION billing_ledgerentry_check();

CREATE OR REPLACE FUNCTION billing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are never %% (%%): post a reversing transaction',
        lower(TG_OP), TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'money rows are never deleted (%%)', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS billing_ledgerentry_balanced ON billing_ledgerentry;
DROP TRIGGER IF EXISTS billing_ledgertransaction_balanced ON billing_ledgertransaction;
DROP FUNCTION IF EXISTS billing_ledgerentry_check();
DROP FUNCTION IF EXISTS billing_ledgertransaction_check();
DROP FUNCTION IF EXISTS billing_check_transaction(bigint);
"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
        for table in APPEND_ONLY_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER billing_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();"
            )
        for table in NO_DELETE_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER billing_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION billing_refuse_delete();"
            )
    elif vendor == "sqlite":
        for table in APPEND_ONLY_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER billing_append_only_{table} BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'ledger rows are never updated'); END;"
            )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in APPEND_ONLY_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS billing_append_only ON {table};")
        for table in NO_DELETE_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS billing_no_delete ON {table};")
        schema_editor.execute(PG_BACKWARD)
        schema_editor.execute("DROP FUNCTION IF EXISTS billing_refuse_change();")
        schema_editor.execute("DROP FUNCTION IF EXISTS billing_refuse_delete();")
    elif vendor == "sqlite":
        for table in APPEND_ONLY_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS billing_append_only_{table};")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
