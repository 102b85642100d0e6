import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from experts import services
from experts.models import Expert, Tag
from experts.selectors import tag_list
from kaigan.api.filters import MultipleChoiceFilter
from kaigan.api.permissions import NOT_AN_EXPERT, IsExpert
from kaigan.api.schema import error_responses, invalid, invalid_state


class TagOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name", "name_en", "stage", "description", "description_en"]


class TagFilter(django_filters.FilterSet):
    stage = MultipleChoiceFilter(choices=Tag.Stage.choices)

    class Meta:
        model = Tag
        fields = ["stage"]


class TagListApi(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = TagOutputSerializer
    filterset_class = TagFilter
    # The taxonomy is small and fixed: one unpaginated list, as the contract shows.
    pagination_class = None

    def get_queryset(self):
        return tag_list()

    @extend_schema(
        summary="The tag taxonomy",
        description=(
            "Every active tag, in the taxonomy's order. An expert claims exactly one; a brief "
            "names the one it needs. Tags are addressed by `slug` everywhere. Open to anyone."
        ),
        # 401 only for a token that is not valid: no credentials at all are fine here.
        responses={
            200: TagOutputSerializer(many=True),
            **error_responses(
                400,
                401,
                examples=[
                    invalid(
                        {
                            "stage": [
                                "Select a valid choice. x is not one of the available choices."
                            ]
                        },
                        "Unknown stage",
                    )
                ],
            ),
        },
        auth=[],
        examples=[
            OpenApiExample(
                "A tag",  # drf-spectacular wraps a list example in the list itself
                value={
                    "slug": "copywriting",
                    "name": "文案",
                    "name_en": "Copywriting",
                    "stage": "content",
                    "description": "新闻稿、官网与产品文案。",
                    "description_en": "Press releases, website and product copy.",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ExpertOutputSerializer(serializers.ModelSerializer):
    tag = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The slug of the one tag claimed; null until one is claimed.",
    )
    rating_avg = serializers.FloatField(read_only=True, allow_null=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Expert
        fields = [
            "id",
            "email",
            "display_name",
            "headline",
            "bio",
            "city",
            "day_rate",
            "capacity",
            "availability",
            "portfolio_links",
            "tag",
            "tag_claimed_at",
            "rating_avg",
            "rating_count",
            "completed_count",
            "active_load",
        ]
        read_only_fields = fields


class ExpertUpdateSerializer(serializers.ModelSerializer):
    """The fields an expert may change about themselves; everything else is read-only."""

    class Meta:
        model = Expert
        fields = [
            "display_name",
            "headline",
            "bio",
            "city",
            "day_rate",
            "capacity",
            "availability",
            "portfolio_links",
        ]
        extra_kwargs = {"display_name": {"required": False}}

    def validate_portfolio_links(self, value):
        # The service's check here, so that one answer names every field.
        cleaned, problem = services.portfolio_links_check(value)
        if problem:
            raise serializers.ValidationError(problem)
        return cleaned


def _my_expert(request) -> Expert:
    return get_object_or_404(Expert.objects.select_related("tag", "user"), user=request.user)


class ExpertMeApi(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        responses={
            200: ExpertOutputSerializer,
            **error_responses(401, 403, 404, examples=[NOT_AN_EXPERT]),
        },
        summary="My expert profile",
        description=(
            "The signed-in expert's profile; `id` is the one that matches and invitations "
            "name. Other roles get 403."
        ),
    )
    def get(self, request):
        return Response(ExpertOutputSerializer(_my_expert(request)).data)

    @extend_schema(
        request=ExpertUpdateSerializer,
        responses={
            200: ExpertOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                examples=[
                    invalid(
                        {"capacity": ["You have 2 engagements running; capacity cannot be lower."]},
                        "Capacity below the running engagements",
                    ),
                    NOT_AN_EXPERT,
                ],
            ),
        },
        summary="Update my expert profile",
        description=(
            "Change any of the listed fields; the tag, ratings and counters are not writable "
            "here. Capacity cannot drop below the engagements already running."
        ),
        examples=[
            OpenApiExample(
                "Change rate and availability",
                value={"day_rate": 1800, "capacity": 2, "availability": "available"},
                request_only=True,
            )
        ],
    )
    def patch(self, request):
        expert = _my_expert(request)
        serializer = ExpertUpdateSerializer(expert, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        expert = services.expert_update(expert_id=expert.pk, data=serializer.validated_data)
        return Response(ExpertOutputSerializer(_my_expert(request)).data)


class ExpertTagApi(APIView):
    permission_classes = [IsExpert]

    class TagClaimInputSerializer(serializers.Serializer):
        tag = serializers.SlugField(max_length=40)

    @extend_schema(
        request=TagClaimInputSerializer,
        responses={
            200: ExpertOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                examples=[
                    invalid({"tag": ["Unknown tag “copywrite”."]}, "Unknown tag"),
                    NOT_AN_EXPERT,
                    invalid_state(
                        "You cannot change your tag while an invitation or engagement is open. "
                        "Finish or decline it first.",
                        "Tag locked",
                        errors={
                            "tag": ["Your tag is locked while an invitation or engagement is open."]
                        },
                    ),
                ],
            ),
        },
        summary="Claim my one tag",
        examples=[OpenApiExample("Claim", value={"tag": "copywriting"}, request_only=True)],
        description=(
            "An expert carries exactly one tag. Changing it is refused (409) while an "
            "invitation or engagement is open."
        ),
    )
    def put(self, request):
        expert = _my_expert(request)
        serializer = self.TagClaimInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.expert_claim_tag(
            expert_id=expert.pk, tag_slug=serializer.validated_data["tag"], actor=request.user
        )
        return Response(ExpertOutputSerializer(_my_expert(request)).data)
