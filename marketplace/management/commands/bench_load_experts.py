"""Load N bench experts (and their users) for the matching benchmark (bench/README.md).

On PostgreSQL the rows are streamed through COPY while they are generated, so a million
experts load in well under a minute; elsewhere they go through bulk_create (slow, for smoke
tests only). Every bench user has an email `bench-<n>@bench.example.com` and an unusable
password, so `--reset` removes bench rows and nothing else.
"""

import bisect
import itertools
import math
import multiprocessing
import random
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
# COPY is fed in chunks of about this many characters.
CHUNK_BYTES = 1 << 20


def bench_email(n: int) -> str:
    return f"{BENCH_EMAIL_PREFIX}{n}@{BENCH_DOMAIN}"


def bench_users():
    return User.objects.filter(
        email__startswith=BENCH_EMAIL_PREFIX, email__endswith=f"@{BENCH_DOMAIN}"
    ).exclude(email=BENCH_STARTUP_EMAIL)


class _Clock:
    """Timestamps at whole days (joined) and hours (last active) before `now`, made once each."""

    def __init__(self, now: datetime):
        self.now = now
        self._days: dict[int, tuple[datetime, str]] = {}
        self._hours: dict[int, tuple[datetime, str]] = {}

    def days_ago(self, days: int) -> tuple[datetime, str]:
        hit = self._days.get(days)
        if hit is None:
            moment = self.now - timedelta(days=days)
            hit = self._days[days] = (moment, moment.isoformat())
        return hit

    def hours_ago(self, hours: int) -> tuple[datetime, str]:
        hit = self._hours.get(hours)
        if hit is None:
            moment = self.now - timedelta(hours=hours)
            hit = self._hours[hours] = (moment, moment.isoformat())
        return hit


def joined_days_ago(age_rng: random.Random) -> int:
    """Days since an expert joined: a growing platform, so more recent joiners than old ones."""
    return int(age_rng.random() ** 1.3 * PLATFORM_AGE_DAYS)


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


def bench_experts(
    rng: random.Random, ages: Iterator[int], tag_ids: list[int], numbers: range
) -> Iterator[BenchExpert]:
    """Experts drawn from spreads that look like a live marketplace.

    Written for speed (a million in about ten seconds): local names, no helper calls per row.
    """
    rand, gauss, expovariate = rng.random, rng.gauss, rng.expovariate
    # Tags of unequal popularity, the largest about 4x the smallest; a few experts untagged.
    order = tag_ids[:]
    rng.shuffle(order)
    tag_cum = list(itertools.accumulate(1 / math.sqrt(i + 1) for i in range(len(order))))
    tag_total, last_tag = tag_cum[-1], len(order) - 1
    available, paused = Expert.Availability.AVAILABLE, Expert.Availability.PAUSED
    cities = len(CITIES)
    for n in numbers:
        age = next(ages)
        tag_id = (
            None
            if rand() < NO_TAG_SHARE
            else order[min(bisect.bisect(tag_cum, rand() * tag_total), last_tag)]
        )
        if age < scoring.NEWCOMER_DAYS:  # new: a couple of jobs at most
            completed = int(rand() * 3 * age / scoring.NEWCOMER_DAYS)
        else:  # a long tail of busy veterans, and some who never got going
            completed = min(int(math.exp(gauss(1.3, 1.1)) * age / 365), 400)
        rating_count = int(completed * (0.5 + 0.5 * rand()))
        mean = gauss(4.3, 0.45)
        rating_sum = round((1.0 if mean < 1.0 else 5.0 if mean > 5.0 else mean) * rating_count)
        rating_sum = min(max(rating_sum, rating_count), 5 * rating_count)
        capacity = CAPACITIES[bisect.bisect(CAPACITY_CUM_WEIGHTS, rand() * 100)]
        load = capacity if rand() < FULL_SHARE else int(rand() * capacity)
        if rand() < NO_RATE_SHARE:
            rate = None
        else:  # median about 1,500 CNY a day, a long tail of senior people
            rate = round(math.exp(gauss(7.3, 0.6)) / 50) * 50
            rate = 100 if rate < 100 else 100_000 if rate > 100_000 else rate
        if rand() < NEVER_ACTIVE_SHARE:
            idle = None
        else:  # a mean of 25 days
            idle = min(int(expovariate(1 / 600)), age * 24, MAX_IDLE_HOURS)
        yield BenchExpert(
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
            paused if rand() < PAUSED_SHARE else available,
            CITIES[int(rand() * cities)],
        )


class _LineStream:
    """A file-like object COPY reads from; lines are generated as the server asks for them."""

    def __init__(self, lines: Iterator[str]):
        self._chunks = _chunks(lines, CHUNK_BYTES)

    def read(self, size: int = -1) -> bytes:
        return next(self._chunks, b"")


class _ForkedStream:
    """Like _LineStream, but the lines are generated in a forked process, ahead of COPY.

    Generating an expert takes about as long in Python as storing it takes PostgreSQL, so the
    experts are generated on another core while the server is still busy with the users. The
    child only builds strings: it never touches the database connection it inherits.
    """

    _FAILED = b"\x00failed:"

    def __init__(self, make_lines, *args):
        context = multiprocessing.get_context("fork")
        self._queue = context.Queue()
        self._process = context.Process(
            target=self._produce, args=(make_lines, args, self._queue), daemon=True
        )
        self._process.start()
        self._done = False

    @classmethod
    def _produce(cls, make_lines, args, out) -> None:
        try:
            for chunk in _chunks(make_lines(*args), CHUNK_BYTES):
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


def _chunks(lines: Iterator[str], size: int) -> Iterator[bytes]:
    parts: list[str] = []
    have = 0
    for line in lines:
        parts.append(line)
        have += len(line)
        if have >= size:
            yield "".join(parts).encode()
            parts, have = [], 0
    if parts:
        yield "".join(parts).encode()


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


# Bench rows, as SQL: users with a bench email, their experts, the bench startup's briefs.
_BENCH_USER_IDS = "SELECT id FROM accounts_user WHERE email LIKE %(bench)s"
_BENCH_EXPERT_IDS = (
    "SELECT e.id FROM experts_expert e JOIN accounts_user u ON u.id = e.user_id"
    " WHERE u.email LIKE %(bench)s"
)
_RESET_BRIEFS = (
    """DELETE FROM marketplace_match WHERE brief_id IN (
        SELECT b.id FROM marketplace_brief b JOIN marketplace_startup s ON s.id = b.startup_id
        JOIN accounts_user u ON u.id = s.owner_id WHERE u.email = %(startup)s)""",
    """DELETE FROM marketplace_match WHERE expert_id IN (
        SELECT e.id FROM experts_expert e JOIN accounts_user u ON u.id = e.user_id
        WHERE u.email LIKE %(bench)s)""",
    """DELETE FROM marketplace_briefevent WHERE brief_id IN (
        SELECT b.id FROM marketplace_brief b JOIN marketplace_startup s ON s.id = b.startup_id
        JOIN accounts_user u ON u.id = s.owner_id WHERE u.email = %(startup)s)""",
    """DELETE FROM marketplace_brief WHERE startup_id IN (
        SELECT s.id FROM marketplace_startup s JOIN accounts_user u ON u.id = s.owner_id
        WHERE u.email = %(startup)s)""",
    """DELETE FROM marketplace_startup WHERE owner_id IN (
        SELECT id FROM accounts_user WHERE email = %(startup)s)""",
)
_RESET_EXPERTS = """DELETE FROM experts_expert WHERE user_id IN (
    SELECT id FROM accounts_user WHERE email LIKE %(bench)s)"""
_RESET_USERS = "DELETE FROM accounts_user WHERE email LIKE %(bench)s OR email = %(startup)s"
_REFERENCES = """
    SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND c.confrelid IN ('accounts_user'::regclass, 'experts_expert'::regclass)
    ORDER BY 1, 2
"""
_DANGLING_EXPERTS = """
    SELECT count(*) FROM experts_expert e WHERE e.id > %s AND (
        NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = e.user_id)
        OR (e.tag_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM experts_tag t WHERE t.id = e.tag_id))
    )
"""
_BENCH_PARAMS = {"bench": BENCH_EMAIL_LIKE, "startup": BENCH_STARTUP_EMAIL}


@transaction.atomic
def bench_reset() -> int:
    """Remove the bench startup with its briefs and matches, and every bench expert and user."""
    if connection.vendor != "postgresql":
        return _bench_reset_orm()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        for statement in _RESET_BRIEFS:
            cursor.execute(statement, _BENCH_PARAMS)
        # Checking the foreign keys of a million deleted rows one by one takes minutes; one
        # set-wise look at every referencing table does the same job, then checks are skipped.
        if _is_superuser(cursor):
            _refuse_if_referenced(cursor)
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(_RESET_EXPERTS, _BENCH_PARAMS)
        removed = cursor.rowcount
        cursor.execute(_RESET_USERS, _BENCH_PARAMS)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    return removed


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


def _is_superuser(cursor) -> bool:
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return cursor.fetchone()[0]


def _refuse_if_referenced(cursor) -> None:
    """Stop if any row outside the bench still points at a bench user or expert."""
    cursor.execute(_REFERENCES)
    for table, column, target in cursor.fetchall():
        if (table, target) == ("experts_expert", "accounts_user"):
            continue  # the bench experts themselves, deleted with their users
        ids = _BENCH_USER_IDS if target == "accounts_user" else _BENCH_EXPERT_IDS
        column_sql = connection.ops.quote_name(column)
        # Names from the catalogue, values as parameters.
        sql = f"SELECT 1 FROM {table} WHERE {column_sql} IN ({ids}) LIMIT 1"  # noqa: S608
        cursor.execute(sql, _BENCH_PARAMS)
        if cursor.fetchone():
            raise CommandError(f"{table}.{column} still refers to bench rows; not removing them")


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

    def _ages(self) -> Iterator[int]:
        age_rng = random.Random(self.seed * 7919 + 1)
        while True:
            yield joined_days_ago(age_rng)

    def experts(self, count: int) -> Iterator[BenchExpert]:
        numbers = range(self.first, self.first + count)
        return bench_experts(random.Random(self.seed), self._ages(), self.tag_ids, numbers)

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

    def _user_lines(self, count: int, base_id: int) -> Iterator[str]:
        ages = self._ages()
        role = User.Role.EXPERT
        for i in range(count):
            n = self.first + i
            joined = self.clock.days_ago(next(ages))[1]
            yield (
                f"{base_id + i}\t{UNUSABLE_PASSWORD}\t\\N\tf\tf\tt\t{joined}"
                f"\t{bench_email(n)}\t专家{n}\t{role}\n"
            )

    def _expert_lines(self, count: int, base_id: int) -> Iterator[str]:
        now = self.clock.now
        now_text = now.isoformat()
        days_ago, hours_ago = self.clock.days_ago, self.clock.hours_ago
        for e in self.experts(count):
            n = e.n
            joined, joined_text = days_ago(e.age_days)
            if e.idle_hours is None:
                active, active_text = None, "\\N"
            else:
                active, active_text = hours_ago(e.idle_hours)
            rank_base = self.rank_base(e, last_active_at=active, joined_at=joined)
            tag = "\\N" if e.tag_id is None else e.tag_id
            claimed = "\\N" if e.tag_id is None else joined_text
            rate = "\\N" if e.day_rate is None else e.day_rate
            yield (
                f"专家{n}\t\t\t{e.city}\t{rate}\t{e.capacity}\t{e.availability}\t\t{claimed}"
                f"\t{e.rating_count}\t{e.rating_sum}\t{e.completed_count}\t{e.active_load}\t0"
                f"\t{active_text}\t{rank_base!r}\t{joined_text}\t{now_text}"
                f"\t{base_id + n - self.first}\t{tag}\n"
            )

    @transaction.atomic
    def copy(self, count: int) -> None:
        raw = connection.connection  # the psycopg2 connection, for copy_expert
        with connection.cursor() as cursor:
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
            experts = _ForkedStream(self._expert_lines, count, base_id)
            try:
                with raw.cursor() as copy:
                    copy.copy_expert(
                        "COPY accounts_user (id, password, last_login, is_superuser, is_staff,"
                        " is_active, date_joined, email, name, role) FROM STDIN",
                        _LineStream(self._user_lines(count, base_id)),
                        size=CHUNK_BYTES,
                    )
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'),"
                    " (SELECT MAX(id) FROM accounts_user))"
                )
                self.log(f"  users copied at {time.monotonic() - began:.1f}s")
                with raw.cursor() as copy:
                    copy.copy_expert(
                        "COPY experts_expert (display_name, headline, bio, city, day_rate,"
                        " capacity, availability, portfolio_links, tag_claimed_at, rating_count,"
                        " rating_sum, completed_count, active_load, pending_invitations,"
                        " last_active_at, rank_base, created_at, updated_at, user_id, tag_id)"
                        " FROM STDIN",
                        experts,
                        size=CHUNK_BYTES,
                    )
            finally:
                experts.close()
            self.log(f"  experts copied at {time.monotonic() - began:.1f}s")
            if skip_checks:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
                cursor.execute(_DANGLING_EXPERTS, [expert_floor])
                dangling = cursor.fetchone()[0]
                if dangling:
                    raise CommandError(f"{dangling} loaded experts point at no user or tag")
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
        rows = self.experts(count)
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
