"""Seed the load benchmark (bench/load.sh, bench/LOAD.md): startups, PMs and their briefs.

Run after `bench_load_experts` (the matches name its experts). PostgreSQL only: the big tables
(briefs, events, matches, quotes, projects, feedback, notifications) are streamed through COPY
in one transaction, so 10,000 briefs with their history load in a few seconds; the few users,
startups and PM profiles go through the ORM.

Every seeded user has an email `load-...@load.example.com` (never the `bench-...@bench...`
pattern that `bench_load_experts --reset` removes) and the same password. The command is
idempotent: when the load rows exist it adds nothing and prints the same summary. Briefs are
never deleted (a database trigger refuses it), so to reseed, use a fresh database, as
bench/load.sh does.

The last line printed is JSON: the logins and the ids of the briefs the benchmark reads.
"""

import io
import json
import random
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from experts.models import Expert, Tag
from kaigan.accounts.models import User
from marketplace import pricing
from marketplace.models import Brief, Campaign, Match, Startup
from marketplace.services import fee_rule
from projects.models import ProjectManager
from projects.services import pm_group_ensure

LOAD_DOMAIN = "load.example.com"
DEFAULT_PASSWORD = "kaigan-load-bench-7"  # noqa: S105  (bench logins on a bench database)
ROUND_SIZE = 5
INVITATION_HOURS = 48

S = Brief.Status
M = Match.Status

#: Share of all briefs that belongs to startup 0, the one the benchmark signs in as.
MAIN_STARTUP_SHARE = 0.05
#: Shares of the briefs that were re-matched once before their current round.
REMATCHED_SHARE = 0.15
CAMPAIGN_SHARE = 0.4

#: Status by the brief's age in days: young briefs are still being matched, old ones ended.
STATUS_BY_AGE = (
    (
        1,
        {
            S.OPEN: 5,
            S.AWAITING_APPROVAL: 45,
            S.AWAITING_EXPERT: 30,
            S.NEEDS_ATTENTION: 10,
            S.CANCELLED: 10,
        },
    ),
    (
        7,
        {
            S.AWAITING_APPROVAL: 20,
            S.AWAITING_EXPERT: 20,
            S.IN_PROGRESS: 45,
            S.NEEDS_ATTENTION: 5,
            S.CANCELLED: 10,
        },
    ),
    (
        60,
        {
            S.IN_PROGRESS: 45,
            S.DELIVERED: 15,
            S.COMPLETED: 25,
            S.NEEDS_ATTENTION: 3,
            S.CANCELLED: 12,
        },
    ),
    (None, {S.COMPLETED: 75, S.CANCELLED: 22, S.IN_PROGRESS: 2, S.DELIVERED: 1}),
)
#: The path of statuses that ends in each status (the re-matched variant inserts a round).
PATHS = {
    S.OPEN: [S.OPEN],
    S.AWAITING_APPROVAL: [S.OPEN, S.AWAITING_APPROVAL],
    S.AWAITING_EXPERT: [S.OPEN, S.AWAITING_APPROVAL, S.AWAITING_EXPERT],
    S.IN_PROGRESS: [S.OPEN, S.AWAITING_APPROVAL, S.AWAITING_EXPERT, S.IN_PROGRESS],
    S.DELIVERED: [S.OPEN, S.AWAITING_APPROVAL, S.AWAITING_EXPERT, S.IN_PROGRESS, S.DELIVERED],
    S.COMPLETED: [
        S.OPEN,
        S.AWAITING_APPROVAL,
        S.AWAITING_EXPERT,
        S.IN_PROGRESS,
        S.DELIVERED,
        S.COMPLETED,
    ],
    S.NEEDS_ATTENTION: [S.OPEN, S.AWAITING_APPROVAL, S.NEEDS_ATTENTION],
    S.CANCELLED: [S.OPEN, S.AWAITING_APPROVAL, S.CANCELLED],
}
#: Hours each step usually takes, as (low, high).
STEP_HOURS = {
    S.OPEN: (0.0, 0.0),
    S.AWAITING_APPROVAL: (0.0005, 0.002),
    S.AWAITING_EXPERT: (2, 30),
    S.IN_PROGRESS: (1, 20),
    S.DELIVERED: (48, 400),
    S.COMPLETED: (10, 72),
    S.NEEDS_ATTENTION: (2, 30),
    S.CANCELLED: (1, 100),
    S.REMATCHING: (24, 200),
}
CITIES = ("北京", "上海", "深圳", "杭州", "广州", "成都")
INDUSTRIES = ("消费电子", "新消费", "企业服务", "教育", "医疗健康", "文旅")
BUDGETS = (2000, 5000, 8000, 10000, 20000, 50000)
DESCRIPTION = (
    "我们是一家{industry}领域的初创公司，正在准备新一轮的品牌传播。本次需要一位擅长「{tag}」的"
    "外脑，帮助我们梳理目标用户、确定核心信息，并在截止日期前交付可以直接使用的成果。"
    "希望对方有同类项目经验，沟通及时，能按阶段同步进度。预算可以根据方案适当调整。"
)


class Command(BaseCommand):
    help = "Seed startups, PMs and briefs with matches and history for bench/load.sh."

    def add_arguments(self, parser):
        parser.add_argument("--briefs", type=int, default=10_000)
        parser.add_argument("--startups", type=int, default=500)
        parser.add_argument("--pms", type=int, default=50)
        parser.add_argument("--seed", type=int, default=7, help="random seed (reproducible)")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="every seeded login's")

    def handle(self, *args, briefs, startups, pms, seed, password, **options):
        if connection.vendor != "postgresql":
            raise CommandError("the load benchmark runs on PostgreSQL: set DATABASE_URL")
        if briefs < 1 or startups < 1 or pms < 1:
            raise CommandError("--briefs, --startups and --pms must be positive")
        began = time.monotonic()
        if User.objects.filter(email=startup_email(0)).exists():
            self.stdout.write("load rows exist already: nothing added")
        else:
            Seeder(rng=random.Random(seed), password=password).seed(
                briefs=briefs, startups=startups, pms=pms
            )
            self.stdout.write(f"seeded {briefs} briefs in {time.monotonic() - began:.1f}s")
        self.stdout.write(json.dumps(summary(password)))


def startup_email(n: int) -> str:
    return f"load-startup-{n}@{LOAD_DOMAIN}"


def pm_email(n: int) -> str:
    return f"load-pm-{n}@{LOAD_DOMAIN}"


def summary(password: str) -> dict:
    """The logins and the briefs the benchmark reads, chosen from the seeded rows."""
    startup_user = User.objects.get(email=startup_email(0))
    pm_user = User.objects.get(email=pm_email(0))
    # The startup's page: its newest brief with work under way and the longest history.
    detail = (
        Brief.objects.filter(startup__owner=startup_user, status=S.IN_PROGRESS)
        .order_by("-rematch_count", "-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    # The PM's list: the assigned brief with the most proposals to read.
    pm_brief = (
        Brief.objects.filter(pm=pm_user)
        .annotate(n=Count("matches"))
        .order_by("-n", "-created_at", "-id")
        .values_list("pk", "n")
        .first()
    )
    return {
        "password": password,
        "startup_email": startup_user.email,
        "pm_email": pm_user.email,
        "detail_brief": detail,
        "pm_brief": pm_brief[0] if pm_brief else None,
        "pm_brief_matches": pm_brief[1] if pm_brief else 0,
        "startup_briefs": Brief.objects.filter(startup__owner=startup_user).count(),
        "pm_briefs": Brief.objects.filter(pm=pm_user).count(),
        "briefs": Brief.objects.count(),
        "matches": Match.objects.count(),
        "experts": Expert.objects.count(),
    }


class _Tables:
    """Rows per table, with ids and references as local 0-based indexes until written."""

    COLUMNS = {
        "marketplace_brief": (
            "title description budget_min budget_max deadline status rematch_count"
            " rematch_started_at match_round version created_at updated_at status_changed_at"
            " pm_id tag_id campaign_id startup_id"
        ),
        "marketplace_briefevent": "from_status to_status reason created_at actor_id brief_id",
        "marketplace_match": (
            "status round rank score breakdown pm_note decision_reason created_at decided_at"
            " invited_at expires_at responded_at brief_id expert_id"
        ),
        "marketplace_quote": (
            "version status scope_days fixed_price day_rate expert_earnings platform_fee total"
            " fee_percent fee_waived created_at agreed_at brief_id match_id proposed_by_id"
        ),
        "projects_project": "status started_at delivered_at ended_at brief_id expert_id match_id",
        "projects_feedback": (
            "kind reason rating comment counts_against_expert created_at author_id brief_id"
            " expert_id match_id"
        ),
        "notifications_notification": "kind params url created_at read_at emailed_at recipient_id",
    }
    #: Columns that hold a local index into another generated table.
    REFERENCES = {
        "brief_id": "marketplace_brief",
        "match_id": "marketplace_match",
    }

    def __init__(self):
        self.rows = {table: [] for table in self.COLUMNS}

    def add(self, table: str, **values) -> int:
        columns = self.COLUMNS[table].split()
        row = [values.pop(column) for column in columns]
        if values:
            raise ValueError(f"unknown columns for {table}: {sorted(values)}")
        self.rows[table].append(row)
        return len(self.rows[table]) - 1

    def write(self, cursor) -> dict[str, int]:
        """Reserve ids for every table, then COPY each; returns the first id of each."""
        bases = {}
        for table, rows in self.rows.items():
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            bases[table] = _reserve_ids(cursor, table, len(rows))
        raw = connection.connection
        for table, rows in self.rows.items():
            columns = self.COLUMNS[table].split()
            offsets = [bases[self.REFERENCES[c]] if c in self.REFERENCES else None for c in columns]
            buffer = io.StringIO()
            base = bases[table]
            for i, row in enumerate(rows):
                fields = [str(base + i)]
                for value, offset in zip(row, offsets, strict=True):
                    fields.append(_copy_text(value if offset is None else offset + value))
                buffer.write("\t".join(fields))
                buffer.write("\n")
            buffer.seek(0)
            with raw.cursor() as copy:
                copy.copy_expert(f"COPY {table} (id, {', '.join(columns)}) FROM STDIN", buffer)
        return bases


def _reserve_ids(cursor, table: str, count: int) -> int:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = cursor.fetchone()[0]
    if count > 1:
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def _copy_text(value) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text


class Seeder:
    def __init__(self, *, rng: random.Random, password: str):
        self.rng = rng
        self.password = password
        self.now = timezone.now()
        self.rule = fee_rule()
        self.t = _Tables()
        # Notification links name the brief by its final id, known only once written: the
        # benchmark does not follow them, so the list pages stand in.
        self.url = reverse("marketplace:brief_list")
        self.admin_url = reverse("admin:marketplace_brief_changelist")

    @transaction.atomic
    def seed(self, *, briefs: int, startups: int, pms: int) -> None:
        tags = {tag.pk: tag for tag in Tag.objects.filter(is_active=True)}
        self.experts_by_tag: dict[int, list[tuple]] = {}
        for row in (
            Expert.objects.filter(tag__in=list(tags))
            .order_by("pk")
            .values_list("pk", "user_id", "tag_id", "day_rate", "rank_base")
        ):
            self.experts_by_tag.setdefault(row[2], []).append(row)
        self.tag_ids = [tag for tag in tags if len(self.experts_by_tag.get(tag, ())) >= 20]
        if not self.tag_ids:
            raise CommandError("too few experts: run bench_load_experts --experts 100000 first")
        self.tags = tags
        pm_users = self._pms(pms)
        startup_rows = self._startups(startups)
        self._briefs(briefs, startup_rows, pm_users)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
            self.t.write(cursor)
            for table in self.t.rows:
                cursor.execute(f"ANALYZE {table}")

    # --- people --------------------------------------------------------------------------

    def _users(self, emails: list[str], *, role: str, name: str, staff: bool) -> list[User]:
        hashed = make_password(self.password)  # one hash for all: same password, fast
        users = User.objects.bulk_create(
            [
                User(
                    email=email,
                    password=hashed,
                    role=role,
                    name=f"{name}{n}",
                    is_staff=staff,
                    date_joined=self.now - timedelta(days=800),
                )
                for n, email in enumerate(emails)
            ]
        )
        from allauth.account.models import EmailAddress

        # Verified, as production requires before a login.
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
        return users

    def _pms(self, count: int) -> list[User]:
        users = self._users(
            [pm_email(n) for n in range(count)], role=User.Role.PM, name="项目经理", staff=True
        )
        profiles = ProjectManager.objects.bulk_create(
            [ProjectManager(user=user, capacity=200) for user in users]
        )
        through = ProjectManager.tags.through
        tag_ids = sorted(self.tags)
        through.objects.bulk_create(
            [
                through(projectmanager_id=pm.pk, tag_id=tag_id)
                for pm in profiles
                for tag_id in self.rng.sample(tag_ids, 3)
            ]
        )
        group = pm_group_ensure()
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users]
        )
        return users

    def _startups(self, count: int) -> list[tuple[Startup, list[Campaign]]]:
        users = self._users(
            [startup_email(n) for n in range(count)],
            role=User.Role.STARTUP,
            name="创始人",
            staff=False,
        )
        rng = self.rng
        startups = Startup.objects.bulk_create(
            [
                Startup(
                    owner=user,
                    company_name=f"开干测试{n}号科技",
                    industry=rng.choice(INDUSTRIES),
                    city=rng.choice(CITIES),
                    stage=rng.choice(Startup.Stage.values),
                )
                for n, user in enumerate(users)
            ]
        )
        campaigns = Campaign.objects.bulk_create(
            [
                Campaign(startup=startup, name=name)
                for startup in startups
                for name in rng.sample(("春季发布", "品牌升级", "融资传播", "双十一"), 2)
            ]
        )
        by_startup: dict[int, list[Campaign]] = {}
        for campaign in campaigns:
            by_startup.setdefault(campaign.startup_id, []).append(campaign)
        return [(s, by_startup.get(s.pk, [])) for s in startups]

    # --- briefs --------------------------------------------------------------------------

    def _status_for(self, age_days: float) -> str:
        for limit, weights in STATUS_BY_AGE:
            if limit is None or age_days < limit:
                statuses, cum = list(weights), list(weights.values())
                return self.rng.choices(statuses, weights=cum)[0]
        raise AssertionError("unreachable")

    def _briefs(self, count: int, startups: list, pm_users: list[User]) -> None:
        rng = self.rng
        # A growing platform: more recent briefs than old ones, over two years; ids grow
        # with posting time.
        ages = sorted((730 * rng.random() ** 1.6 for _ in range(count)), reverse=True)
        others = startups[1:] or startups
        for n, age in enumerate(ages):
            startup, campaigns = (
                startups[0] if rng.random() < MAIN_STARTUP_SHARE else rng.choice(others)
            )
            self._brief(n, age, startup, campaigns, rng.choice(pm_users))

    def _brief(self, n: int, age_days: float, startup: Startup, campaigns, pm: User) -> None:
        rng = self.rng
        status = self._status_for(age_days)
        path = list(PATHS[status])
        rematched = status in (S.IN_PROGRESS, S.DELIVERED, S.COMPLETED, S.AWAITING_APPROVAL) and (
            rng.random() < REMATCHED_SHARE
        )
        if rematched:
            # Work started, the startup was not satisfied, a new round was proposed.
            first = [S.OPEN, S.AWAITING_APPROVAL, S.AWAITING_EXPERT, S.IN_PROGRESS, S.REMATCHING]
            path = first + path[1:]
        created = self.now - timedelta(days=age_days)
        times = self._times(path, created)
        tag_id = rng.choice(self.tag_ids)
        budget_min = rng.choice(BUDGETS)
        budget_max = budget_min * rng.choice((1, 2, 3))
        owner_id = startup.owner_id
        tag = self.tags[tag_id]
        rounds = path.count(S.AWAITING_APPROVAL)
        brief = self.t.add(
            "marketplace_brief",
            title=f"{tag.name}：{startup.company_name}的第{n}个需求",
            description=DESCRIPTION.format(industry=startup.industry, tag=tag.name),
            budget_min=budget_min,
            budget_max=budget_max,
            deadline=(created + timedelta(days=rng.randint(14, 90))).date(),
            status=status,
            rematch_count=1 if rematched else 0,
            rematch_started_at=times[path.index(S.REMATCHING)] if rematched else None,
            match_round=rounds,
            version=1,
            created_at=created,
            updated_at=times[-1],
            status_changed_at=times[-1],
            pm_id=pm.pk,
            tag_id=tag_id,
            campaign_id=campaigns[0].pk if campaigns and rng.random() < CAMPAIGN_SHARE else None,
            startup_id=startup.pk,
        )
        experts = rng.sample(self.experts_by_tag[tag_id], ROUND_SIZE * max(rounds, 1))
        ctx = _BriefContext(brief, owner_id, pm.pk, budget_min, budget_max, experts, tag.name)
        self._notify(pm.pk, "brief_assigned", ctx, created, admin=True)
        previous = ""
        round_no = 0
        live = None  # (local match index, expert row) of the approved or working expert
        for step, at in zip(path, times, strict=True):
            self.t.add(
                "marketplace_briefevent",
                from_status=previous,
                to_status=step,
                reason="",
                created_at=at,
                actor_id=self._actor(step, ctx, live),
                brief_id=brief,
            )
            previous = step
            if step == S.AWAITING_APPROVAL:
                round_no += 1
                ctx.round = self._round(ctx, round_no, at)
                self._notify(pm.pk, "brief_proposals_ready", ctx, at, admin=True)
            elif step == S.AWAITING_EXPERT:
                live = self._approve(ctx, at)
            elif step == S.IN_PROGRESS:
                self._accept(ctx, live, at)
            elif step == S.DELIVERED:
                self._deliver(ctx, live, at)
            elif step == S.COMPLETED:
                self._complete(ctx, live, at)
            elif step == S.REMATCHING:
                self._replace(ctx, live, at)
                live = None
            elif step in (S.NEEDS_ATTENTION, S.CANCELLED):
                self._end_round(ctx, at, rejected=step == S.NEEDS_ATTENTION)

    def _times(self, path: list[str], created) -> list:
        hours = [self.rng.uniform(*STEP_HOURS[step]) for step in path]
        hours[0] = 0.0
        age_hours = (self.now - created).total_seconds() / 3600
        total = sum(hours)
        if total > age_hours * 0.95:  # squeeze the history into the brief's life
            hours = [h * age_hours * 0.95 / total for h in hours]
        times, at = [], created
        for h in hours:
            at += timedelta(hours=h)
            times.append(at)
        return times

    def _actor(self, step: str, ctx: "_BriefContext", live) -> int | None:
        if step in (S.OPEN, S.COMPLETED, S.CANCELLED, S.REMATCHING):
            return ctx.owner_id
        if step in (S.AWAITING_EXPERT, S.NEEDS_ATTENTION):
            return ctx.pm_id
        if step in (S.IN_PROGRESS, S.DELIVERED) and live is not None:
            return live[1][1]
        return None

    def _round(self, ctx: "_BriefContext", round_no: int, at) -> list[tuple[int, tuple]]:
        rng = self.rng
        chosen = ctx.experts[(round_no - 1) * ROUND_SIZE : round_no * ROUND_SIZE]
        score = rng.uniform(0.7, 0.9)
        matches = []
        for rank, expert in enumerate(chosen, start=1):
            score = max(score - rng.uniform(0.0, 0.04), 0.0)
            fit = pricing_fit(expert[3], ctx.budget_max)
            breakdown = {
                "rating": round(0.35 * rng.uniform(0.6, 1), 4),
                "experience": round(0.20 * rng.uniform(0.2, 1), 4),
                "free_capacity": round(0.15 * rng.uniform(0.1, 1), 4),
                "activity": round(0.10 * rng.uniform(0.3, 1), 4),
                "newcomer": round(0.05 * rng.choice((0, 0, 0, 1)), 4),
                "rate_fit": round(0.15 * fit, 4),
                "rating_avg": round(rng.uniform(3.6, 4.9), 2),
            }
            index = self.t.add(
                "marketplace_match",
                status=M.PROPOSED,
                round=round_no,
                rank=rank,
                score=round(score, 4),
                breakdown=breakdown,
                pm_note="",
                decision_reason="",
                created_at=at,
                decided_at=None,
                invited_at=None,
                expires_at=None,
                responded_at=None,
                brief_id=ctx.brief,
                expert_id=expert[0],
            )
            matches.append((index, expert))
        return matches

    def _match_row(self, index: int) -> list:
        return self.t.rows["marketplace_match"][index]

    _MATCH = {name: i for i, name in enumerate(_Tables.COLUMNS["marketplace_match"].split())}

    def _set(self, index: int, **values) -> None:
        row = self._match_row(index)
        for name, value in values.items():
            row[self._MATCH[name]] = value

    def _approve(self, ctx: "_BriefContext", at) -> tuple[int, tuple]:
        # Mostly the top proposal; sometimes the PM prefers the second.
        pick = 0 if self.rng.random() < 0.8 else 1
        for position, (index, _expert) in enumerate(ctx.round):
            if position == pick:
                self._set(
                    index,
                    status=M.APPROVED,
                    decided_at=at,
                    invited_at=at,
                    expires_at=at + timedelta(hours=INVITATION_HOURS),
                    pm_note="经验与预算都合适。" if self.rng.random() < 0.5 else "",
                )
            else:
                self._set(index, status=M.WITHDRAWN, decided_at=at)
        live = ctx.round[pick]
        expert = live[1]
        if expert[3]:
            days = pricing.suggested_scope_days(
                day_rate=expert[3], budget_max=ctx.budget_max, rule=self.rule
            )
            price = None
        else:
            days, price = None, ctx.budget_min
        # The platform fee is paid once per brief: a re-match's quote waives it.
        waived = ctx.fee_paid
        lines = pricing.quote_lines(
            day_rate=expert[3],
            scope_days=days,
            fixed_price=price,
            rule=self.rule,
            fee_waived=waived,
        )
        ctx.quote = self.t.add(
            "marketplace_quote",
            version=1,
            status="offered",
            scope_days=days,
            fixed_price=price,
            day_rate=expert[3],
            expert_earnings=lines.expert_earnings,
            platform_fee=lines.platform_fee,
            total=lines.total,
            fee_percent=Decimal(str(self.rule.percent)),
            fee_waived=waived,
            created_at=at,
            agreed_at=None,
            brief_id=ctx.brief,
            match_id=live[0],
            proposed_by_id=ctx.pm_id,
        )
        self._notify(ctx.owner_id, "match_approved", ctx, at)
        self._notify(expert[1], "invitation_received", ctx, at)
        return live

    def _quote(self, ctx: "_BriefContext", **values) -> None:
        columns = _Tables.COLUMNS["marketplace_quote"].split()
        row = self.t.rows["marketplace_quote"][ctx.quote]
        for name, value in values.items():
            row[columns.index(name)] = value

    def _accept(self, ctx: "_BriefContext", live, at) -> None:
        self._set(live[0], status=M.ACCEPTED, responded_at=at)
        self._quote(ctx, status="agreed", agreed_at=at)
        ctx.fee_paid = True
        ctx.project = self.t.add(
            "projects_project",
            status="active",
            started_at=at,
            delivered_at=None,
            ended_at=None,
            brief_id=ctx.brief,
            expert_id=live[1][0],
            match_id=live[0],
        )
        self._notify(ctx.owner_id, "invitation_accepted", ctx, at, expert=True)

    def _project(self, ctx: "_BriefContext", **values) -> None:
        columns = _Tables.COLUMNS["projects_project"].split()
        row = self.t.rows["projects_project"][ctx.project]
        for name, value in values.items():
            row[columns.index(name)] = value

    def _deliver(self, ctx: "_BriefContext", live, at) -> None:
        self._project(ctx, status="delivered", delivered_at=at)
        self._notify(ctx.owner_id, "work_delivered", ctx, at)

    def _complete(self, ctx: "_BriefContext", live, at) -> None:
        self._set(live[0], status=M.COMPLETED)
        self._project(ctx, status="completed", ended_at=at)
        rating = self.rng.choice((3, 4, 4, 5, 5, 5))
        self.t.add(
            "projects_feedback",
            kind="rating",
            reason="",
            rating=rating,
            comment="合作顺利。",
            counts_against_expert=False,
            created_at=at,
            author_id=ctx.owner_id,
            brief_id=ctx.brief,
            expert_id=live[1][0],
            match_id=live[0],
        )
        self._notify(live[1][1], "work_accepted", ctx, at, rating=rating)

    def _replace(self, ctx: "_BriefContext", live, at) -> None:
        self._set(live[0], status=M.REPLACED)
        self._project(ctx, status="replaced", ended_at=at)
        reason = self.rng.choice(("quality", "communication", "deadline", "fit"))
        self.t.add(
            "projects_feedback",
            kind="dissatisfaction",
            reason=reason,
            rating=None,
            comment="希望换一位更合适的专家。",
            counts_against_expert=reason not in ("fit", "brief_unclear"),
            created_at=at,
            author_id=ctx.owner_id,
            brief_id=ctx.brief,
            expert_id=live[1][0],
            match_id=live[0],
        )
        self._notify(ctx.pm_id, "rematch_started", ctx, at, admin=True)
        self._notify(live[1][1], "engagement_replaced", ctx, at)

    def _end_round(self, ctx: "_BriefContext", at, *, rejected: bool) -> None:
        for index, _expert in ctx.round:
            if rejected:
                self._set(index, status=M.REJECTED, decided_at=at, decision_reason="不够匹配")
            else:
                self._set(index, status=M.WITHDRAWN, decided_at=at)

    def _notify(self, user_id, kind, ctx, at, *, admin=False, expert=False, rating=None) -> None:
        params = {"brief": ctx.title}
        if expert:
            params["expert"] = "专家"
        if rating is not None:
            params["rating"] = rating
        old = (self.now - at) > timedelta(days=3)
        self.t.add(
            "notifications_notification",
            kind=kind,
            params=params,
            url=self.admin_url if admin else self.url,
            created_at=at,
            read_at=at + timedelta(hours=2) if old else None,
            emailed_at=at,
            recipient_id=user_id,
        )


def pricing_fit(day_rate: int | None, budget_max: int) -> float:
    if not day_rate:
        return 0.5
    return min(budget_max / (day_rate * 5.0), 1.0)


class _BriefContext:
    """What the steps of one brief's history share."""

    def __init__(self, brief, owner_id, pm_id, budget_min, budget_max, experts, tag_name):
        self.brief = brief
        self.owner_id = owner_id
        self.pm_id = pm_id
        self.budget_min = budget_min
        self.budget_max = budget_max
        self.experts = experts
        self.title = f"{tag_name}需求"
        self.round: list[tuple[int, tuple]] = []
        self.quote: int | None = None
        self.project: int | None = None
        self.fee_paid = False
