"""API for the journey after posting: PM decisions, invitations, delivery, feedback."""

from functools import cached_property

import django_filters
from django.db.models import Prefetch, Q
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kaigan.api.filters import IsoDateTimeFilter, MultipleChoiceFilter
from kaigan.api.permissions import NOT_AN_EXPERT, IsExpert
from kaigan.api.schema import error_responses, invalid, invalid_state, refused
from kaigan.api.serializers import FastOutputMixin
from kaigan.api.throttling import ScopedRateThrottle
from kaigan.files.api import AttachedFileSerializer
from kaigan.files.selectors import files_of, files_of_many
from marketplace import services as marketplace_services
from marketplace.access import (
    access_brief,
    access_engaged_brief,
    access_invitation,
    access_managed_match,
)
from marketplace.api.serializers import (
    BreakdownField,
    BriefOutputSerializer,
    MatchOutputSerializer,
    QuoteSerializer,
)
from marketplace.api.views import BRIEF_RESPONSE_EXAMPLE, NOT_THE_OWNER, _brief_out
from marketplace.models import Brief, Match, Quote
from projects import services
from projects.models import Feedback, Project, RematchJob


def _match_out(pk) -> dict:
    return MatchOutputSerializer(Match.objects.select_related("expert__tag").get(pk=pk)).data


class ApproveInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text="“Why this match”: shown to the startup and the expert.",
    )


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


#: Refusals shared by operations of the same party (the services' messages).
NOT_THE_PM = refused(
    "Only the project manager of this brief can decide on its matches.", "Not its PM"
)
REASON_TOO_LONG = invalid({"reason": ["Ensure this field has no more than 500 characters."]})


class MatchApproveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ApproveInputSerializer,
        responses={
            200: MatchOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"note": ["Ensure this field has no more than 1000 characters."]}),
                    NOT_THE_PM,
                    invalid_state(
                        "This match is “Withdrawn”; only a proposed match can be approved."
                    ),
                    invalid_state(
                        "Another match of this brief was approved at the same time.",
                        "Approved at the same time",
                        code="conflict",
                    ),
                ],
            ),
        },
        summary="Approve a proposed match (the brief's PM)",
        description=(
            "Withdraws the brief's other proposals and invites the expert, who has the "
            "invitation window to answer; the brief becomes `awaiting_expert`. Only a "
            "`proposed` match of a brief awaiting approval can be approved (else 409); two PMs "
            "approving at once: one wins, the other gets 409. A match of a brief you do not "
            "manage answers 404."
        ),
        examples=[
            OpenApiExample(
                "Why this match",
                value={"note": "做过三个硬件品牌的发布稿，档期合适。"},
                request_only=True,
            )
        ],
    )
    def post(self, request, pk):
        match = access_managed_match(request.user, pk)
        serializer = ApproveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marketplace_services.match_approve(
            match_id=match.pk, actor=request.user, note=serializer.validated_data.get("note", "")
        )
        return Response(_match_out(match.pk))


class MatchRejectApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ReasonInputSerializer,
        responses={
            200: MatchOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    REASON_TOO_LONG,
                    NOT_THE_PM,
                    invalid_state(
                        "This match is “Approved, invited”; only a proposed match can be rejected."
                    ),
                ],
            ),
        },
        summary="Reject a proposed match (the brief's PM)",
        description=(
            "The expert is not proposed for this brief again. When no proposal is left the "
            "brief goes to `needs_attention`."
        ),
        examples=[OpenApiExample("Reject", value={"reason": "档期冲突"}, request_only=True)],
    )
    def post(self, request, pk):
        match = access_managed_match(request.user, pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marketplace_services.match_reject(
            match_id=match.pk,
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(_match_out(match.pk))


class BriefSummarySerializer(FastOutputMixin, serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    tag = serializers.CharField(source="tag.slug")
    budget_min = serializers.IntegerField()
    budget_max = serializers.IntegerField()
    deadline = serializers.DateField()
    status = serializers.ChoiceField(choices=Brief.Status.choices)


class InvitationSerializer(FastOutputMixin, serializers.ModelSerializer):
    brief = BriefSummarySerializer(read_only=True)
    breakdown = BreakdownField(read_only=True)
    quote = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = [
            "id",
            "status",
            "pm_note",
            "breakdown",
            "score",
            "invited_at",
            "expires_at",
            "responded_at",
            "brief",
            "quote",
            "files",
        ]
        read_only_fields = fields

    @extend_schema_field(AttachedFileSerializer(many=True))
    def get_files(self, match):
        """The brief's reference files, while the invitation is open or the engagement lasts
        (empty once it ended)."""
        files = getattr(match, "reference_files", None)
        if files is None:
            files = files_of(match.brief) if match.status in Match.LIVE_STATUSES else []
        return AttachedFileSerializer(files, many=True).data

    @extend_schema_field(QuoteSerializer(allow_null=True))
    def get_quote(self, match):
        """What the expert earns, shown before accepting (the offer, or the agreed version)."""
        quotes = getattr(match, "current_quotes", None)
        if quotes is None:
            quotes = list(
                match.quotes.filter(status__in=[Quote.Status.OFFERED, Quote.Status.AGREED])
            )
        return self._quote_serializer.to_representation(quotes[0]) if quotes else None

    # Built once per serializer (once per list), not once per row, as BriefOutputSerializer does.
    @cached_property
    def _quote_serializer(self):
        return QuoteSerializer()


class InvitationFilter(django_filters.FilterSet):
    status = MultipleChoiceFilter(choices=Match.Status.choices)
    invited_after = IsoDateTimeFilter(field_name="invited_at", lookup_expr="gte")
    invited_before = IsoDateTimeFilter(field_name="invited_at", lookup_expr="lt")

    class Meta:
        model = Match
        fields = ["status"]


class InvitationListApi(ListAPIView):
    """The expert's invitations: open ones and those already answered."""

    permission_classes = [IsExpert]
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    queryset = Match.objects.none()

    @extend_schema(
        summary="My invitations (experts)",
        description=(
            "Invitations to the signed-in expert, newest first: open ones (`approved`, answer "
            "before `expires_at`) and those already answered or ended. `status=approved` gives "
            "the ones waiting for an answer. Other roles get 403."
        ),
        responses={
            200: InvitationSerializer(many=True),
            **error_responses(
                400,
                401,
                403,
                404,
                examples=[
                    invalid({"invited_after": ["Enter a valid date/time."]}, "Bad filter"),
                    NOT_AN_EXPERT,
                ],
            ),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return (
            Match.objects.filter(expert__user=self.request.user)
            .filter(Q(status=Match.Status.APPROVED) | Q(invited_at__isnull=False))
            .select_related("brief__tag")
            .prefetch_related(
                Prefetch(
                    "quotes",
                    queryset=Quote.objects.filter(
                        status__in=[Quote.Status.OFFERED, Quote.Status.AGREED]
                    ),
                    to_attr="current_quotes",
                )
            )
            .order_by("-invited_at", "-id")
        )

    def paginate_queryset(self, queryset):
        # The page's reference files in one query, for the live invitations and engagements.
        page = super().paginate_queryset(queryset)
        live = [m.brief_id for m in page if m.status in Match.LIVE_STATUSES]
        files = files_of_many(Brief, live) if live else {}
        for match in page:
            live_match = match.status in Match.LIVE_STATUSES
            match.reference_files = files.get(match.brief_id, []) if live_match else []
        return page


def _invitation_out(request, pk) -> dict:
    match = Match.objects.select_related("brief__tag").get(pk=pk, expert__user=request.user)
    return InvitationSerializer(match).data


class InvitationAcceptApi(APIView):
    permission_classes = [IsExpert]

    #: The service that accepts (the project's URLconf wires billing's: it settles the escrow).
    accept_invitation = staticmethod(services.invitation_accept)

    @extend_schema(
        request=None,
        responses={
            200: InvitationSerializer,
            **error_responses(
                401,
                403,
                404,
                409,
                examples=[
                    NOT_AN_EXPERT,
                    invalid_state("This invitation has expired."),
                    invalid_state(
                        "You are at your capacity. Finish an engagement or raise your capacity "
                        "first.",
                        "At capacity",
                    ),
                ],
            ),
        },
        summary="Accept an invitation (the invited expert)",
        description=(
            "The engagement starts and the brief becomes `in_progress`. Refused with 409 when "
            "the invitation is no longer open, has expired, or you are at your capacity. "
            "Another expert's invitation answers 404."
        ),
    )
    def post(self, request, pk):
        self.accept_invitation(match_id=pk, user=request.user)
        return Response(_invitation_out(request, pk))


class InvitationDeclineApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        request=ReasonInputSerializer,
        responses={
            200: InvitationSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    REASON_TOO_LONG,
                    NOT_AN_EXPERT,
                    invalid_state("This invitation is “Accepted” and can no longer be declined."),
                ],
            ),
        },
        summary="Decline an invitation (the invited expert)",
        description="The brief goes back to matching without you; it does not count against you.",
        examples=[OpenApiExample("Decline", value={"reason": "档期满了"}, request_only=True)],
    )
    def post(self, request, pk):
        match = access_invitation(request.user, pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invitation_decline(
            match_id=match.pk, user=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return Response(_invitation_out(request, pk))


class DeliveredSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The brief.")
    status = serializers.ChoiceField(choices=Brief.Status.choices)


class DeliverInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=Project.DELIVERY_NOTE_MAX,
        required=False,
        allow_blank=True,
        help_text="What is handed over: links, where the files are, notes for the startup.",
    )


class BriefDeliverApi(APIView):
    permission_classes = [IsExpert]

    #: The service that delivers (the project's URLconf wires billing's: not before funding).
    deliver_work = staticmethod(services.work_deliver)

    @extend_schema(
        request=DeliverInputSerializer,
        responses={
            200: DeliveredSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"note": ["Ensure this field has no more than 2000 characters."]}),
                    NOT_AN_EXPERT,
                    invalid_state("Only work in progress can be delivered."),
                ],
            ),
        },
        summary="Mark the work delivered (the working expert)",
        description=(
            "The brief becomes `delivered` and its startup is asked to review it, with the "
            "optional `note` of what is handed over (at most 2000 characters, else 400). Only "
            "the expert working on the brief may; for anyone else the brief does not exist (404)."
        ),
        examples=[
            OpenApiExample("Delivered", value={"id": 42, "status": "delivered"}, response_only=True)
        ],
    )
    def post(self, request, pk):
        brief = access_engaged_brief(request.user, pk)
        serializer = DeliverInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = self.deliver_work(
            brief_id=brief.pk, user=request.user, note=serializer.validated_data.get("note", "")
        )
        return Response(DeliveredSerializer({"id": pk, "status": project.brief.status}).data)


class AcceptInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    review = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class BriefAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    #: The service that accepts (the project's URLconf wires billing's: it releases escrow).
    accept_work = staticmethod(services.work_accept)

    @extend_schema(
        request=AcceptInputSerializer,
        responses={
            200: BriefOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"rating": ["Ensure this value is less than or equal to 5."]}),
                    NOT_THE_OWNER,
                    invalid_state("Only delivered work can be accepted."),
                ],
            ),
        },
        summary="Accept the delivery and rate it 1–5 (the startup)",
        description=(
            "Only a `delivered` brief can be accepted (else 409); it becomes `completed` and "
            "the rating counts towards the expert's reputation at once."
        ),
        examples=[
            OpenApiExample(
                "Rate", value={"rating": 5, "review": "准时交付，质量很好。"}, request_only=True
            ),
            BRIEF_RESPONSE_EXAMPLE,
        ],
    )
    def post(self, request, pk):
        brief = access_brief(request.user, pk)
        marketplace_services.brief_check_owner(brief=brief, user=request.user)
        serializer = AcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.accept_work(brief_id=brief.pk, user=request.user, **serializer.validated_data)
        return Response(_brief_out(request, pk))


class DissatisfactionInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Feedback.Reason.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RematchJobSerializer(serializers.ModelSerializer):
    brief = serializers.SerializerMethodField()
    promised_by = serializers.SerializerMethodField()

    class Meta:
        model = RematchJob
        fields = ["id", "status", "cause", "created_at", "promised_by", "brief"]
        read_only_fields = fields

    @extend_schema_field(BriefOutputSerializer)
    def get_brief(self, job) -> dict:
        return _brief_out(self.context["request"], job.brief_id)

    @extend_schema_field(
        serializers.DateTimeField(
            allow_null=True, help_text="When a new PM-approved candidate is promised by."
        )
    )
    def get_promised_by(self, job) -> str | None:
        promised = job.brief.rematch_promised_by
        return serializers.DateTimeField().to_representation(promised) if promised else None


class BriefDissatisfactionApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "dissatisfaction"

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]

    @extend_schema(
        request=DissatisfactionInputSerializer,
        responses={
            202: RematchJobSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"reason": ['"bad" is not a valid choice.']}),
                    NOT_THE_OWNER,
                    invalid_state("A brief that is “Completed” cannot be re-matched now."),
                    invalid_state(
                        "A re-match for this brief is already under way.",
                        "Already re-matching",
                        code="conflict",
                    ),
                ],
            ),
        },
        summary="Not satisfied: the platform re-matches (the startup)",
        description=(
            "Records the feedback, replaces the current expert and starts a re-match job. "
            "Answers 202 at once; new PM-approved candidates follow within the promised time "
            "(`promised_by`). Possible while the brief is `awaiting_expert`, `in_progress` or "
            "`delivered` (else 409). A re-match for `fit` or `brief_unclear` does not count "
            "against the expert. Throttled per startup."
        ),
        examples=[
            OpenApiExample(
                "Not satisfied",
                value={"reason": "quality", "comment": "初稿和品牌调性不符。"},
                request_only=True,
            )
        ],
    )
    def post(self, request, pk):
        brief = access_brief(request.user, pk)
        marketplace_services.brief_check_owner(brief=brief, user=request.user)
        serializer = DissatisfactionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.dissatisfaction_submit(
            brief_id=brief.pk, user=request.user, **serializer.validated_data
        )
        data = RematchJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)
