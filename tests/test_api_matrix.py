"""The permission matrix of the HTTP API: every endpoint × role × method, in one table.

Each case builds a fresh world with the services — a startup's brief in the row's state, its PM,
the expert invited to (or working on) it — signs in with a real API token, sends one request
and compares the status. A list cell `200/n` also says how many items the role sees (`count` of
the page, or the length of an unpaginated list). A denied write (4xx) must change nothing: every
business table is compared before and after.

Roles (columns):
  anon          no credentials
  owner         the startup that posted the brief
  st2           another startup (with a brief of its own, managed by pm2)
  exp           the expert proposed for, invited to or working on the brief
  exp2          another expert (another tag, never proposed)
  pm            the brief's project manager
  pm2           another project manager
  super         a superuser

States (what the services did to the brief before the request):
  open          posted, assigned to its PM, no proposal yet
  proposed      ranked: `expert` and one more are proposed ({match} is `expert`'s proposal)
  invited       the PM approved `expert` ({match} is the invitation)
  working       `expert` accepted: in progress
  delivered     `expert` delivered
  quote         in progress, and the owner proposed a change to the quote ({quote})
"""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from experts.models import Expert, TagChange
from experts.services import expert_refresh_rank_base
from kaigan.notifications.models import Notification
from marketplace.matching import propose_matches
from marketplace.models import Brief, BriefEvent, Campaign, Match, Quote, Startup
from marketplace.services import match_approve, quote_propose_change
from projects.models import Feedback, Project, RematchJob
from projects.services import invitation_accept, pm_group_ensure, work_deliver
from tests import factories

ROLES = ("anon", "owner", "st2", "exp", "exp2", "pm", "pm2", "super")

# Paths are under /api/v1/.
MATRIX = """
method path                            state     | anon  owner st2   exp   exp2  pm    pm2   super
POST   auth/token/                     open      | 200   200   200   200   200   200   200   200
DELETE auth/token/                     open      | 401   204   204   204   204   204   204   204
GET    tags/                           open      | 200   200   200   200   200   200   200   200
GET    experts/me/                     open      | 401   403   403   200   200   403   403   403
PATCH  experts/me/                     open      | 401   403   403   200   200   403   403   403
PUT    experts/me/tag/                 open      | 401   403   403   200   200   403   403   403
GET    briefs/                         open      | 401   200/1 200/1 200/0 200/0 200/1 200/1 200/2
POST   briefs/                         open      | 401   201   201   403   403   403   403   403
GET    briefs/{brief}/                 open      | 401   200   404   404   404   200   404   200
PATCH  briefs/{brief}/                 open      | 401   200   404   404   404   403   404   403
DELETE briefs/{brief}/                 open      | 401   405   405   405   405   405   405   405
POST   briefs/{brief}/cancel/          open      | 401   200   404   404   404   403   404   403
GET    briefs/{brief}/matches/         invited   | 401   200/1 404   404   404   200/2 404   200/2
POST   matches/{match}/approve/        proposed  | 401   404   404   404   404   200   404   200
POST   matches/{match}/reject/         proposed  | 401   404   404   404   404   200   404   200
GET    invitations/                    invited   | 401   403   403   200/1 200/0 403   403   403
POST   invitations/{match}/accept/     invited   | 401   403   403   200   404   403   403   403
POST   invitations/{match}/decline/    invited   | 401   403   403   200   404   403   403   403
POST   briefs/{brief}/deliver/         working   | 401   403   403   200   404   403   403   403
POST   briefs/{brief}/accept/          delivered | 401   200   404   404   404   403   404   403
POST   briefs/{brief}/dissatisfaction/ working   | 401   202   404   404   404   403   404   403
POST   briefs/{brief}/quote/change/    working   | 401   201   404   201   404   404   404   404
POST   quotes/{quote}/agree/           quote     | 401   403   404   200   404   404   404   404
POST   quotes/{quote}/reject/          quote     | 401   403   404   200   404   404   404   404
GET    notifications/                  open      | 401   200/1 200/1 200/1 200/1 200/1 200/1 200/1
POST   notifications/read/             open      | 401   200   200   200   200   200   200   200
"""

#: The body each write sends, the same for every role.
BODIES = {
    "POST auth/token/": lambda world: {
        "email": world.users["owner"].email,
        "password": factories.PASSWORD,
    },
    "PATCH experts/me/": {"headline": "十年品牌文案", "day_rate": 1800},
    "PUT experts/me/tag/": {"tag": "visual-identity"},
    "POST briefs/": lambda world: {
        "title": "官网改版文案",
        "description": "为新版官网写首页与产品页文案。",
        "tag": "copywriting",
        "budget_min": 5000,
        "budget_max": 9000,
        "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
    },
    "PATCH briefs/{brief}/": {"title": "新品发布新闻稿（修订）", "version": 1},
    "POST briefs/{brief}/cancel/": {"reason": "计划取消"},
    "POST matches/{match}/approve/": {"note": "做过同类发布稿"},
    "POST matches/{match}/reject/": {"reason": "档期冲突"},
    "POST invitations/{match}/decline/": {"reason": "档期满了"},
    "POST briefs/{brief}/accept/": {"rating": 5, "review": "准时，质量好。"},
    "POST briefs/{brief}/dissatisfaction/": {"reason": "quality", "comment": "和调性不符。"},
    "POST briefs/{brief}/quote/change/": {"fixed_price": 6000},
    "POST notifications/read/": {},
}


def _parse(table: str) -> list:
    cases = []
    rows = [line for line in table.strip().splitlines()[1:] if line.strip()]
    for row in rows:
        left, right = row.split("|")
        method, path, state = left.split()
        cells = right.split()
        assert len(cells) == len(ROLES), row
        for role, cell in zip(ROLES, cells, strict=True):
            status, _, count = cell.partition("/")
            expected = (int(status), int(count) if count else None)
            cases.append(
                pytest.param(method, path, state, role, expected, id=f"{method} {path} {role}")
            )
    return cases


@dataclass
class World:
    users: dict
    brief: Brief
    match: Match | None = None
    quote: Quote | None = None


def _pm_user():
    profile = factories.ProjectManagerFactory()
    profile.user.groups.add(pm_group_ensure())
    return profile.user


def build_world(state: str) -> World:
    """One startup's brief brought to `state` through the services, and everyone around it."""
    pm, other_pm = _pm_user(), _pm_user()
    superuser = factories.UserFactory(role="admin", is_staff=True, is_superuser=True)
    startup, other_startup = factories.StartupFactory(), factories.StartupFactory()
    factories.BriefFactory(startup=other_startup, pm=other_pm)
    expert, second = factories.ExpertFactory(), factories.ExpertFactory()
    other_expert = factories.ExpertFactory(tag=factories.tag("naming"))
    for profile in (expert, second, other_expert):
        expert_refresh_rank_base(expert_id=profile.pk)
    brief = factories.BriefFactory(startup=startup, pm=pm)
    world = World(
        users={
            "anon": None,
            "owner": startup.owner,
            "st2": other_startup.owner,
            "exp": expert.user,
            "exp2": other_expert.user,
            "pm": pm,
            "pm2": other_pm,
            "super": superuser,
        },
        brief=brief,
    )
    if state != "open":
        propose_matches(brief)
        world.match = brief.matches.get(expert=expert)
    if state in ("invited", "working", "delivered", "quote"):
        match_approve(match_id=world.match.pk, actor=pm)
    if state in ("working", "delivered", "quote"):
        invitation_accept(match_id=world.match.pk, user=expert.user)
    if state == "delivered":
        work_deliver(brief_id=brief.pk, user=expert.user)
    if state == "quote":
        world.quote = quote_propose_change(brief_id=brief.pk, user=startup.owner, fixed_price=5000)
    for user in world.users.values():
        if user is not None:
            factories.NotificationFactory(recipient=user)
    brief.refresh_from_db()
    return world


#: Every business table: a denied request must leave each exactly as it was.
TABLES = (
    Brief,
    BriefEvent,
    Campaign,
    Match,
    Quote,
    Project,
    Feedback,
    RematchJob,
    Startup,
    Expert,
    TagChange,
    Notification,
    Token,
)


def snapshot() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}


def _url(path: str, world: World) -> str:
    ids = {
        "brief": world.brief.pk,
        "match": world.match.pk if world.match else -1,
        "quote": world.quote.pk if world.quote else -1,
    }
    return "/api/v1/" + path.format(**ids)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "state", "role", "expected"), _parse(MATRIX))
def test_api_permission_matrix(method, path, state, role, expected):
    world = build_world(state)
    client = APIClient()
    user = world.users[role]
    if user is not None:
        token = Token.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = BODIES.get(f"{method} {path}")
    if callable(body):
        body = body(world)
    before = snapshot()

    response = client.generic(method, _url(path, world), **_payload(body))

    status, count = expected
    assert response.status_code == status, response.content.decode()[:300]
    data = response.json() if response.content else None
    if count is not None:
        assert (data["count"] if isinstance(data, dict) else len(data)) == count
    if status >= 400:
        assert set(data) == {"detail", "code", "errors"}
        if method != "GET":
            assert snapshot() == before


def _payload(body) -> dict:
    if body is None:
        return {}
    return {"data": json.dumps(body), "content_type": "application/json"}
