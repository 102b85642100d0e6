from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from kaigan.accounts.models import User
from kaigan.errors import NotAllowed
from marketplace import selectors, services
from marketplace.access import access_brief
from marketplace.api.filters import BriefFilter
from marketplace.api.serializers import (
    BriefInputSerializer,
    BriefOutputSerializer,
    BriefUpdateSerializer,
    CancelInputSerializer,
    MatchOutputSerializer,
)
from marketplace.models import Match
from projects.services import brief_submit

ERROR_RESPONSES = {400: None, 401: None, 403: None, 404: None, 409: None}


def _with_live_match(qs):
    return qs.prefetch_related(
        Prefetch(
            "matches",
            queryset=Match.objects.filter(status__in=Match.LIVE_STATUSES).select_related(
                "expert__tag"
            ),
            to_attr="live_matches",
        )
    )


def _brief_out(request, brief_id) -> dict:
    brief = _with_live_match(selectors.brief_list_for(user=request.user)).get(pk=brief_id)
    return BriefOutputSerializer(brief).data


def _my_startup(request):
    startup = selectors.startup_for(user=request.user)
    if startup is None or request.user.role != User.Role.STARTUP:
        raise NotAllowed("Only startups post briefs.")
    return startup


class BriefListApi(ListAPIView):
    serializer_class = BriefOutputSerializer
    filterset_class = BriefFilter

    def get_throttles(self):
        if self.request.method == "POST":
            self.throttle_scope = "brief_post"
            return [*super().get_throttles(), ScopedRateThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        return _with_live_match(selectors.brief_list_for(user=self.request.user)).order_by(
            "-created_at", "-id"
        )

    @extend_schema(
        request=BriefInputSerializer,
        responses={201: BriefOutputSerializer},
        summary="Post a brief (startups)",
        description="The brief gets a project manager at once; ranking runs in the background.",
    )
    def post(self, request):
        startup = _my_startup(request)
        serializer = BriefInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        brief = brief_submit(startup=startup, actor=request.user, **serializer.validated_data)
        return Response(_brief_out(request, brief.pk), status=status.HTTP_201_CREATED)


class BriefDetailApi(APIView):
    @extend_schema(responses=BriefOutputSerializer, summary="A brief")
    def get(self, request, pk):
        access_brief(request.user, pk)
        return Response(_brief_out(request, pk))

    @extend_schema(
        request=BriefUpdateSerializer,
        responses=BriefOutputSerializer,
        summary="Edit a brief (its startup, while editable)",
    )
    def patch(self, request, pk):
        brief = access_brief(request.user, pk)
        services.brief_check_owner(brief=brief, user=request.user)
        serializer = BriefUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        services.brief_update(brief_id=brief.pk, actor=request.user, data=data, version=version)
        return Response(_brief_out(request, pk))


class BriefCancelApi(APIView):
    @extend_schema(
        request=CancelInputSerializer,
        responses=BriefOutputSerializer,
        summary="Cancel a brief (its startup, before work starts)",
    )
    def post(self, request, pk):
        brief = access_brief(request.user, pk)
        services.brief_check_owner(brief=brief, user=request.user)
        serializer = CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.brief_cancel(
            brief_id=brief.pk,
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(_brief_out(request, pk))


class BriefMatchListApi(GenericAPIView):
    serializer_class = MatchOutputSerializer
    queryset = Match.objects.none()

    @extend_schema(
        responses=MatchOutputSerializer(many=True),
        summary="Ranked matches of a brief",
        description="The PM sees every proposal; the startup only approved and later ones.",
    )
    def get(self, request, pk):
        brief = access_brief(request.user, pk)
        matches = selectors.brief_matches_for(brief=brief, user=request.user)
        page = self.paginate_queryset(matches)
        return self.get_paginated_response(MatchOutputSerializer(page, many=True).data)
