"""Server-side prepared statements for the hottest statements of the API (PostgreSQL).

PostgreSQL parses and plans every statement it is sent. For the statements that every API
request sends (the token's, kaigan.api.authentication) and the pages that PostgreSQL renders
(kaigan.api.json_rows), that was most of the database's time: the brief list's page took
2.5 ms as sent and 0.65 ms as a prepared statement, the token's 0.135 and 0.05 ms
(bench/LOAD.md). psycopg2 does not prepare statements, so `execute_prepared` does it with SQL:
`PREPARE` once per statement text and database session (the connection persists,
CONN_MAX_AGE), then `EXECUTE` with the values. After five executions PostgreSQL may keep one
generic plan.

A prepared statement lives as long as the session, whatever becomes of the transaction it was
prepared in; a new connection starts with none, and a statement whose tables change is planned
again by PostgreSQL, unless a column it returns changed type: PostgreSQL then refuses it
("cached plan must not change result type") and it is prepared again. Executions go through
Django's cursor, so query counts, logging and `execute_wrapper` see them (as
`EXECUTE kaigan_N (...)`; the view pg_prepared_statements holds the text). Not for use behind a
pooler that shares sessions between clients by transaction (PgBouncer's transaction mode):
Kaigan's deployment has none.
"""

import itertools
import re

from django.db import NotSupportedError

# Statement texts per session; beyond this (filters and page sizes make new texts) statements
# are sent as they are.
MAX_PREPARED = 100

_PLACEHOLDER = re.compile(r"%([s%])")


def _numbered(sql: str) -> str:
    """psycopg2's placeholders (%s, and %% for a percent sign) as PostgreSQL's $1, $2, ..."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda m: f"${next(numbers)}" if m.group(1) == "s" else "%", sql)


class _Session:
    """What one database session has prepared: statement text -> name."""

    def __init__(self, raw):
        self.raw = raw
        self.names: dict[str, str] = {}
        self.numbers = itertools.count(1)


def execute_prepared(cursor, sql: str, params=()) -> None:
    """Execute `sql` (with psycopg2's placeholders) on `cursor`, a Django cursor, as a prepared
    statement of the cursor's database session; elsewhere than on PostgreSQL, as it is."""
    connection = cursor.db
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    raw = connection.connection
    session = connection.__dict__.get("_kaigan_prepared")
    if session is None or session.raw is not raw:  # a new connection: nothing prepared yet
        session = connection.__dict__["_kaigan_prepared"] = _Session(raw)
    name = session.names.get(sql)
    if name is None:
        if len(session.names) >= MAX_PREPARED:
            cursor.execute(sql, params)
            return
        name = _prepare(connection, cursor, session, sql)
    try:
        _execute(cursor, name, params)
    except NotSupportedError:
        # "cached plan must not change result type": a migration changed the type of a column
        # the statement returns, and PostgreSQL will not run it again. Forget it; outside a
        # transaction prepare it again at once, inside one (now aborted) at the next call.
        del session.names[sql]
        if connection.in_atomic_block:
            raise
        with connection.wrap_database_errors:
            cursor.cursor.execute(f"DEALLOCATE {name}")
        _execute(cursor, _prepare(connection, cursor, session, sql), params)


def _prepare(connection, cursor, session: _Session, sql: str) -> str:
    name = f"kaigan_{next(session.numbers)}"
    # Straight to psycopg2 (no parameters: it sends the text as it is), as setting up the
    # session is: query counts see each execution, not this.
    with connection.wrap_database_errors:
        cursor.cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
    session.names[sql] = name
    return name


def _execute(cursor, name: str, params) -> None:
    if params:
        cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}")
