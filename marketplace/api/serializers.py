from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.models import BUDGET_MAX, BUDGET_MIN, Brief, Match


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")


class ExpertRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    tag = serializers.CharField(source="tag.slug", allow_null=True, default=None)


class BriefOutputSerializer(serializers.ModelSerializer):
    tag = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    campaign = serializers.CharField(source="campaign.name", allow_null=True, read_only=True)
    pm = PersonSerializer(allow_null=True, read_only=True)
    current_expert = serializers.SerializerMethodField()
    startup = serializers.CharField(source="startup.__str__", read_only=True)
    rematch_promised_by = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Brief
        fields = [
            "id",
            "title",
            "description",
            "tag",
            "budget_min",
            "budget_max",
            "deadline",
            "campaign",
            "status",
            "startup",
            "pm",
            "current_expert",
            "rematch_count",
            "rematch_started_at",
            "rematch_promised_by",
            "version",
            "created_at",
            "updated_at",
            "status_changed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ExpertRefSerializer(allow_null=True))
    def get_current_expert(self, brief):
        live = getattr(brief, "live_matches", None)
        if live is None:
            live = list(
                brief.matches.filter(status__in=Match.LIVE_STATUSES).select_related("expert__tag")
            )
        return ExpertRefSerializer(live[0].expert).data if live else None


class BriefInputSerializer(serializers.Serializer):
    """What a startup writes; status, owner, PM and counters are never writable."""

    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=5000)
    tag = serializers.SlugField(max_length=40)
    budget_min = serializers.IntegerField(min_value=BUDGET_MIN, max_value=BUDGET_MAX)
    budget_max = serializers.IntegerField(min_value=BUDGET_MIN, max_value=BUDGET_MAX)
    deadline = serializers.DateField()
    campaign = serializers.CharField(max_length=60, required=False, allow_blank=True)


class BriefUpdateSerializer(BriefInputSerializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read; a stale one answers 409 instead of overwriting.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class MatchOutputSerializer(serializers.ModelSerializer):
    expert = ExpertRefSerializer(read_only=True)
    brief = serializers.IntegerField(source="brief_id", read_only=True)

    class Meta:
        model = Match
        fields = [
            "id",
            "brief",
            "status",
            "round",
            "rank",
            "score",
            "breakdown",
            "pm_note",
            "expert",
            "created_at",
            "decided_at",
            "invited_at",
            "expires_at",
        ]
        read_only_fields = fields
