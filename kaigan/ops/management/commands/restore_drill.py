"""The restore drill (docs/OPERATIONS.md): back up the database, restore it into a scratch
database, and prove the copy equals the original, table by table.

    python manage.py restore_drill            # dump, restore, compare, drop the scratch copy
    python manage.py restore_drill --dump F   # restore and compare an existing dump instead

For each table of the original and of the copy it reads the row count and a content hash (the
md5 of every row's text, in a stable order), and fails (exit 1) on any difference. It needs
`pg_dump` and `pg_restore` of the server's major version on the PATH and a role that may
create databases. Writes made during the drill may differ: run it against a quiet database (a
replica, or the restored copy of last night's dump), not a busy primary.
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from psycopg2 import sql

FINGERPRINT = sql.SQL(
    "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') "
    "FROM (SELECT md5(t::text) AS h FROM {} t) rows"
)


def fingerprint(conn) -> dict[str, tuple[int, str]]:
    """Table -> (rows, content hash), for every table of the public schema."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        result = {}
        for table in tables:
            cursor.execute(FINGERPRINT.format(sql.Identifier(table)))
            count, digest = cursor.fetchone()
            result[table] = (count, digest)
    return result


class Command(BaseCommand):
    help = "Dump the database, restore it into a scratch database and compare them."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--dump", help="restore this pg_dump file (custom format) instead")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")

    def handle(self, *args, database, dump, keep, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("The restore drill needs PostgreSQL.")
        params = connection.get_connection_params()
        env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
        base = ["-h", str(params.get("host") or "127.0.0.1"), "-p", str(params.get("port") or 5432)]
        base += ["-U", str(params.get("user") or "postgres")]
        source = params["dbname"]
        scratch = f"{source}_restore_drill"[:63]
        started = time.monotonic()

        with tempfile.TemporaryDirectory() as folder:
            if dump is None:
                dump = str(Path(folder) / "kaigan.dump")
                subprocess.run(  # noqa: S603
                    ["pg_dump", *base, "-Fc", "--no-owner", "-f", dump, source],  # noqa: S607
                    env=env,
                    check=True,
                )
            size = Path(dump).stat().st_size
            admin = self._connect(params, "postgres")
            try:
                with admin.cursor() as cursor:
                    cursor.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch))
                    )
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
                subprocess.run(  # noqa: S603
                    ["pg_restore", *base, "--no-owner", "-d", scratch, dump],  # noqa: S607
                    env=env,
                    check=True,
                )
                original_conn = self._connect(params, source)
                copy_conn = self._connect(params, scratch)
                try:
                    original, copy = fingerprint(original_conn), fingerprint(copy_conn)
                finally:
                    original_conn.close()
                    copy_conn.close()
            finally:
                if not keep:
                    with admin.cursor() as cursor:
                        cursor.execute(
                            sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch))
                        )
                admin.close()

        differ = sorted(
            table
            for table in original.keys() | copy.keys()
            if original.get(table) != copy.get(table)
        )
        rows = sum(count for count, _ in original.values())
        seconds = time.monotonic() - started
        for table in differ:
            self.stderr.write(f"  {table}: original {original.get(table)}, copy {copy.get(table)}")
        summary = (
            f"{len(original)} tables, {rows} rows, dump {size} bytes, {seconds:.1f} s: "
            f"{len(differ)} tables differ"
        )
        if differ:
            raise CommandError(f"Restore drill FAILED: {summary}")
        self.stdout.write(f"Restore drill passed: {summary} (row counts and content hashes).")

    @staticmethod
    def _connect(params: dict, dbname: str):
        conn = psycopg2.connect(
            dbname=dbname,
            host=params.get("host") or "127.0.0.1",
            port=params.get("port") or 5432,
            user=params.get("user"),
            password=params.get("password"),
        )
        conn.autocommit = True
        return conn
