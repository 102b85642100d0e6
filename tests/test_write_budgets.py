"""Issue 10: every API write runs a fixed number of queries, however much history is around it.

Each write is measured in a world with a little history and in one with much more (other
briefs of the same startup and PM, each in progress with its match and quote, and more
notifications for everyone); both must run exactly the pinned number of queries. Work
scheduled after commit (ranking, e-mail) is not counted: it runs in the worker.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests import factories
from tests.test_api_matrix import BODIES, _payload, _url, build_world
from tests.test_query_budgets import _live_brief

pytestmark = pytest.mark.django_db

# (method, path, state, who, expected status, query budget)
WRITES = [
    ("POST", "briefs/", "open", "owner", 201, 9),
    ("PATCH", "briefs/{brief}/", "open", "owner", 200, 11),  # + the answer's reference files
    ("POST", "briefs/{brief}/cancel/", "open", "owner", 200, 17),  # + billing: any money back
    ("POST", "matches/{match}/approve/", "proposed", "pm", 200, 25),  # + the pool's hard filters
    ("POST", "matches/{match}/reject/", "proposed", "pm", 200, 10),
    # + billing: the escrow settled (a lower re-match price refunded), the funding record
    ("POST", "invitations/{match}/accept/", "invited", "exp", 200, 31),  # + reference files
    ("POST", "invitations/{match}/decline/", "invited", "exp", 200, 22),  # access, then input
    ("POST", "briefs/{brief}/deliver/", "working", "exp", 200, 22),  # + billing: funded?
    # + billing: escrow released, two postings (earnings, fee) with their locks and checks
    ("POST", "briefs/{brief}/accept/", "delivered", "owner", 200, 55),
    ("POST", "briefs/{brief}/dissatisfaction/", "working", "owner", 202, 27),
    ("POST", "briefs/{brief}/quote/change/", "working", "owner", 201, 11),
    ("POST", "quotes/{quote}/agree/", "quote", "exp", 200, 12),  # + the notice
    ("POST", "quotes/{quote}/reject/", "quote", "exp", 200, 11),  # + the notice
    ("POST", "notifications/read/", "open", "owner", 200, 3),
    ("PATCH", "experts/me/", "open", "exp", 200, 9),
    ("PUT", "experts/me/tag/", "open", "exp", 200, 11),
]


def _history(world, n: int) -> None:
    startup = world.users["owner"].startup
    for _ in range(n):
        _live_brief(startup, world.users["pm"])
        for user in world.users.values():
            if user is not None:
                factories.NotificationFactory(recipient=user)


@pytest.mark.parametrize("history", [1, 6])
@pytest.mark.parametrize(
    ("method", "path", "state", "who", "status", "budget"),
    WRITES,
    ids=[f"{w[0]} {w[1]}" for w in WRITES],
)
def test_write_query_count_is_pinned_and_flat(method, path, state, who, status, budget, history):
    world = build_world(state)
    _history(world, history)
    client = APIClient()
    token = factories.api_token(world.users[who])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = BODIES.get(f"{method} {path}")
    if callable(body):
        body = body(world)

    with CaptureQueriesContext(connection) as queries:
        response = client.generic(method, _url(path, world), **_payload(body))

    assert response.status_code == status, response.content.decode()[:300]
    print(f"{method} {path} with history {history}: {len(queries)} queries")
    assert len(queries) == budget, f"{method} {path}: {len(queries)} queries, pinned {budget}"
