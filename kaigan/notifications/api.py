"""API for one's own notifications: list them, mark them read."""

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kaigan.api.filters import IsoDateTimeFilter, MultipleChoiceFilter
from kaigan.api.schema import error_responses, invalid
from kaigan.notifications.messages import MESSAGES
from kaigan.notifications.models import Notification
from kaigan.notifications.selectors import notification_list_for
from kaigan.notifications.services import notifications_mark_read

#: Every kind of notification the platform sends (the `NotificationKindEnum` of the schema).
NOTIFICATION_KINDS = [(kind, kind) for kind in MESSAGES]
#: Highest id a client may name: a bigint primary key.
MAX_ID = 2**63 - 1


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at",
        lookup_expr="isnull",
        label="true: only unread ones; false: only those already read.",
    )
    kind = MultipleChoiceFilter(choices=NOTIFICATION_KINDS)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationOutputSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=NOTIFICATION_KINDS, read_only=True)
    text = serializers.CharField(
        read_only=True, help_text="The message, in the request's language (Accept-Language)."
    )
    url = serializers.CharField(
        read_only=True, help_text="A path on this site to open, or an empty string."
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "created_at", "read_at"]
        read_only_fields = fields


# drf-spectacular wraps a list example in the paginated envelope: give one item.
_LIST_EXAMPLE = OpenApiExample(
    "A notification",
    value={
        "id": 7,
        "kind": "invitation_received",
        "text": "You are invited to work on “Launch press release”.",
        "url": "/expert/",
        "created_at": "2026-03-02T10:15:00+08:00",
        "read_at": None,
    },
    response_only=True,
)


class NotificationListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationOutputSerializer
    filterset_class = NotificationFilter
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        return notification_list_for(user=self.request.user)

    @extend_schema(
        summary="My notifications",
        description=(
            "The signed-in person's notifications, newest first, paginated. Filter with "
            "`unread=true` for the header badge, `kind` for some kinds only."
        ),
        responses={
            200: NotificationOutputSerializer(many=True),
            **error_responses(
                400,
                401,
                404,
                examples=[
                    invalid(
                        {"kind": ["Select a valid choice. x is not one of the available choices."]},
                        "Unknown kind",
                    )
                ],
            ),
        },
        examples=[_LIST_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        min_length=1,
        max_length=500,
        help_text="The notifications to mark read; leave it out to mark all of them read.",
    )


class NotificationReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
    unread = serializers.IntegerField(help_text="How many are still unread.")


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Mark my notifications read",
        description=(
            "Marks all of the signed-in person's unread notifications read, or only those "
            "whose `ids` are given. Ids of others' notifications are ignored."
        ),
        request=NotificationReadInputSerializer,
        responses={
            200: NotificationReadOutputSerializer,
            **error_responses(
                400, 401, examples=[invalid({"ids.1": ["A valid integer is required."]})]
            ),
        },
        examples=[
            OpenApiExample("Mark all read", value={}, request_only=True),
            OpenApiExample("Mark some read", value={"ids": [7, 9]}, request_only=True),
            OpenApiExample("Result", value={"marked": 2, "unread": 0}, response_only=True),
        ],
    )
    def post(self, request):
        serializer = NotificationReadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = notifications_mark_read(
            user=request.user, ids=serializer.validated_data.get("ids")
        )
        unread = notification_list_for(user=request.user).filter(read_at__isnull=True).count()
        return Response(NotificationReadOutputSerializer({"marked": marked, "unread": unread}).data)
