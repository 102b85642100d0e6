"""The database triggers the data-safety rules rely on exist after `migrate`.

A later migration that makes SQLite rebuild a table (to alter a column, say) drops that table's
triggers without a word; on PostgreSQL a `DROP FUNCTION … CASCADE` would do the same. These
checks fail then, instead of the status log or the PM counters quietly going wrong.
"""

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

audit = importlib.import_module("marketplace.migrations.0004_audit_triggers")

#: On both backends: (trigger, table).
BOTH = {
    ("kaigan_brief_status_audit", "marketplace_brief"),
    ("kaigan_pm_open_briefs_insert", "marketplace_brief"),
    ("kaigan_pm_open_briefs_update", "marketplace_brief"),
}


def _triggers() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        else:
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        return set(cursor.fetchall())


def test_the_status_log_and_pm_counter_triggers_exist():
    assert _triggers() >= BOTH


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the delete guard is PostgreSQL's")
def test_every_business_table_refuses_deletes():
    expected = {("kaigan_no_delete", table) for table in audit.PROTECTED_TABLES}
    assert _triggers() >= expected
