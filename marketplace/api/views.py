import functools

from django.db.models import F, FilteredRelation, Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kaigan.accounts.models import User
from kaigan.api import json_rows
from kaigan.api.schema import (
    error_responses,
    example_date,
    example_moment,
    invalid,
    invalid_state,
    refused,
)
from kaigan.api.throttling import ScopedRateThrottle
from kaigan.errors import NotAllowed
from marketplace import selectors, services
from marketplace.access import access_brief
from marketplace.api.filters import BriefFilter, MatchFilter
from marketplace.api.json_rows import brief_rows, match_rows
from marketplace.api.serializers import (
    BriefDetailOutputSerializer,
    BriefInputSerializer,
    BriefOutputSerializer,
    BriefUpdateSerializer,
    CancelInputSerializer,
    MatchOutputSerializer,
)
from marketplace.models import Brief, Match, Quote
from projects.services import brief_submit

#: The refusal of brief_check_owner (marketplace.services), for every operation of its startup.
NOT_THE_OWNER = refused("Only the startup that posted this brief can do this.", "Not its startup")

BRIEF_EXAMPLE = {
    "id": 42,
    "title": "新品发布新闻稿",
    "description": "为我们的智能水杯发布写一篇新闻稿，面向科技媒体。",
    "tag": "copywriting",
    "budget_min": 5000,
    "budget_max": 10000,
    "deadline": example_date(60),
    "campaign": "春季发布",
    "status": "awaiting_expert",
    "startup": "水杯科技",
    "pm": {"id": 3, "name": "王经理"},
    "current_expert": {"id": 17, "display_name": "李文案", "tag": "copywriting"},
    "quote": {
        "id": 51,
        "version": 1,
        "status": "offered",
        "scope_days": "5.0",
        "fixed_price": None,
        "day_rate": 1600,
        "expert_earnings": 8000,
        "platform_fee": 800,
        "fee_percent": "10.00",
        "fee_waived": False,
        "total": 8800,
        "created_at": example_moment(-1, "14:00:00"),
        "agreed_at": None,
    },
    "rematch_count": 0,
    "rematch_started_at": None,
    "rematch_promised_by": None,
    "version": 2,
    "created_at": example_moment(-2, "09:30:00"),
    "updated_at": example_moment(-1, "14:00:00"),
    "status_changed_at": example_moment(-1, "14:00:00"),
}
BRIEF_RESPONSE_EXAMPLE = OpenApiExample("A brief", value=BRIEF_EXAMPLE, response_only=True)
BRIEF_DETAIL_EXAMPLE = OpenApiExample(
    "A brief",
    value={
        **BRIEF_EXAMPLE,
        "files": [
            {
                "id": 81,
                "name": "品牌手册.pdf",
                "size": 482113,
                "content_type": "application/pdf",
                "download_url": "/api/v1/files/81/download/",
            }
        ],
    },
    response_only=True,
)


def _with_current_match(qs):
    # At most one current match per brief (Match.CURRENT_STATUSES) and one current quote per
    # match (held by constraints): the prefetches need no order, and without one they skip the
    # joins that the models' default orderings would add (Match and Quote order by their
    # brief's ordering).
    return qs.prefetch_related(
        Prefetch(
            "matches",
            queryset=Match.objects.filter(status__in=Match.CURRENT_STATUSES)
            .select_related("expert__tag")
            .order_by(),
            to_attr="current_matches",
        ),
        Prefetch(
            "quotes",
            queryset=Quote.objects.filter(
                match__status__in=Match.CURRENT_STATUSES,
                status__in=[Quote.Status.OFFERED, Quote.Status.AGREED],
            ).order_by(),
            to_attr="current_quotes",
        ),
    )


def _with_current_match_and_its_quote(qs):
    # For the list: the current match with its current quote in one query, the quote joined on
    # its match_id (quote_one_current_per_match: at most one). Prefetched by brief_id with a
    # join to the match's status, PostgreSQL hash-joined every live match of the platform.
    return qs.prefetch_related(
        Prefetch(
            "matches",
            queryset=Match.objects.filter(status__in=Match.CURRENT_STATUSES)
            .annotate(
                current_quote=FilteredRelation(
                    "quotes",
                    condition=Q(quotes__status__in=[Quote.Status.OFFERED, Quote.Status.AGREED]),
                )
            )
            # Set on every row, None without a quote (select_related then sets no attribute).
            .annotate(current_quote_pk=F("current_quote__id"))
            .select_related("expert__tag", "current_quote")
            .order_by(),
            to_attr="current_matches",
        ),
    )


def _brief_out(request, brief_id) -> dict:
    brief = _with_current_match(selectors.brief_list_for(user=request.user)).get(pk=brief_id)
    return BriefOutputSerializer(brief).data


def _brief_detail_out(request, brief_id) -> dict:
    """One brief as its detail shows it: with its reference files."""
    brief = _with_current_match(selectors.brief_list_for(user=request.user)).get(pk=brief_id)
    return BriefDetailOutputSerializer(brief).data


def _posted_brief_out(request, brief) -> dict:
    """The answer to a post: the brief as the service stored it, with no read back.

    A brief just posted has no match and no quote yet. Should anything have changed it since
    the service saved it (ranking run in the web process by an eager Celery, an edit at the
    same instant), its `updated_at` no longer matches: then it is read back as the detail
    endpoint reads it, so the answer is the same as a read after commit would give.
    """
    if not Brief.objects.filter(pk=brief.pk, updated_at=brief.updated_at).exists():
        return _brief_detail_out(request, brief.pk)
    if brief.startup.owner_id == request.user.pk:
        brief.startup.owner = request.user  # str(startup) falls back to the owner's email
    brief.current_matches = []
    brief.current_quotes = []
    brief.reference_files = []
    return _brief_output_serializer().to_representation(brief)


@functools.cache
def _brief_output_serializer() -> BriefDetailOutputSerializer:
    """One serializer for every post's answer: a ModelSerializer builds its fields from the
    model each time it is made, which costs more than the representation of one brief. Its
    fields keep no state between calls and need no request in their context."""
    return BriefDetailOutputSerializer()


def _my_startup(request):
    startup = selectors.startup_for(user=request.user)
    if startup is None or request.user.role != User.Role.STARTUP:
        raise NotAllowed(_("Only startups post briefs."))
    return startup


def _valid_or_all_errors(serializer, *, current=None) -> None:
    """Validate a brief's input; when it fails, the answer also names what the service would
    refuse in the fields that passed (a past deadline next to a missing title)."""
    if serializer.is_valid():
        return
    passed = {}
    for name, field in serializer.fields.items():
        if name in serializer.errors or name not in serializer.initial_data:
            continue
        try:
            passed[name] = field.run_validation(serializer.initial_data[name])
        except ValidationError:
            continue
    more = services.brief_input_errors(passed, current=current)
    raise ValidationError({**more, **serializer.errors})


class BriefListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = BriefOutputSerializer
    filterset_class = BriefFilter

    def get_serializer_class(self):
        # OPTIONS describes a POST with what a POST takes, not with what a GET returns.
        if self.request is not None and self.request.method == "POST":
            return BriefInputSerializer
        return super().get_serializer_class()

    def get_throttles(self):
        if self.request.method == "POST":
            self.throttle_scope = "brief_post"
            return [*super().get_throttles(), ScopedRateThrottle()]
        return super().get_throttles()

    # Newest first (brief_rows repeats the order in SQL).
    list_order = ("-created_at", "-id")

    def get_queryset(self):
        return _with_current_match_and_its_quote(
            selectors.brief_list_for(user=self.request.user)
        ).order_by(*self.list_order)

    def list(self, request, *args, **kwargs):
        # The rows chosen by the ORM (permissions, filters, order), rendered by PostgreSQL
        # (kaigan.api.json_rows); the serializer elsewhere.
        chosen = selectors.brief_list_for(user=request.user).order_by(*self.list_order)
        if not json_rows.supported(request, chosen):
            return super().list(request, *args, **kwargs)
        return json_rows.page_response(self, self.filter_queryset(chosen), brief_rows())

    @extend_schema(
        summary="List briefs",
        description=(
            "A startup sees its own briefs, a PM those assigned to them, a superuser all; "
            "an expert gets an empty list (invitations are under `/invitations/`). Newest "
            "first, paginated; filter by status (repeatable), tag slug, campaign name and dates."
        ),
        responses={
            200: BriefOutputSerializer(many=True),
            **error_responses(
                400,
                401,
                404,
                examples=[invalid({"created_after": ["Enter a valid date/time."]}, "Bad filter")],
            ),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=BriefInputSerializer,
        responses={
            201: BriefDetailOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                examples=[
                    invalid(
                        {
                            "budget_max": ["The upper budget must not be below the lower one."],
                            "deadline": ["The deadline must be within two years."],
                        }
                    ),
                    invalid({"files": ["File 95 is not one of your uploads."]}, "Not your file"),
                    refused("Only startups post briefs.", "Not a startup"),
                ],
            ),
        },
        summary="Post a brief (startups)",
        description=(
            "The brief gets a project manager at once; ranking runs in the background and the "
            "brief moves to `awaiting_approval` when proposals are ready. Budgets are whole CNY "
            "and `budget_max` is not below `budget_min`; the deadline is after today and at "
            "most two years ahead (dates in China Standard Time); the tag is the `slug` of an "
            "active tag (`GET /api/v1/tags/`). `files` attaches reference material: ids of "
            "your own uploads (`POST /api/v1/files/`). Other roles get 403. Throttled per "
            "startup."
        ),
        examples=[
            OpenApiExample(
                "New brief",
                value={
                    "title": "新品发布新闻稿",
                    "description": "为我们的智能水杯发布写一篇新闻稿，面向科技媒体。",
                    "tag": "copywriting",
                    "budget_min": 5000,
                    "budget_max": 10000,
                    "deadline": example_date(60),
                    "campaign": "春季发布",
                },
                request_only=True,
            ),
            OpenApiExample(
                "With reference files",
                value={
                    "title": "品牌视觉升级",
                    "description": "参考附件里的品牌手册，重做主视觉。",
                    "tag": "visual-identity",
                    "budget_min": 8000,
                    "budget_max": 15000,
                    "deadline": example_date(45),
                    "files": [81],
                },
                request_only=True,
            ),
            BRIEF_DETAIL_EXAMPLE,
        ],
    )
    def post(self, request):
        startup = _my_startup(request)
        serializer = BriefInputSerializer(data=request.data)
        _valid_or_all_errors(serializer)
        brief = brief_submit(startup=startup, actor=request.user, **serializer.validated_data)
        if serializer.validated_data.get("files"):
            answer = _brief_detail_out(request, brief.pk)
        else:
            answer = _posted_brief_out(request, brief)
        return Response(answer, status=status.HTTP_201_CREATED)


class BriefDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: BriefDetailOutputSerializer, **error_responses(401, 404)},
        summary="A brief",
        description=(
            "Its owner, its PM and superusers see it; for anyone else it does not exist (404). "
            "`current_expert` is the invited or working expert, or the one who completed the "
            "brief; `quote` is their quote in force (offered, or agreed). `files` are the "
            "startup's reference files, each downloaded at its `download_url` (by the startup, "
            "the PM, and the expert invited to or working on the brief)."
        ),
        examples=[BRIEF_DETAIL_EXAMPLE],
    )
    def get(self, request, pk):
        access_brief(request.user, pk)
        return Response(_brief_detail_out(request, pk))

    @extend_schema(
        request=BriefUpdateSerializer,
        responses={
            200: BriefDetailOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"deadline": ["The deadline must be a future date."]}),
                    invalid({"files": ["File 95 is not one of your uploads."]}, "Not your file"),
                    NOT_THE_OWNER,
                    invalid_state(
                        "This brief was changed meanwhile. Reload it to see the latest version.",
                        "Changed meanwhile",
                        code="conflict",
                        errors={"version": ["Outdated version."]},
                    ),
                    invalid_state("A brief that is “In progress” can no longer be edited."),
                ],
            ),
        },
        summary="Edit a brief (its startup, while editable)",
        description=(
            "Change any of the fields of a brief that is `open`, `awaiting_approval` or "
            "`needs_attention`, by the rules of a new brief; a deadline left as it was is not "
            "checked again. Send the `version` you read: if someone changed the brief "
            "meanwhile the answer is 409 `conflict` instead of an overwrite. `files` is the "
            "brief's whole list of reference files: new ids (your own uploads) are attached, "
            "files left out are removed from the brief (kept, and recorded)."
        ),
        examples=[
            OpenApiExample(
                "Raise the budget",
                value={"budget_max": 12000, "version": 2},
                request_only=True,
            ),
            OpenApiExample(
                "Change the reference files",
                value={"files": [81, 95], "version": 3},
                request_only=True,
            ),
        ],
    )
    def patch(self, request, pk):
        brief = access_brief(request.user, pk)
        services.brief_check_owner(brief=brief, user=request.user)
        serializer = BriefUpdateSerializer(data=request.data, partial=True)
        _valid_or_all_errors(serializer, current=brief)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        services.brief_update(brief_id=brief.pk, actor=request.user, data=data, version=version)
        return Response(_brief_detail_out(request, pk))


class BriefCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    #: The service that cancels: the project's URLconf wires billing's (which refunds escrow in
    #: the same transaction); marketplace never imports billing.
    cancel_brief = staticmethod(services.brief_cancel)

    @extend_schema(
        request=CancelInputSerializer,
        responses={
            200: BriefOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"reason": ["Ensure this field has no more than 500 characters."]}),
                    NOT_THE_OWNER,
                    invalid_state("A brief that is “In progress” cannot be cancelled."),
                ],
            ),
        },
        summary="Cancel a brief (its startup, before work starts)",
        description=(
            "Open proposals and invitations are withdrawn. A brief in progress or later "
            "cannot be cancelled (409); briefs are never deleted."
        ),
        examples=[
            OpenApiExample("Cancel", value={"reason": "预算取消了"}, request_only=True),
        ],
    )
    def post(self, request, pk):
        brief = access_brief(request.user, pk)
        services.brief_check_owner(brief=brief, user=request.user)
        serializer = CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.cancel_brief(
            brief_id=brief.pk,
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(_brief_out(request, pk))


class BriefMatchListApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MatchOutputSerializer
    filterset_class = MatchFilter
    queryset = Match.objects.none()

    @extend_schema(
        responses={
            200: MatchOutputSerializer(many=True),
            **error_responses(
                400,
                401,
                404,
                examples=[invalid({"round": ["Ensure this value is greater than or equal to 1."]})],
            ),
        },
        summary="Ranked matches of a brief",
        description=(
            "Ordered by round, then rank. The PM sees every proposal with its score and "
            "breakdown; the startup only approved and later ones, never unapproved proposals. "
            "Filter by status (repeatable) and round."
        ),
    )
    def get(self, request, pk):
        user = request.user
        if user.role == User.Role.PM and not user.is_superuser:
            # The PM's own brief: the matches' query checks that it is theirs, so the brief's
            # own query is needed only when nothing comes back (another's brief is a 404, an
            # empty page of their own is not) or the query string is refused.
            try:
                response = self._page(
                    selectors.brief_matches_of_managed_brief(brief_id=pk, user=user)
                )
            except (NotFound, ValidationError):
                response = None
            if response is not None and self.paginator.page:
                return response
        # Only the brief's id and PM are read here: no joins.
        brief = access_brief(request.user, pk, related=False)
        return self._page(selectors.brief_matches_for(brief=brief, user=request.user))

    def _page(self, matches):
        matches = self.filter_queryset(matches)
        if json_rows.supported(self.request, matches):
            # Rendered by PostgreSQL (kaigan.api.json_rows).
            return json_rows.page_response(self, matches.select_related(None), match_rows())
        page = self.paginate_queryset(matches)
        return self.get_paginated_response(MatchOutputSerializer(page, many=True).data)
