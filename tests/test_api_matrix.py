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
  fin           finance staff (the Finance group: the admin, not the API)

States (what the services did to the brief before the request):
  open          posted, assigned to its PM, no proposal yet
  proposed      ranked: `expert` and one more are proposed ({match} is `expert`'s proposal)
  invited       the PM approved `expert` ({match} is the invitation)
  unfunded      `expert` accepted: in progress, awaiting funding
  working       `expert` accepted and the owner funded the brief (the development provider)
  delivered     `expert` delivered
  done          the owner accepted the delivery: completed, escrow released, the fee charged
  quote         in progress, and the owner proposed a change to the quote ({quote})
  higher        `expert` delivered and was replaced (a 0 % share); `second` accepted a higher
                price: the owner has a difference to approve

In every state the brief has a reference file ({file}), uploaded and attached by its startup.
"""

import functools
import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.query import EmptyQuerySet
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from billing import services as billing_services
from billing.models import (
    Account,
    BriefFunding,
    FundingDecision,
    IdempotentRequest,
    InvoiceRequest,
    LedgerEntry,
    LedgerTransaction,
    Receipt,
    Refund,
    Settlement,
)
from experts.models import Expert, TagChange
from experts.services import expert_refresh_rank_base
from kaigan.accounts.models import ApiToken
from kaigan.api.converters import MAX_OBJECT_ID
from kaigan.api.views import ApiNotFound
from kaigan.files.models import FileAttachment, FileEvent, StoredFile
from kaigan.files.services import file_upload, files_attach
from kaigan.files.storage import file_storage
from kaigan.notifications.models import Notification
from marketplace.matching import propose_matches
from marketplace.models import Brief, BriefEvent, Campaign, Match, Quote, Startup
from marketplace.services import match_approve, quote_propose_change
from projects.models import Feedback, Project, RematchJob
from projects.services import dissatisfaction_submit, pm_group_ensure, rematch_run
from tests import factories

ROLES = ("anon", "owner", "st2", "exp", "exp2", "pm", "pm2", "super", "fin")

# Paths are under /api/v1/.
MATRIX = """
method path                            state     | anon  owner st2   exp   exp2  pm    pm2   super fin
POST   auth/token/                     open      | 200   200   200   200   200   200   200   200   200
DELETE auth/token/                     open      | 401   204   204   204   204   204   204   204   204
GET    auth/tokens/                    open      | 401   200/2 200/1 200/1 200/1 200/1 200/1 200/1 200/1
DELETE auth/tokens/{token}/            open      | 401   204   404   404   404   404   404   404   404
GET    tags/                           open      | 200   200   200   200   200   200   200   200   200
GET    experts/me/                     open      | 401   403   403   200   200   403   403   403   403
PATCH  experts/me/                     open      | 401   403   403   200   200   403   403   403   403
PUT    experts/me/tag/                 open      | 401   403   403   200   200   403   403   403   403
GET    briefs/                         open      | 401   200/1 200/1 200/0 200/0 200/1 200/1 200/2 200/0
POST   briefs/                         open      | 401   201   201   403   403   403   403   403   403
GET    briefs/{brief}/                 open      | 401   200   404   404   404   200   404   200   404
PATCH  briefs/{brief}/                 open      | 401   200   404   404   404   403   404   403   404
DELETE briefs/{brief}/                 open      | 401   405   405   405   405   405   405   405   405
POST   briefs/{brief}/cancel/          open      | 401   200   404   404   404   403   404   403   404
GET    briefs/{brief}/matches/         invited   | 401   200/1 404   404   404   200/2 404   200/2 404
POST   matches/{match}/approve/        proposed  | 401   404   404   404   404   200   404   200   404
POST   matches/{match}/reject/         proposed  | 401   404   404   404   404   200   404   200   404
GET    invitations/                    invited   | 401   403   403   200/1 200/0 403   403   403   403
POST   invitations/{match}/accept/     invited   | 401   403   403   200   404   403   403   403   403
POST   invitations/{match}/decline/    invited   | 401   403   403   200   404   403   403   403   403
POST   briefs/{brief}/deliver/         working   | 401   403   403   200   404   403   403   403   403
POST   briefs/{brief}/accept/          delivered | 401   200   404   404   404   403   404   403   404
POST   briefs/{brief}/dissatisfaction/ working   | 401   202   404   404   404   403   404   403   404
POST   briefs/{brief}/quote/change/    working   | 401   201   404   201   404   404   404   404   404
POST   quotes/{quote}/agree/           quote     | 401   403   404   200   404   404   404   404   404
POST   quotes/{quote}/reject/          quote     | 401   403   404   200   404   404   404   404   404
GET    notifications/                  open      | 401   200/1 200/1 200/1 200/1 200/1 200/1 200/1 200/1
POST   notifications/read/             open      | 401   200   200   200   200   200   200   200   200
POST   files/                          open      | 401   201   201   201   201   201   201   201   201
GET    files/{file}/download/          invited   | 401   200   404   200   404   200   404   200   404
GET    briefs/{brief}/funding/         unfunded  | 401   200   404   404   404   200   404   200   404
POST   briefs/{brief}/funding/         unfunded  | 401   201   404   404   404   201   404   201   404
POST   briefs/{brief}/funding/approve/ higher    | 401   200   404   404   404   403   404   403   404
GET    briefs/{brief}/statement/       working   | 401   200   404   404   404   200   404   200   404
GET    experts/me/balance/             working   | 401   403   403   200   200   403   403   403   403
GET    experts/me/payouts/             working   | 401   403   403   200/0 200/0 403   403   403   403
GET    invoices/                       done      | 401   200/0 200/0 403   403   403   403   403   403
POST   invoices/                       done      | 401   201   404   403   403   403   403   403   403
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
    "POST files/": lambda world: {
        "file": SimpleUploadedFile("参考.txt", "品牌调性：简洁。".encode())
    },
    "POST briefs/{brief}/funding/": {"method": "dev"},
    "POST invoices/": lambda world: {
        "brief": world.brief.pk,
        "title": "水杯科技（上海）有限公司",
        "tax_id": "91310000MA1FL8XQ37",
        "address": "上海市浦东新区世纪大道 100 号",
        "bank": "招商银行上海分行 121900000000",
    },
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
    file: StoredFile
    token: ApiToken | None = None
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
    finance = factories.UserFactory(role="admin", is_staff=True)
    finance.groups.add(billing_services.finance_group_ensure())
    startup, other_startup = factories.StartupFactory(), factories.StartupFactory()
    factories.BriefFactory(startup=other_startup, pm=other_pm)
    expert, second = factories.ExpertFactory(), factories.ExpertFactory()
    other_expert = factories.ExpertFactory(tag=factories.tag("naming"))
    for profile in (expert, second, other_expert):
        expert_refresh_rank_base(expert_id=profile.pk)
    brief = factories.BriefFactory(startup=startup, pm=pm)
    reference = file_upload(
        user=startup.owner, uploaded=SimpleUploadedFile("参考.txt", "品牌调性：简洁。".encode())
    )
    files_attach(user=startup.owner, target=brief, file_ids=[reference.pk])
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
            "fin": finance,
        },
        brief=brief,
        file=reference,
        token=factories.api_token(startup.owner, name="the owner's laptop"),
    )
    engaged = ("unfunded", "working", "delivered", "done", "quote", "higher")
    if state != "open":
        propose_matches(brief)
        world.match = brief.matches.get(expert=expert)
    if state in ("invited", *engaged):
        match_approve(match_id=world.match.pk, actor=pm)
    if state in engaged:
        billing_services.invitation_accept(match_id=world.match.pk, user=expert.user)
    if state in ("working", "delivered", "done", "quote", "higher"):
        billing_services.fund_with_dev_provider(brief_id=brief.pk, user=startup.owner)
    if state in ("delivered", "done", "higher"):
        billing_services.work_deliver(brief_id=brief.pk, user=expert.user)
    if state == "done":
        billing_services.work_accept(brief_id=brief.pk, user=startup.owner, rating=5)
    if state == "quote":
        world.quote = quote_propose_change(brief_id=brief.pk, user=startup.owner, fixed_price=5000)
    if state == "higher":
        job = dissatisfaction_submit(brief_id=brief.pk, user=startup.owner, reason="quality")
        rematch_run(job_id=job.pk)
        billing_services.settlement_decide(
            match_id=world.match.pk, actor=pm, percent=0, reason="方向不符"
        )
        nxt = brief.matches.get(expert=second)
        match_approve(match_id=nxt.pk, actor=pm, fixed_price=12000)
        billing_services.invitation_accept(match_id=nxt.pk, user=second.user)
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
    ApiToken,
    StoredFile,
    FileAttachment,
    FileEvent,
    Account,
    BriefFunding,
    LedgerTransaction,
    LedgerEntry,
    Receipt,
    Refund,
    Settlement,
    FundingDecision,
    InvoiceRequest,
    IdempotentRequest,
)


def snapshot() -> dict:
    """Every row of every table a request could change; a token's `last_used_at` moves on any
    use of it, allowed or denied, and is left out."""
    return {
        model.__name__: [
            {k: v for k, v in row.items() if k != "last_used_at"}
            for row in model.objects.order_by("pk").values()
        ]
        for model in TABLES
    }


def _url(path: str, world: World) -> str:
    ids = {
        "brief": world.brief.pk,
        "match": world.match.pk if world.match else -1,
        "quote": world.quote.pk if world.quote else -1,
        "file": world.file.pk,
        "token": world.token.pk,
    }
    return "/api/v1/" + path.format(**ids)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "state", "role", "expected"), _parse(MATRIX))
def test_api_permission_matrix(method, path, state, role, expected):
    world = build_world(state)
    client = APIClient()
    user = world.users[role]
    if user is not None:
        token = factories.api_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = BODIES.get(f"{method} {path}")
    if callable(body):
        body = body(world)
    before = snapshot()

    response = client.generic(method, _url(path, world), **_payload(body))

    status, count = expected
    if response.streaming:  # a file's bytes (a download)
        assert response.status_code == status
        assert b"".join(response.streaming_content) == _read(world.file)
        return
    assert response.status_code == status, response.content.decode()[:300]
    data = response.json() if response.content else None
    if count is not None:
        assert (data["count"] if isinstance(data, dict) else len(data)) == count
    if status >= 400:
        assert set(data) == {"detail", "code", "errors"}
        if method != "GET":
            assert snapshot() == before


def _read(stored: StoredFile) -> bytes:
    with file_storage().open(stored.key, "rb") as handle:
        return handle.read()


def _payload(body) -> dict:
    if body is None:
        return {}
    if any(hasattr(value, "seek") for value in body.values()):  # a file: multipart
        for value in body.values():
            if hasattr(value, "seek"):
                value.seek(0)  # the same body may be sent twice
        return {"data": encode_multipart(BOUNDARY, body), "content_type": MULTIPART_CONTENT}
    return {"data": json.dumps(body), "content_type": "application/json"}


# --- every route is in the matrix, declares who may call it, and scopes what it reads ---------
#
# A new endpoint cannot leak by being forgotten: the walks below find every route of /api/v1/
# in the URL resolver, and fail until it has its rows in MATRIX.

API_PREFIX = "api/v1/"
#: The only views an anonymous request gets through (the token's POST, the public taxonomy,
#: and the JSON 404 of a path the API does not have).
ANONYMOUS_VIEWS = {"TokenApi": {"post"}, "TagListApi": {"get"}, "ApiNotFound": None}
#: Lists anyone may read in full.
PUBLIC_LISTS = {"tags/"}
WRITE_METHODS = ("post", "put", "patch", "delete")


def _api_routes():
    """(route under /api/v1/ with `{id}` for an object id, view class, its methods)."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    for route, pattern in walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        if not route.startswith(API_PREFIX) or pattern.name == "api-not-found":
            continue
        methods = {m for m in view_class.http_method_names if m not in ("options", "head")} & set(
            dir(view_class)
        )
        yield route.removeprefix(API_PREFIX).replace("<id:pk>", "{id}"), view_class, methods


def _matrix_rows() -> dict:
    """(METHOD, route with `{id}`) → (matrix path, state, {role: status})."""
    rows = {}
    for row in MATRIX.strip().splitlines()[1:]:
        left, right = row.split("|")
        method, path, state = left.split()
        statuses = {r: int(c.partition("/")[0]) for r, c in zip(ROLES, right.split(), strict=True)}
        rows[(method, re.sub(r"\{\w+\}", "{id}", path))] = (path, state, statuses)
    return rows


def test_every_api_route_and_method_is_in_the_matrix():
    rows = _matrix_rows()
    walked = [(m.upper(), route) for route, _, methods in _api_routes() for m in methods]
    missing = [f"{method} {route}" for method, route in walked if (method, route) not in rows]
    assert len(walked) >= 25
    assert missing == [], "add these to MATRIX (and to BODIES if they take one)"


def test_every_api_view_declares_who_may_call_it():
    undeclared, anonymous = [], []
    factory = APIRequestFactory()
    checked = {cls: methods for _, cls, methods in _api_routes()}
    checked[ApiNotFound] = {"get", "post"}
    for view_class, methods in checked.items():
        # The first class up the MRO that sets permission_classes must be the project's own,
        # not DRF's APIView (which falls back to the settings' default).
        owner = next(c for c in view_class.__mro__ if "permission_classes" in vars(c))
        if owner.__module__.startswith("rest_framework"):
            undeclared.append(view_class.__name__)
        for method in methods:
            request = Request(getattr(factory, method)("/"))
            request.user = AnonymousUser()
            view = view_class(request=request, format_kwarg=None, args=(), kwargs={})
            if all(p.has_permission(request, view) for p in view.get_permissions()):
                anonymous.append((view_class.__name__, method))
    assert undeclared == []
    allowed = {(name, m) for name, ms in ANONYMOUS_VIEWS.items() for m in ms or ("get", "post")}
    assert set(anonymous) == allowed


def test_every_api_list_view_reads_through_its_own_scoped_queryset():
    for _, view_class, _ in _api_routes():
        if not issubclass(view_class, GenericAPIView):
            continue
        # A class-level queryset of rows would be everyone's rows wherever DRF's own
        # get_queryset reads it: none, or an empty one (for the schema), read through the
        # view's own scoped get_queryset or selectors.
        queryset = getattr(view_class, "queryset", None)
        assert queryset is None or isinstance(queryset, EmptyQuerySet), view_class
        if queryset is None:
            assert view_class.get_queryset is not GenericAPIView.get_queryset, view_class


@pytest.mark.django_db
def test_a_newcomer_of_every_role_lists_nothing_of_anyone_else():
    """Others' data everywhere; a new account of each role, owning nothing, reads an empty page
    from every list of the API."""
    build_world("quote")  # a brief under way: its matches, invitation, quote, notifications
    newcomers = {
        "startup": factories.StartupFactory().owner,
        "expert": factories.ExpertFactory().user,
        "pm": _pm_user(),
    }
    lists = [route for route, _, methods in _api_routes() if "get" in methods and "{" not in route]
    seen = 0
    for role, user in newcomers.items():
        client = APIClient()
        client.force_authenticate(user)
        for route in lists:
            response = client.get("/api/v1/" + route)
            if response.status_code == 403 or route in PUBLIC_LISTS:
                continue  # not for this role; or open to all
            assert response.status_code == 200, (role, route)
            data = response.json()
            if isinstance(data, dict) and "results" not in data:
                assert data.get("id") is None or role == "expert", (role, route)  # one's own
                continue
            items = data["results"] if isinstance(data, dict) else data
            assert items == [], (role, route)
            seen += 1
    assert seen >= 6  # briefs and notifications for all three, invitations for the expert


# --- access before input: an id one may not see is a 404 whatever the body -------------------

NUL_EVERYWHERE = dict.fromkeys(
    [
        "title", "description", "tag", "budget_min", "budget_max", "deadline", "campaign",
        "version", "reason", "note", "rating", "review", "comment", "scope_days",
        "fixed_price", "ids",
    ],
    "\x00",
)  # fmt: skip
BAD_BODIES = {
    "a NUL in every field": json.dumps(NUL_EVERYWHERE),
    "null": "null",
    "nested": "[" * 10_000 + "]" * 10_000,
}
#: An id no object has (the largest the `<id:pk>` converter takes).
NO_SUCH_ID = MAX_OBJECT_ID


def _id_routes() -> list:
    return sorted(
        (method.upper(), route)
        for route, _, methods in _api_routes()
        if "{id}" in route
        for method in methods
    )


@functools.cache
def _api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _takes_a_body(method: str, route: str) -> bool:
    return "requestBody" in _api_schema()["paths"]["/api/v1/" + route][method.lower()]


def _object_id(world: World, path: str) -> int:
    kind = re.search(r"\{(\w+)\}", path)[1]
    return {
        "brief": world.brief,
        "match": world.match,
        "quote": world.quote,
        "file": world.file,
        "token": world.token,
    }[kind].pk


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "route"), _id_routes())
def test_an_id_one_may_not_see_is_a_404_whatever_the_body(method, route):
    path, _, statuses = _matrix_rows()[(method, route)]
    mine, theirs = build_world("quote"), build_world("quote")
    clients = {}
    for role, user in mine.users.items():
        clients[role] = APIClient()
        if user is not None:
            clients[role].force_authenticate(user)
    before = snapshot()

    def send(role, pk, body):
        url = "/api/v1/" + route.format(id=pk)
        response = clients[role].generic(method, url, body, content_type="application/json")
        return response.status_code, response.json()

    for role in ROLES:
        if role == "super":
            continue  # sees everything
        for name, body in BAD_BODIES.items():
            status, answer = send(role, _object_id(theirs, path), body)
            # Exactly as for an id that does not exist: nothing tells that this one does.
            assert (status, answer) == send(role, NO_SUCH_ID, body), (role, name)
            assert status in (401, 403, 404), (role, name, answer)
            assert set(answer) == {"detail", "code", "errors"}
            if statuses[role] < 300 or statuses[role] == 404:
                # The role reaches objects of this kind: for another tenant's it is a 404.
                assert status == 404, (role, name, answer)
    assert snapshot() == before

    # The bodies are bad indeed: on the caller's own object they are refused on their merits.
    if _takes_a_body(method, route):
        actor = next(role for role in ROLES if statuses[role] < 300)
        for name, body in BAD_BODIES.items():
            status, answer = send(actor, _object_id(mine, path), body)
            assert status == 400, (actor, name, answer)
    assert snapshot() == before


# --- CSRF: a signed-in browser's write without the token is refused and changes nothing -------

#: Writes that take no session: signing in for a token reads credentials from the body only.
WITHOUT_SESSION = {("POST", "auth/token/")}


def _csrf_cases() -> list:
    cases = []
    for (method, route), (path, state, statuses) in _matrix_rows().items():
        if method.lower() not in WRITE_METHODS or (method, route) in WITHOUT_SESSION:
            continue
        role = next((r for r in ROLES if 200 <= statuses[r] < 300), None)
        if role is not None:
            cases.append(
                pytest.param(method, path, state, role, statuses[role], id=f"{method} {path}")
            )
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "state", "role", "status"), _csrf_cases())
def test_a_session_write_without_the_csrf_token_is_refused(method, path, state, role, status):
    world = build_world(state)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(world.users[role])  # a real session, as a browser has
    body = BODIES.get(f"{method} {path}")
    if callable(body):
        body = body(world)
    before = snapshot()

    refused = browser.generic(method, _url(path, world), **_payload(body))

    assert refused.status_code == 403, refused.content.decode()[:300]
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["detail"]
    assert snapshot() == before
    # The same request with the token (cookie and header, as the pages send it) goes through.
    secret = get_random_string(32)
    browser.cookies[django_settings.CSRF_COOKIE_NAME] = secret
    allowed = browser.generic(method, _url(path, world), HTTP_X_CSRFTOKEN=secret, **_payload(body))
    assert allowed.status_code == status, allowed.content.decode()[:300]


def test_every_session_write_route_is_checked_for_csrf():
    checked = {(c.values[0], re.sub(r"\{\w+\}", "{id}", c.values[1])) for c in _csrf_cases()}
    writes = {
        (m.upper(), route)
        for route, _, methods in _api_routes()
        for m in methods
        if m in WRITE_METHODS
    }
    assert writes - WITHOUT_SESSION == checked
