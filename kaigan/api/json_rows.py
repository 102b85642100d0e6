"""Pages of the API's hot lists rendered as JSON by PostgreSQL, in one statement per page.

A list through DRF builds a model instance per row and per related row, then a dict per row,
then JSON: on the brief list that was most of a request's CPU (bench/LOAD.md). Here the
filtered, ordered queryset still chooses the rows (filters, permissions and order stay the
ORM's), and one statement renders the chosen page as a JSON array, with the total count when
the paginator needs it. The web process passes the text through.

Each list's SQL representation mirrors its output serializer, which stays the one reference:
the detail endpoints, the write answers, the browsable API and databases other than
PostgreSQL all go through the serializer, and tests/test_json_rows.py checks that both give
the same JSON for rows of every shape. Same JSON, not the same bytes: PostgreSQL writes
`"id" : 1` with spaces, a float of 1.0 as `1` (one JSON number either way; the schema says
`number`) and leaves U+2028/U+2029 unescaped, as JSON allows. A client that asks for
`application/json; indent=4` gets the serializer's indented answer. The statements are
prepared once per database session
(kaigan.db): as sent each time, PostgreSQL spent more time planning the brief list's page than
running it.
"""

import json

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from kaigan.db import execute_prepared


def iso_datetime(column: str) -> str:
    """SQL for DRF's DateTimeField output of `column` (a timestamptz): ISO 8601 in the current
    time zone (the statement's parameter `z.tz`), microseconds only when not zero, `Z` for
    UTC, null for null."""
    local = f"({column} AT TIME ZONE z.tz)"
    offset = f"({local} - ({column} AT TIME ZONE 'UTC'))"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE"
        f" to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN mod(extract(microseconds FROM {column}), 1000000) <> 0"
        f" THEN to_char({local}, '.US') ELSE '' END"
        f" || CASE WHEN {offset} = interval '0' THEN 'Z'"
        f" WHEN {offset} < interval '0' THEN '-' || to_char(-{offset}, 'HH24:MI')"
        f" ELSE '+' || to_char({offset}, 'HH24:MI') END END"
    )


def iso_date(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM-DD')"


def supported(request, queryset) -> bool:
    """Plain JSON asked for (not the browsable API, no `; indent=4`), from PostgreSQL."""
    renderer = getattr(request, "accepted_renderer", None)
    return (
        type(renderer) is JSONRenderer
        and ";" not in (getattr(request, "accepted_media_type", "") or "")
        and connections[queryset.db].vendor == "postgresql"
    )


class JsonPage(list):
    """A page the database rendered: its JSON text, and one placeholder per row so that
    Django's paginator and page count the rows as they count a list."""

    def __init__(self, text: str, rows: int):
        super().__init__([None] * rows)
        self.json = text


class JsonRows:
    """A filtered, ordered queryset whose pages PostgreSQL renders, for Django's paginator.

    `render` is the SELECT of one JSON array built from the rows whose ids the statement's
    `{ids}` subquery gives (in the list's order, which the SQL repeats), and of their number;
    it may use `z.tz`, the current time zone.
    """

    def __init__(self, queryset, render: str):
        self.queryset = queryset
        self.render = render
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __getitem__(self, page: slice) -> JsonPage:
        try:
            # The ids in order, unsliced: the page is cut below with parameters, so that every
            # page of every size is one statement, prepared once.
            chosen_sql, chosen_params = self.queryset.values("pk").query.sql_with_params()
        except EmptyResultSet:  # a queryset that selects nothing (none())
            self._count = 0
            return JsonPage("[]", 0)
        start = page.start or 0
        limit = page.stop - start
        # A DISTINCT query (filters across relations) also selects the columns it orders by:
        # the ids are its column "pk" (values("pk")).
        ids_sql = f'SELECT chosen."pk" FROM ({chosen_sql} LIMIT %s OFFSET %s) AS chosen'  # noqa: S608
        # The count is read only when the paginator will ask for it: a page further on, or
        # a full first page (a first page with fewer rows is the whole list).
        sql = (
            # SQL written here and by the ORM; every value is a parameter.
            "WITH z AS (SELECT %s::text AS tz),"  # noqa: S608
            f" page AS MATERIALIZED ({self.render.format(ids=ids_sql)})"
            " SELECT page.n, page.rows::text,"
            " CASE WHEN page.n >= %s OR %s > 0"
            f" THEN (SELECT count(*) FROM ({chosen_sql}) AS counted) END"
            " FROM page"
        )
        params = [
            timezone.get_current_timezone_name(),
            *chosen_params,
            limit,
            start,
            limit,
            start,
            *chosen_params,
        ]
        with connections[self.queryset.db].cursor() as cursor:
            execute_prepared(cursor, sql, params)
            rows, text, count = cursor.fetchone()
        if count is not None:
            self._count = count
        return JsonPage(text or "[]", rows)


def page_response(view, queryset, render: str) -> HttpResponse:
    """The requested page of `queryset` (filtered and ordered) rendered by `render`, paginated
    by the view's paginator (the API's PageNumberPagination: its checks and refusals) and
    answered as DRF's paginated response gives it: count, next, previous, results."""
    view.paginate_queryset(JsonRows(queryset, render))
    paginator = view.paginator
    head = json.dumps(
        {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    body = f'{head[:-1]},"results":{paginator.page.object_list.json}}}'
    return HttpResponse(body.encode(), content_type="application/json")
