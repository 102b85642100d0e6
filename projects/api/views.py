"""API for the journey after posting: PM decisions, invitations, delivery, feedback."""

from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from kaigan.api.permissions import IsExpert
from marketplace import services as marketplace_services
from marketplace.access import access_brief
from marketplace.api.serializers import BriefOutputSerializer, MatchOutputSerializer
from marketplace.api.views import _brief_out
from marketplace.models import Match
from projects import services
from projects.models import Feedback, RematchJob


def _match_for_pm(user, pk) -> Match:
    """A match on a brief the user manages (superusers: any); otherwise a 404."""
    qs = Match.objects.all()
    if not user.is_superuser:
        qs = qs.filter(brief__pm=user)
    match = qs.filter(pk=pk).first()
    if match is None:
        raise Http404
    return match


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


class MatchApproveApi(APIView):
    @extend_schema(
        request=ApproveInputSerializer,
        responses=MatchOutputSerializer,
        summary="Approve a proposed match (the brief's PM)",
        description="Withdraws the other proposals and invites the expert. A lost race is 409.",
    )
    def post(self, request, pk):
        match = _match_for_pm(request.user, pk)
        serializer = ApproveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marketplace_services.match_approve(
            match_id=match.pk, actor=request.user, note=serializer.validated_data.get("note", "")
        )
        return Response(_match_out(match.pk))


class MatchRejectApi(APIView):
    @extend_schema(
        request=ReasonInputSerializer,
        responses=MatchOutputSerializer,
        summary="Reject a proposed match (the brief's PM)",
    )
    def post(self, request, pk):
        match = _match_for_pm(request.user, pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marketplace_services.match_reject(
            match_id=match.pk,
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(_match_out(match.pk))


class BriefSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    tag = serializers.CharField(source="tag.slug")
    budget_min = serializers.IntegerField()
    budget_max = serializers.IntegerField()
    deadline = serializers.DateField()
    status = serializers.CharField()


class InvitationSerializer(serializers.ModelSerializer):
    brief = BriefSummarySerializer(read_only=True)

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
        ]
        read_only_fields = fields


class InvitationListApi(ListAPIView):
    """The expert's invitations: open ones and those already answered."""

    permission_classes = [IsExpert]
    serializer_class = InvitationSerializer
    queryset = Match.objects.none()

    def get_queryset(self):
        return (
            Match.objects.filter(expert__user=self.request.user)
            .filter(Q(status=Match.Status.APPROVED) | Q(invited_at__isnull=False))
            .select_related("brief__tag")
            .order_by("-invited_at", "-id")
        )


def _invitation_out(request, pk) -> dict:
    match = Match.objects.select_related("brief__tag").get(pk=pk, expert__user=request.user)
    return InvitationSerializer(match).data


class InvitationAcceptApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(request=None, responses=InvitationSerializer, summary="Accept an invitation")
    def post(self, request, pk):
        services.invitation_accept(match_id=pk, user=request.user)
        return Response(_invitation_out(request, pk))


class InvitationDeclineApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        request=ReasonInputSerializer,
        responses=InvitationSerializer,
        summary="Decline an invitation",
        description="The brief goes back to matching without you.",
    )
    def post(self, request, pk):
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invitation_decline(
            match_id=pk, user=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return Response(_invitation_out(request, pk))


class DeliveredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class BriefDeliverApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        request=None,
        responses=DeliveredSerializer,
        summary="Mark the work delivered (the working expert)",
    )
    def post(self, request, pk):
        project = services.work_deliver(brief_id=pk, user=request.user)
        return Response(DeliveredSerializer({"id": pk, "status": project.brief.status}).data)


class AcceptInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    review = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class BriefAcceptApi(APIView):
    @extend_schema(
        request=AcceptInputSerializer,
        responses=BriefOutputSerializer,
        summary="Accept the delivery and rate it 1–5 (the startup)",
    )
    def post(self, request, pk):
        brief = access_brief(request.user, pk)
        serializer = AcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.work_accept(brief_id=brief.pk, user=request.user, **serializer.validated_data)
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

    def get_brief(self, job) -> dict:
        return _brief_out(self.context["request"], job.brief_id)

    def get_promised_by(self, job) -> str:
        return job.brief.rematch_promised_by.isoformat()


class BriefDissatisfactionApi(APIView):
    throttle_scope = "dissatisfaction"

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]

    @extend_schema(
        request=DissatisfactionInputSerializer,
        responses={202: RematchJobSerializer},
        summary="Not satisfied: the platform re-matches (the startup)",
        description=(
            "Records the feedback, replaces the current expert and starts a re-match job. "
            "Answers 202 at once; new PM-approved candidates follow within the promised time."
        ),
    )
    def post(self, request, pk):
        brief = access_brief(request.user, pk)
        serializer = DissatisfactionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.dissatisfaction_submit(
            brief_id=brief.pk, user=request.user, **serializer.validated_data
        )
        data = RematchJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)
