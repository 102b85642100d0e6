"""kaigan.db.execute_prepared: a statement prepared once per database session, whatever
becomes of transactions and connections."""

import pytest
from django.db import NotSupportedError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kaigan import db

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only"
)

SQL = "SELECT %s::int + 1, '100%%', %s::text"


def _run(sql=SQL, params=(1, "开干")):
    with connection.cursor() as cursor:
        db.execute_prepared(cursor, sql, params)
        return cursor.fetchone()


def _prepared_texts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'kaigan_%%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_values_and_percent_signs_arrive_as_sent_and_each_run_counts_once():
    assert _run() == (2, "100%", "开干")
    with CaptureQueriesContext(connection) as queries:
        assert _run(params=(41, "x")) == (42, "100%", "x")
    assert len(queries) == 1  # the EXECUTE; the PREPARE was sent once, before
    assert queries[0]["sql"].startswith("EXECUTE kaigan_")
    assert any("$1::int + 1, '100%', $2::text" in text for text in _prepared_texts())


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again_and_a_rolled_back_one_keeps_its_statement():
    assert _run() == (2, "100%", "开干")
    connection.close()  # a new database session has no prepared statement
    assert _run(params=(2, "y")) == (3, "100%", "y")

    other = "SELECT %s::int * 2"

    def prepared_then_rolled_back():
        with transaction.atomic():
            assert _run(other, (21,)) == (42,)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        prepared_then_rolled_back()
    assert _run(other, (5,)) == (10,)  # PREPARE is not undone by the rollback


@pytest.mark.django_db
def test_beyond_the_cap_statements_are_sent_as_they_are(monkeypatch):
    monkeypatch.setattr(db, "MAX_PREPARED", 0)
    with CaptureQueriesContext(connection) as queries:
        assert _run("SELECT %s::int - 1", (1,)) == (0,)
    assert queries[0]["sql"] == "SELECT 1::int - 1"


@pytest.fixture
def scratch_table(django_db_blocker):
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS kaigan_prepared_probe (n varchar(10))")
        cursor.execute("DELETE FROM kaigan_prepared_probe")
        cursor.execute("INSERT INTO kaigan_prepared_probe VALUES ('a')")
    yield "SELECT n FROM kaigan_prepared_probe WHERE n <> %s"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS kaigan_prepared_probe")


@pytest.mark.django_db(transaction=True)
def test_a_column_that_changed_type_is_prepared_again(scratch_table):
    """A migration that changes a returned column's type makes PostgreSQL refuse the prepared
    statement ("cached plan must not change result type"): it is prepared again."""
    assert _run(scratch_table, ("z",)) == ("a",)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE kaigan_prepared_probe ALTER COLUMN n TYPE varchar(20)")
    assert _run(scratch_table, ("z",)) == ("a",)  # outside a transaction: at once

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE kaigan_prepared_probe ALTER COLUMN n TYPE text")

    def in_a_transaction():
        with transaction.atomic():
            _run(scratch_table, ("z",))

    # Inside a transaction the refusal aborts it; the next call prepares the statement again.
    with pytest.raises(NotSupportedError):
        in_a_transaction()
    assert _run(scratch_table, ("z",)) == ("a",)
