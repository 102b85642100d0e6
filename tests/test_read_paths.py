"""Issue 10: the cheaper read paths give what the plain ones gave.

- Output serializers built on FastOutputMixin render exactly what DRF's own
  `Serializer.to_representation` renders, field by field and in order.
- Token authentication reads the startup with the user, and the brief list then filters on the
  startup's id: the same briefs, in one query less of joins, and never another tenant's.
- The filter backend builds no FilterSet for a query string with nothing but the page.
- The API's paginator counts rows only when the first page is full.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.test import APIClient

from marketplace.api.serializers import (
    BriefOutputSerializer,
    ExpertRefSerializer,
    MatchOutputSerializer,
    PersonSerializer,
    QuoteSerializer,
)
from marketplace.api.views import _with_current_match
from marketplace.models import Brief, Match, Quote
from projects.api.views import InvitationSerializer
from tests import factories
from tests.test_query_budgets import _live_brief

pytestmark = pytest.mark.django_db
PG = connection.vendor == "postgresql"


def _briefs_of_every_shape(startup, pm):
    live = _live_brief(startup, pm)
    campaign = factories.CampaignFactory(startup=startup)
    factories.BriefFactory(startup=startup, pm=None, campaign=campaign)
    rematching = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.REMATCHING)
    rematching.rematch_count = 1
    rematching.rematch_started_at = timezone.now() - timedelta(hours=3)
    rematching.save(update_fields=["rematch_count", "rematch_started_at"])
    factories.MatchFactory(brief=rematching, status=Match.Status.REPLACED, pm_note="<b>x</b>")
    # A live match with no quote in force.
    unquoted = factories.BriefFactory(startup=startup, pm=pm, status=Brief.Status.AWAITING_EXPERT)
    factories.MatchFactory(brief=unquoted, status=Match.Status.APPROVED)
    return live


def test_fast_brief_serializer_renders_what_drf_renders(pm):
    startup = factories.StartupFactory()
    _briefs_of_every_shape(startup, pm)
    briefs = list(_with_current_match(Brief.objects.filter(startup=startup)))
    assert len(briefs) == 4
    serializer = BriefOutputSerializer()
    for brief in briefs:
        fast = serializer.to_representation(brief)
        assert fast == serializers.Serializer.to_representation(BriefOutputSerializer(), brief)
        assert list(fast) == list(BriefOutputSerializer.Meta.fields)
    live = next(b for b in briefs if b.current_quotes)
    assert serializer.to_representation(live)["quote"] is not None
    assert serializer.to_representation(live)["current_expert"] is not None


def test_fast_match_quote_and_invitation_serializers_render_what_drf_renders(pm):
    startup = factories.StartupFactory()
    live = _briefs_of_every_shape(startup, pm)
    matches = list(Match.objects.filter(brief__startup=startup).select_related("expert__tag"))
    quotes = list(Quote.objects.filter(brief=live))
    assert matches
    assert quotes
    unnamed_pm = factories.PMUserFactory(name="")
    for serializer_class, rows in [
        (MatchOutputSerializer, matches),
        (QuoteSerializer, quotes),
        (InvitationSerializer, matches),
        (ExpertRefSerializer, [m.expert for m in matches]),
        (PersonSerializer, [pm, unnamed_pm]),
    ]:
        serializer = serializer_class()
        for row in rows:
            assert serializer.to_representation(row) == serializers.Serializer.to_representation(
                serializer_class(), row
            ), serializer_class.__name__


@pytest.mark.parametrize("languages", [("en", "zh-hans"), ("zh-hans", "en")])
def test_fields_built_once_per_class_equal_fields_built_by_drf(languages):
    # A field gets a label or not by the language active when it is built (the schema is built
    # in English): the fields are kept per language, whichever is built first.
    for serializer_class in (BriefOutputSerializer, MatchOutputSerializer, QuoteSerializer):
        if "_fast_built_fields" in serializer_class.__dict__:
            delattr(serializer_class, "_fast_built_fields")  # built again from here
        for language in languages:
            with translation.override(language):
                cached = serializer_class().fields
                built = serializers.ModelSerializer.get_fields(serializer_class())
            assert list(cached) == list(built)
            for name, field in built.items():
                assert type(cached[name]) is type(field), name
                assert cached[name]._kwargs == field._kwargs, (language, name)


def _token_client(user) -> APIClient:
    client = APIClient()
    token = factories.api_token(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


class _Sent(list):
    """The statements sent while open, as PostgreSQL runs them: a prepared statement's
    execution (kaigan.db) as its text, with its values in place of $1, $2, ..."""

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self._record)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)

    def _record(self, execute, sql, params, many, context):
        self.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    def texts(self) -> list[str]:
        texts = []
        for sql, params in self:
            prepared = re.match(r"EXECUTE (kaigan_\d+)", sql)
            if prepared:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT statement FROM pg_prepared_statements WHERE name = %s",
                        [prepared.group(1)],
                    )
                    sql = cursor.fetchone()[0].split(" AS ", 1)[1]
                sql = re.sub(r"\$(\d+)", lambda m, p=params: str(p[int(m.group(1)) - 1]), sql)
            elif params:
                sql = sql % tuple(params)
            texts.append(sql)
        return texts


def test_token_brief_list_filters_on_the_startup_id_and_shows_only_its_own_briefs(pm):
    startup = factories.StartupFactory()
    other = factories.StartupFactory()
    _briefs_of_every_shape(startup, pm)
    theirs = _live_brief(other, pm)
    client = _token_client(startup.owner)

    with _Sent() as queries:
        response = client.get("/api/v1/briefs/")

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert sorted(ids) == sorted(Brief.objects.filter(startup=startup).values_list("id", flat=True))
    assert theirs.pk not in ids
    token_sql, page_sql = queries.texts()[:2]
    if PG:
        # The token, with its user and their startup; the page rendered by PostgreSQL, with
        # its count in the same statement (kaigan.api.json_rows).
        assert len(queries) == 2
        with _Sent() as full_page:
            client.get("/api/v1/briefs/?page_size=2")
        (count_sql,) = full_page.texts()[1:]
    else:
        # The token, with its user and their startup; the page; the live matches with their
        # quotes (no count: the page is not full).
        assert len(queries) == 3
        with _Sent() as full_page:
            client.get("/api/v1/briefs/?page_size=2")
        (count_sql,) = (sql for sql in full_page.texts() if "COUNT(*)" in sql)
    assert '"marketplace_startup"' in token_sql
    assert f'"marketplace_brief"."startup_id" = {startup.pk}' in count_sql
    assert f'"marketplace_brief"."startup_id" = {startup.pk}' in page_sql
    assert '"marketplace_startup"."owner_id" =' not in page_sql
    assert client.get(f"/api/v1/briefs/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/briefs/{theirs.pk}/matches/").status_code == 404


def test_token_and_session_list_the_same_briefs(pm):
    startup = factories.StartupFactory()
    _briefs_of_every_shape(startup, pm)
    _live_brief(factories.StartupFactory(), pm)
    session = APIClient()
    session.force_login(startup.owner)

    by_token = _token_client(startup.owner).get("/api/v1/briefs/?page_size=2&page=2").json()
    by_session = session.get("/api/v1/briefs/?page_size=2&page=2").json()

    assert by_token == by_session
    assert by_token["count"] == 4


def test_a_bad_token_and_an_inactive_users_token_get_one_refusal(pm):
    startup = factories.StartupFactory()
    client = _token_client(startup.owner)
    startup.owner.is_active = False
    startup.owner.save(update_fields=["is_active"])

    inactive = client.get("/api/v1/briefs/")
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    unknown = client.get("/api/v1/briefs/")

    assert inactive.status_code == 401
    assert unknown.status_code == 401
    # The same words: a token's answer does not tell whether its account was deactivated.
    assert unknown.json() == inactive.json()


def test_a_user_without_a_startup_lists_nothing(pm):
    user = factories.UserFactory(role="startup")
    _live_brief(factories.StartupFactory(), pm)

    response = _token_client(user).get("/api/v1/briefs/")

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 200), ("?page=1", 200), ("?page_size=5", 200), ("?status=nope", 400), ("?x=1", 200)],
)
def test_filterset_is_skipped_only_for_page_parameters(pm, query, status):
    startup = factories.StartupFactory()
    _briefs_of_every_shape(startup, pm)
    client = _token_client(startup.owner)

    response = client.get(f"/api/v1/briefs/{query}")

    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] == 4


@pytest.mark.parametrize(("briefs", "count_sent"), [(0, False), (4, False), (5, True), (7, True)])
def test_first_page_counts_only_when_full(pm, briefs, count_sent):
    startup = factories.StartupFactory()
    factories.BriefFactory.create_batch(briefs, startup=startup, pm=pm)
    client = _token_client(startup.owner)

    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/v1/briefs/?page_size=5").json()
    if PG:
        # The count is part of the page's one statement, evaluated only for a full page.
        assert len(queries) == 2
    else:
        counted = any("COUNT(*)" in q["sql"] for q in queries.captured_queries)
        assert counted == count_sent
    second = client.get("/api/v1/briefs/?page_size=5&page=2")

    assert first["count"] == briefs
    assert len(first["results"]) == min(briefs, 5)
    assert (first["next"] is not None) == (briefs > 5)
    assert first["previous"] is None
    if briefs > 5:
        assert second.status_code == 200
        assert second.json()["count"] == briefs
        assert len(second.json()["results"]) == briefs - 5
    else:
        assert second.status_code == 404


def test_the_list_shows_each_brief_as_its_detail_shows_it(pm):
    """The list prefetches the quote under the live match; the detail reads it by brief."""
    startup = factories.StartupFactory()
    _briefs_of_every_shape(startup, pm)
    _live_brief(startup, pm)
    client = _token_client(startup.owner)

    listed = client.get("/api/v1/briefs/").json()["results"]

    assert len(listed) == 5
    assert sum(row["current_expert"] is not None for row in listed) == 3
    assert sum(row["quote"] is not None for row in listed) == 2
    for row in listed:
        detail = client.get(f"/api/v1/briefs/{row['id']}/").json()
        assert detail.pop("files") == []  # the detail alone lists the reference files
        assert row == detail


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("other startup", 404), ("startup without a startup", 403), ("pm", 403)],
)
def test_brief_page_answers_each_viewer_as_before(client, pm, who, status):
    startup = factories.StartupFactory()
    brief = _live_brief(startup, pm)
    viewer = {
        "owner": startup.owner,
        "other startup": factories.StartupFactory().owner,
        "startup without a startup": factories.UserFactory(role="startup"),
        "pm": pm,
    }[who]
    client.force_login(viewer)

    for name in ("marketplace:brief_detail", "marketplace:brief_edit"):
        response = client.get(reverse(name, args=[brief.pk]))
        expected = 302 if status == 200 and "edit" in name else status
        if who == "pm" and name == "marketplace:brief_detail":
            expected = 302  # to the brief in the admin (tests/test_links_and_mail.py)
        assert response.status_code == expected
    cancel = client.post(reverse("marketplace:brief_cancel", args=[brief.pk]), {"confirm": "on"})
    assert cancel.status_code == (302 if status == 200 else status)
    brief.refresh_from_db()
    assert brief.status == Brief.Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("query", "own", "other"),
    [
        ("", 200, 404),
        ("?status=withdrawn", 200, 404),
        ("?status=nope", 400, 404),
        ("?round=x", 400, 404),
        ("?page=9", 404, 404),
        ("?page=1&page_size=1", 200, 404),
    ],
)
def test_pm_matches_answer_as_before_on_their_brief_and_anothers(pm, query, own, other):
    """The PM's matches are read with the check that the brief is theirs; anything but rows
    goes through the brief's own query, as before."""
    theirs = _live_brief(factories.StartupFactory(), pm)
    factories.MatchFactory(brief=theirs, status=Match.Status.REJECTED, rank=2)
    another = _live_brief(factories.StartupFactory(), factories.PMUserFactory())
    client = _token_client(pm)

    mine = client.get(f"/api/v1/briefs/{theirs.pk}/matches/{query}")
    not_mine = client.get(f"/api/v1/briefs/{another.pk}/matches/{query}")

    assert mine.status_code == own
    assert not_mine.status_code == other
    assert not_mine.json()["code"] == "not_found"
    if own == 200:
        body = mine.json()
        expected = list(
            Match.objects.filter(brief=theirs)
            .exclude(status="withdrawn" if "withdrawn" not in query else "")
            .filter(**({"status": "withdrawn"} if "withdrawn" in query else {}))
            .order_by("round", "rank")
            .values_list("id", flat=True)
        )
        assert body["count"] == len(expected)
        assert [row["id"] for row in body["results"]] == expected[: len(body["results"])]
    if query == "":
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/api/v1/briefs/{theirs.pk}/matches/")
        assert len(queries) == 2  # the token with its user; the matches
