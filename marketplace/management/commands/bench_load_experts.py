"""Load N bench experts (and their users) for the matching benchmark (bench/README.md).

On PostgreSQL the rows are streamed through COPY (binary format: nothing for the server to
parse) while they are generated, so a million experts load in under a minute; elsewhere they
go through bulk_create (slow, for smoke tests only). Every bench user has an email
`bench-<n>@bench.example.com` and an unusable password, so `--reset` removes bench rows and
nothing else.
"""

import bisect
import itertools
import math
import multiprocessing
import random
import struct
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from experts import scoring
from experts.models import Expert, Tag
from kaigan.accounts.models import User

BENCH_DOMAIN = "bench.example.com"
BENCH_EMAIL_PREFIX = "bench-"
BENCH_EMAIL_LIKE = f"{BENCH_EMAIL_PREFIX}%@{BENCH_DOMAIN}"
BENCH_STARTUP_EMAIL = f"bench-startup@{BENCH_DOMAIN}"
UNUSABLE_PASSWORD = "!"  # noqa: S105  (Django's marker for "no password can match")

CITIES = ("北京", "上海", "深圳", "杭州", "广州", "成都", "南京", "武汉", "西安", "苏州", "")
CAPACITIES = (1, 2, 3, 4, 5, 6, 8, 10)
CAPACITY_CUM_WEIGHTS = tuple(itertools.accumulate((8, 18, 30, 18, 12, 6, 5, 3)))
PLATFORM_AGE_DAYS = 3 * 365
PAUSED_SHARE = 0.12
FULL_SHARE = 0.15
NO_TAG_SHARE = 0.02
NO_RATE_SHARE = 0.05
NEVER_ACTIVE_SHARE = 0.03
MAX_IDLE_HOURS = 720 * 24
# Distinct sets of habits (capacity, rate, rating...) the experts draw from; a power of two.
HABITS = 1 << 16
# COPY is fed in chunks of about this many bytes.
CHUNK_BYTES = 1 << 20


def bench_email(n: int) -> str:
    return f"{BENCH_EMAIL_PREFIX}{n}@{BENCH_DOMAIN}"


def bench_users():
    return User.objects.filter(
        email__startswith=BENCH_EMAIL_PREFIX, email__endswith=f"@{BENCH_DOMAIN}"
    ).exclude(email=BENCH_STARTUP_EMAIL)


class _Clock:
    """Timestamps at whole days (joined) and hours (last active) before `now`, made once each,
    with their COPY binary field."""

    def __init__(self, now: datetime):
        self.now = now
        self.now_field = _timestamp_field(now)
        self._days: dict[int, tuple[datetime, bytes]] = {}
        self._hours: dict[int, tuple[datetime, bytes]] = {}

    def days_ago(self, days: int) -> tuple[datetime, bytes]:
        hit = self._days.get(days)
        if hit is None:
            moment = self.now - timedelta(days=days)
            hit = self._days[days] = (moment, _timestamp_field(moment))
        return hit

    def hours_ago(self, hours: int) -> tuple[datetime, bytes]:
        hit = self._hours.get(hours)
        if hit is None:
            moment = self.now - timedelta(hours=hours)
            hit = self._hours[hours] = (moment, _timestamp_field(moment))
        return hit


# COPY's binary format: a header, then per row the number of fields and each field as its
# length (-1: NULL) and its bytes in network order, then a trailer. Timestamps are
# microseconds since 2000-01-01 UTC.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)
_EMPTY_TEXT = struct.pack(">i", 0)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_int2 = struct.Struct(">ih").pack
_int4 = struct.Struct(">ii").pack
_int8 = struct.Struct(">iq").pack
_float8 = struct.Struct(">id").pack
_TRUE, _FALSE = struct.pack(">ib", 1, 1), struct.pack(">ib", 1, 0)
# The column types the binary rows are written for; checked before loading.
USER_COLUMNS = (
    ("id", "bigint"),
    ("password", "character varying"),
    ("last_login", "timestamp with time zone"),
    ("is_superuser", "boolean"),
    ("is_staff", "boolean"),
    ("is_active", "boolean"),
    ("date_joined", "timestamp with time zone"),
    ("email", "character varying"),
    ("name", "character varying"),
    ("role", "character varying"),
)
EXPERT_COLUMNS = (
    ("display_name", "character varying"),
    ("headline", "character varying"),
    ("bio", "text"),
    ("city", "character varying"),
    ("day_rate", "integer"),
    ("capacity", "smallint"),
    ("availability", "character varying"),
    ("portfolio_links", "text"),
    ("tag_claimed_at", "timestamp with time zone"),
    ("rating_count", "integer"),
    ("rating_sum", "integer"),
    ("completed_count", "integer"),
    ("active_load", "smallint"),
    ("pending_invitations", "smallint"),
    ("last_active_at", "timestamp with time zone"),
    ("rank_base", "double precision"),
    ("created_at", "timestamp with time zone"),
    ("updated_at", "timestamp with time zone"),
    ("user_id", "bigint"),
    ("tag_id", "bigint"),
)


def _text_field(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">i", len(data)) + data


def _timestamp_field(moment: datetime) -> bytes:
    delta = moment - _PG_EPOCH
    return _int8(8, (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)


def joined_days_ago(random_unit: float) -> int:
    """Days since an expert joined: a growing platform, so more recent joiners than old ones."""
    return int(random_unit**1.3 * PLATFORM_AGE_DAYS)


class BenchExpert(NamedTuple):
    """One bench expert's counters."""

    n: int
    age_days: int
    tag_id: int | None
    completed_count: int
    rating_count: int
    rating_sum: int
    capacity: int
    active_load: int
    day_rate: int | None
    idle_hours: int | None
    availability: str
    city: str


def _habits(rng: random.Random, size: int) -> list[tuple]:
    """Counters that do not depend on when an expert joined, drawn once and shared.

    (completed a year, completed share while new, share of work rated, mean rating, capacity,
    load, day rate, availability, city): each from its spread, independently.
    """
    available, paused = Expert.Availability.AVAILABLE, Expert.Availability.PAUSED
    habits = []
    for _ in range(size):
        mean = rng.gauss(4.3, 0.45)
        capacity = CAPACITIES[bisect.bisect(CAPACITY_CUM_WEIGHTS, rng.random() * 100)]
        if rng.random() < NO_RATE_SHARE:
            rate = None
        else:  # median about 1,500 CNY a day, a long tail of senior people
            rate = min(max(round(math.exp(rng.gauss(7.3, 0.6)) / 50) * 50, 100), 100_000)
        habits.append(
            (
                math.exp(rng.gauss(1.3, 1.1)),  # a long tail of busy veterans, some idle ones
                rng.random(),
                0.5 + 0.5 * rng.random(),
                min(max(mean, 1.0), 5.0),
                capacity,
                capacity if rng.random() < FULL_SHARE else int(rng.random() * capacity),
                rate,
                paused if rng.random() < PAUSED_SHARE else available,
                CITIES[int(rng.random() * len(CITIES))],
            )
        )
    return habits


def bench_experts(
    rng: random.Random, age_rng: random.Random, tag_ids: list[int], numbers: range
) -> Iterator[tuple]:
    """Experts drawn from spreads that look like a live marketplace.

    Each expert draws a tag, a joining day and a last activity of their own, and habits from a
    pool of HABITS drawn from the same spreads; the record (completed, rated) follows from the
    habits and the time since joining, so newcomers have little of one. A million experts
    generate in a few seconds. Rows are plain tuples in `BenchExpert` order (they are cheaper).
    """
    habits = _habits(rng, HABITS)
    rand, getrandbits, log, age_rand = rng.random, rng.getrandbits, math.log, age_rng.random
    habit_bits = HABITS.bit_length() - 1
    newcomer_days = scoring.NEWCOMER_DAYS
    # Tags of unequal popularity, the largest about 4x the smallest; a few experts untagged.
    order = tag_ids[:]
    rng.shuffle(order)
    tag_cum = list(itertools.accumulate(1 / math.sqrt(i + 1) for i in range(len(order))))
    tag_total, last_tag = tag_cum[-1], len(order) - 1
    for n in numbers:
        age = int(age_rand() ** 1.3 * PLATFORM_AGE_DAYS)  # as joined_days_ago, inlined
        tag_id = (
            None
            if rand() < NO_TAG_SHARE
            else order[min(bisect.bisect(tag_cum, rand() * tag_total), last_tag)]
        )
        per_year, new_share, rated, mean, capacity, load, rate, availability, city = habits[
            getrandbits(habit_bits)
        ]
        if age < newcomer_days:  # new: a couple of jobs at most
            completed = int(new_share * 3 * age / newcomer_days)
        else:
            completed = min(int(per_year * age / 365), 400)
        rating_count = int(completed * rated)
        rating_sum = min(max(round(mean * rating_count), rating_count), 5 * rating_count)
        if rand() < NEVER_ACTIVE_SHARE:
            idle = None
        else:  # a mean of 25 days
            idle = min(int(-600 * log(1.0 - rand())), age * 24, MAX_IDLE_HOURS)
        yield (
            n,
            age,
            tag_id,
            completed,
            rating_count,
            rating_sum,
            capacity,
            load,
            rate,
            idle,
            availability,
            city,
        )


class _RowStream:
    """A file-like object COPY reads from; rows are generated as the server asks for them."""

    def __init__(self, rows: Iterator[bytes]):
        self._chunks = _chunks(rows, CHUNK_BYTES)

    def read(self, size: int = -1) -> bytes:
        return next(self._chunks, b"")


class _ForkedStream:
    """Like _RowStream, but the rows are generated in a forked process, ahead of COPY.

    Generating an expert takes about as long in Python as storing it takes PostgreSQL, so the
    experts are generated on another core while the server is still busy with the users. The
    child only builds strings: it never touches the database connection it inherits.
    """

    _FAILED = b"\x00failed:"

    def __init__(self, make_rows, *args):
        context = multiprocessing.get_context("fork")
        self._queue = context.Queue()
        self._process = context.Process(
            target=self._produce, args=(make_rows, args, self._queue), daemon=True
        )
        self._process.start()
        self._done = False

    @classmethod
    def _produce(cls, make_rows, args, out) -> None:
        try:
            for chunk in _chunks(make_rows(*args), CHUNK_BYTES):
                out.put(chunk)
        except Exception:  # reported to the parent, which raises
            out.put(cls._FAILED + traceback.format_exc().encode())
        else:
            out.put(b"")

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        chunk = self._queue.get()
        if chunk.startswith(self._FAILED):
            self._done = True
            raise CommandError(chunk[len(self._FAILED) :].decode())
        self._done = not chunk
        return chunk

    def close(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def _chunks(rows: Iterator[bytes], size: int) -> Iterator[bytes]:
    """A binary COPY stream of the rows, in pieces of about `size` bytes."""
    parts = [_COPY_HEADER]
    have = 0
    for row in rows:
        parts.append(row)
        have += len(row)
        if have >= size:
            yield b"".join(parts)
            parts, have = [], 0
    parts.append(_COPY_TRAILER)
    yield b"".join(parts)


class Command(BaseCommand):
    help = "Load N bench experts over all tags (PostgreSQL: COPY). See bench/README.md."

    def add_arguments(self, parser):
        parser.add_argument("--experts", type=int, required=True, help="how many to add")
        parser.add_argument("--seed", type=int, default=5, help="random seed (reproducible)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first remove earlier bench rows (bench emails, the bench startup and briefs)",
        )

    def handle(self, *args, experts: int, seed: int, reset: bool, **options):
        if experts < 0:
            raise CommandError("--experts must not be negative")
        tag_ids = list(
            Tag.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
        )
        if not tag_ids:
            raise CommandError("no tags: run the migrations first")
        if reset:
            began = time.monotonic()
            removed = bench_reset()
            if connection.vendor == "postgresql":
                # Reclaim the deleted rows now, so the load that follows does not pay for them.
                with connection.cursor() as cursor:
                    cursor.execute("SET statement_timeout = 0")
                    cursor.execute("VACUUM ANALYZE accounts_user, experts_expert")
                    cursor.execute("RESET statement_timeout")
            self.stdout.write(f"removed {removed} bench experts in {time.monotonic() - began:.1f}s")
        first = bench_users().count()
        began = time.monotonic()
        loader = BenchLoader(
            first=first,
            seed=seed + first,
            tag_ids=tag_ids,
            log=self.stdout.write if options["verbosity"] > 1 else lambda message: None,
        )
        if connection.vendor == "postgresql":
            loader.copy(experts)
        else:
            loader.bulk_create(experts)
        seconds = time.monotonic() - began
        self.stdout.write(
            f"loaded {experts} bench experts in {seconds:.1f}s"
            f" ({Expert.objects.count()} experts in all)"
        )


# The rows --reset removes, children first: users with a bench email, and in each other table
# the rows whose foreign key (the column named) points at bench rows of the parent table.
_BENCH_ROWS: dict[str, tuple[str, str] | None] = {
    "marketplace_match": ("brief_id", "marketplace_brief"),
    "marketplace_briefevent": ("brief_id", "marketplace_brief"),
    "marketplace_brief": ("startup_id", "marketplace_startup"),
    "marketplace_startup": ("owner_id", "accounts_user"),
    "experts_expert": ("user_id", "accounts_user"),
    "accounts_user": None,
}
_REFERENCES = """
    SELECT c.conrelid::regclass::text, a.attname
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND c.confrelid = %s::regclass
    ORDER BY 1, 2
"""
# The foreign keys of the new experts, checked set-wise: their users fill one id range with no
# gap, and their tags are known ones.
_NEW_EXPERTS = """
    SELECT count(*), min(user_id), max(user_id),
           count(*) FILTER (WHERE tag_id IS NOT NULL AND tag_id <> ALL(%s))
    FROM experts_expert WHERE id > %s
"""
_USERS_IN_RANGE = "SELECT count(*) FROM accounts_user WHERE id BETWEEN %s AND %s"
_BENCH_PARAMS = {"bench": BENCH_EMAIL_LIKE, "startup": BENCH_STARTUP_EMAIL}


def _bench_ids(table: str) -> str:
    """SQL selecting the ids of `table`'s bench rows (names from _BENCH_ROWS, never input)."""
    link = _BENCH_ROWS[table]
    if link is None:
        return "SELECT id FROM accounts_user WHERE email LIKE %(bench)s"
    column, parent = link
    return f"SELECT id FROM {table} WHERE {column} IN ({_bench_ids(parent)})"  # noqa: S608


@transaction.atomic
def bench_reset() -> int:
    """Remove the bench startup with its briefs and matches, and every bench expert and user.

    On PostgreSQL business rows are guarded by a trigger that refuses deletes, and checking
    the foreign keys of a million deleted rows one by one takes minutes: so a superuser removes
    bench rows with triggers off (`session_replication_role = replica`), after one set-wise look
    at every table that refers to them has found nothing outside the bench.
    """
    if connection.vendor != "postgresql":
        return _bench_reset_orm()
    with connection.cursor() as cursor:
        if not _is_superuser(cursor):
            raise CommandError(
                "--reset needs a PostgreSQL superuser (bench rows are removed with the delete"
                " guard off); or load into a fresh database instead"
            )
        cursor.execute("SET LOCAL statement_timeout = 0")
        _refuse_if_referenced(cursor)
        cursor.execute("SET LOCAL session_replication_role = replica")
        removed = 0
        for table in _BENCH_ROWS:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ({_bench_ids(table)})",  # noqa: S608
                _BENCH_PARAMS,
            )
            if table == "experts_expert":
                removed = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    return removed


def _refuse_if_referenced(cursor) -> None:
    """Stop if any row that stays still points at a bench row about to go."""
    for table in _BENCH_ROWS:
        cursor.execute(_REFERENCES, [table])
        for referrer, column in cursor.fetchall():
            going = referrer in _BENCH_ROWS
            if _BENCH_ROWS.get(referrer) == (column, table):
                continue  # the referrer's bench rows are exactly those: they go too
            where = f"{connection.ops.quote_name(column)} IN ({_bench_ids(table)})"
            if going:
                where += f" AND id NOT IN ({_bench_ids(referrer)})"
            cursor.execute(
                f"SELECT 1 FROM {referrer} WHERE {where} LIMIT 1",  # noqa: S608
                _BENCH_PARAMS,
            )
            if cursor.fetchone():
                raise CommandError(
                    f"{referrer}.{column} refers to bench rows of {table}; nothing removed"
                )


def _drop_secondary_indexes(cursor, table: str) -> list[str]:
    """Drop the indexes of `table` that no constraint owns; return their definitions."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute("DROP INDEX " + connection.ops.quote_name(name))
    return [definition for _name, definition in indexes]


def _copy_sql(table: str, columns) -> str:
    names = ", ".join(name for name, _type in columns)
    return f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary)"


def _check_column_types(cursor) -> None:
    """The binary rows are written for these column types: stop if a migration changed one."""
    for table, columns in (("accounts_user", USER_COLUMNS), ("experts_expert", EXPERT_COLUMNS)):
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            [table],
        )
        found = dict(cursor.fetchall())
        for name, expected in columns:
            if found.get(name) != expected:
                raise CommandError(
                    f"{table}.{name} is {found.get(name) or 'missing'}, the loader writes"
                    f" {expected}: update {__name__}"
                )


def _check_new_experts(cursor, *, expert_floor: int, tag_ids: list[int]) -> None:
    cursor.execute(_NEW_EXPERTS, [tag_ids, expert_floor])
    count, low, high, unknown_tags = cursor.fetchone()
    if not count:
        return
    cursor.execute(_USERS_IN_RANGE, [low, high])
    users = cursor.fetchone()[0]
    if unknown_tags or users != high - low + 1:
        raise CommandError(
            f"loaded experts point at missing rows: {unknown_tags} unknown tags,"
            f" {high - low + 1 - users} missing users"
        )


def _is_superuser(cursor) -> bool:
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return cursor.fetchone()[0]


def _bench_reset_orm() -> int:
    from marketplace.models import Brief, BriefEvent, Match, Startup

    briefs = Brief.objects.filter(startup__owner__email=BENCH_STARTUP_EMAIL)
    experts = Expert.objects.filter(user__in=bench_users())
    Match.objects.filter(brief__in=briefs).delete()
    Match.objects.filter(expert__in=experts).delete()
    BriefEvent.objects.filter(brief__in=briefs).delete()
    briefs.delete()
    Startup.objects.filter(owner__email=BENCH_STARTUP_EMAIL).delete()
    removed, _ = experts.delete()
    User.objects.filter(email__startswith=BENCH_EMAIL_PREFIX, email__endswith=BENCH_DOMAIN).delete()
    return removed


class BenchLoader:
    """Bench experts `first`, `first + 1`, ...; the same seed gives the same experts."""

    def __init__(
        self,
        *,
        first: int,
        seed: int,
        tag_ids: list[int],
        now: datetime | None = None,
        log=lambda message: None,
    ):
        self.log = log
        self.first = first
        self.seed = seed
        self.tag_ids = tag_ids
        self.clock = _Clock(now or datetime.now(tz=UTC))

    def _age_rng(self) -> random.Random:
        """The joining days, drawn alike for the users and for their experts."""
        return random.Random(self.seed * 7919 + 1)

    def experts(self, count: int) -> Iterator[tuple]:
        numbers = range(self.first, self.first + count)
        return bench_experts(random.Random(self.seed), self._age_rng(), self.tag_ids, numbers)

    def rank_base(self, e: BenchExpert, *, last_active_at, joined_at) -> float:
        return scoring.base_score(
            rating_sum=e.rating_sum,
            rating_count=e.rating_count,
            completed_count=e.completed_count,
            capacity=e.capacity,
            active_load=e.active_load,
            last_active_at=last_active_at,
            now=self.clock.now,
            joined_at=joined_at,
        )

    def _user_rows(self, count: int, base_id: int) -> Iterator[bytes]:
        age_rand = self._age_rng().random
        days_ago = self.clock.days_ago
        # password, last login, superuser, staff, active / role
        middle = b"".join((_text_field(UNUSABLE_PASSWORD), _NULL, _FALSE, _FALSE, _TRUE))
        role = _text_field(User.Role.EXPERT)
        for i in range(count):
            n = self.first + i
            yield b"".join(
                (
                    b"\x00\x0a",
                    _int8(8, base_id + i),
                    middle,
                    days_ago(joined_days_ago(age_rand()))[1],
                    _text_field(bench_email(n)),
                    _text_field(f"专家{n}"),
                    role,
                )
            )

    def _expert_rows(self, count: int, base_id: int) -> Iterator[bytes]:
        now, now_field = self.clock.now, self.clock.now_field
        days_ago, hours_ago = self.clock.days_ago, self.clock.hours_ago
        base_score = scoring.base_score
        cities = {city: _text_field(city) for city in CITIES}
        availabilities = {value: _text_field(value) for value in Expert.Availability.values}
        tags = {pk: _int8(8, pk) for pk in self.tag_ids}
        user_offset = base_id - self.first
        for expert in self.experts(count):
            n, age, tag, completed, rated, rating_sum, capacity, load, rate, idle, *rest = expert
            available, city = rest
            joined, joined_field = days_ago(age)
            if idle is None:
                active, active_field = None, _NULL
            else:
                active, active_field = hours_ago(idle)
            base = base_score(
                rating_sum=rating_sum,
                rating_count=rated,
                completed_count=completed,
                capacity=capacity,
                active_load=load,
                last_active_at=active,
                now=now,
                joined_at=joined,
            )
            yield b"".join(
                (
                    b"\x00\x14",  # the 20 fields of EXPERT_COLUMNS, in order
                    _text_field(f"专家{n}"),
                    _EMPTY_TEXT,
                    _EMPTY_TEXT,
                    cities[city],
                    _NULL if rate is None else _int4(4, rate),
                    _int2(2, capacity),
                    availabilities[available],
                    _EMPTY_TEXT,
                    _NULL if tag is None else joined_field,
                    _int4(4, rated),
                    _int4(4, rating_sum),
                    _int4(4, completed),
                    _int2(2, load),
                    _int2(2, 0),
                    active_field,
                    _float8(8, base),
                    joined_field,
                    now_field,
                    _int8(8, n + user_offset),
                    _NULL if tag is None else tags[tag],
                )
            )

    @transaction.atomic
    def copy(self, count: int) -> None:
        raw = connection.connection  # the psycopg2 connection, for copy_expert
        with connection.cursor() as cursor:
            _check_column_types(cursor)
            cursor.execute("SET LOCAL statement_timeout = 0")
            # Users get their ids here rather than from the sequence, so experts can name them.
            cursor.execute("LOCK TABLE accounts_user IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_user")
            base_id = cursor.fetchone()[0] + 1
            cursor.execute("SELECT COALESCE(MAX(id), 0), count(*) FROM experts_expert")
            expert_floor, existing = cursor.fetchone()
            # Row-by-row foreign-key checks would cost more than the load; the rows are checked
            # set-wise below instead (only a superuser may skip them; others just wait longer).
            skip_checks = _is_superuser(cursor)
            if skip_checks:
                cursor.execute("SET LOCAL session_replication_role = replica")
            # Into (nearly) empty tables, building the secondary indexes afterwards is cheaper than
            # keeping them up to date row by row; the definitions are read back from the catalogue
            # and the whole load is one transaction, so they cannot get lost.
            rebuild = []
            if count >= existing:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for table in ("accounts_user", "experts_expert"):
                    rebuild += _drop_secondary_indexes(cursor, table)
            began = time.monotonic()
            experts = _ForkedStream(self._expert_rows, count, base_id)
            try:
                with raw.cursor() as copy:
                    copy.copy_expert(
                        _copy_sql("accounts_user", USER_COLUMNS),
                        _RowStream(self._user_rows(count, base_id)),
                        size=CHUNK_BYTES,
                    )
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'),"
                    " (SELECT MAX(id) FROM accounts_user))"
                )
                self.log(f"  users copied at {time.monotonic() - began:.1f}s")
                with raw.cursor() as copy:
                    copy.copy_expert(
                        _copy_sql("experts_expert", EXPERT_COLUMNS), experts, size=CHUNK_BYTES
                    )
            finally:
                experts.close()
            self.log(f"  experts copied at {time.monotonic() - began:.1f}s")
            if skip_checks:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
                _check_new_experts(cursor, expert_floor=expert_floor, tag_ids=self.tag_ids)
            self.log(f"  checked at {time.monotonic() - began:.1f}s")
            for definition in rebuild:
                cursor.execute(definition)
            if rebuild:
                self.log(f"  {len(rebuild)} indexes rebuilt at {time.monotonic() - began:.1f}s")
            cursor.execute("ANALYZE accounts_user")
            cursor.execute("ANALYZE experts_expert")
            self.log(f"  analysed at {time.monotonic() - began:.1f}s")

    @transaction.atomic
    def bulk_create(self, count: int, batch: int = 2000) -> None:
        rows = map(BenchExpert._make, self.experts(count))
        while chunk := list(itertools.islice(rows, batch)):
            users = User.objects.bulk_create(
                [
                    User(
                        email=bench_email(e.n),
                        password=UNUSABLE_PASSWORD,
                        name=f"专家{e.n}",
                        role=User.Role.EXPERT,
                        date_joined=self.clock.days_ago(e.age_days)[0],
                    )
                    for e in chunk
                ]
            )
            experts = []
            for user, e in zip(users, chunk, strict=True):
                joined = self.clock.days_ago(e.age_days)[0]
                active = None if e.idle_hours is None else self.clock.hours_ago(e.idle_hours)[0]
                experts.append(
                    Expert(
                        user=user,
                        display_name=f"专家{e.n}",
                        city=e.city,
                        day_rate=e.day_rate,
                        capacity=e.capacity,
                        availability=e.availability,
                        tag_id=e.tag_id,
                        tag_claimed_at=joined if e.tag_id else None,
                        rating_count=e.rating_count,
                        rating_sum=e.rating_sum,
                        completed_count=e.completed_count,
                        active_load=e.active_load,
                        last_active_at=active,
                        rank_base=self.rank_base(e, last_active_at=active, joined_at=joined),
                    )
                )
            created = Expert.objects.bulk_create(experts)
            # created_at is set on insert (auto_now_add); the bench wants the joining day.
            for expert, e in zip(created, chunk, strict=True):
                joined = self.clock.days_ago(e.age_days)[0]
                Expert.objects.filter(pk=expert.pk).update(created_at=joined)
