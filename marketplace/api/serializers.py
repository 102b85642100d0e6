from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kaigan.api.converters import MAX_OBJECT_ID
from kaigan.api.serializers import FastOutputMixin
from kaigan.files.api import AttachedFileSerializer
from kaigan.files.selectors import files_of
from marketplace.models import BUDGET_MAX, BUDGET_MIN, Brief, Match, Quote


class PersonSerializer(FastOutputMixin, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")


class ExpertRefSerializer(FastOutputMixin, serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    tag = serializers.CharField(source="tag.slug", allow_null=True, default=None)


class QuoteSerializer(FastOutputMixin, serializers.ModelSerializer):
    """Open prices: the expert's earnings and the platform's fee as separate lines."""

    class Meta:
        model = Quote
        fields = [
            "id",
            "version",
            "status",
            "scope_days",
            "fixed_price",
            "day_rate",
            "expert_earnings",
            "platform_fee",
            "fee_percent",
            "fee_waived",
            "total",
            "created_at",
            "agreed_at",
        ]
        read_only_fields = fields


class BriefOutputSerializer(FastOutputMixin, serializers.ModelSerializer):
    tag = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    campaign = serializers.CharField(source="campaign.name", allow_null=True, read_only=True)
    pm = PersonSerializer(allow_null=True, read_only=True)
    current_expert = serializers.SerializerMethodField()
    # str() of the startup, as CharField renders any value (a `__str__` source would have
    # DRF inspect the method's signature on every row).
    startup = serializers.CharField(read_only=True)
    rematch_promised_by = serializers.DateTimeField(read_only=True, allow_null=True)
    quote = serializers.SerializerMethodField()

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
            "quote",
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
        """The invited or working expert, or the one who completed the brief."""
        current = getattr(brief, "current_matches", None)
        if current is None:
            current = list(
                brief.matches.filter(status__in=Match.CURRENT_STATUSES).select_related(
                    "expert__tag"
                )
            )
        return self._expert_serializer.to_representation(current[0].expert) if current else None

    @extend_schema_field(QuoteSerializer(allow_null=True))
    def get_quote(self, brief):
        """The current expert's quote in force (offered with the invitation, or agreed)."""
        quotes = getattr(brief, "current_quotes", None)
        current = getattr(brief, "current_matches", None)
        if quotes is None and current is not None:
            # The list reads the quote with the current match (a quote's brief is its match's
            # brief, and a brief has at most one current match).
            if not current:
                quotes = []
            elif hasattr(current[0], "current_quote_pk"):
                quotes = [current[0].current_quote] if current[0].current_quote_pk else []
        if quotes is None:
            quotes = list(
                Quote.objects.filter(
                    brief=brief,
                    match__status__in=Match.CURRENT_STATUSES,
                    status__in=[Quote.Status.OFFERED, Quote.Status.AGREED],
                )
            )
        return self._quote_serializer.to_representation(quotes[0]) if quotes else None

    # The nested serializers are built once per serializer (once per list), not once per row:
    # a ModelSerializer builds its fields from the model each time it is made, which cost more
    # than the rest of a brief's representation.
    @cached_property
    def _expert_serializer(self):
        return ExpertRefSerializer()

    @cached_property
    def _quote_serializer(self):
        return QuoteSerializer()


class BriefDetailOutputSerializer(BriefOutputSerializer):
    """One brief with its reference files (the lists leave them out)."""

    files = serializers.SerializerMethodField()

    class Meta(BriefOutputSerializer.Meta):
        fields = [*BriefOutputSerializer.Meta.fields, "files"]
        read_only_fields = fields

    @extend_schema_field(AttachedFileSerializer(many=True))
    def get_files(self, brief):
        """The startup's reference files, in the order attached."""
        files = getattr(brief, "reference_files", None)
        if files is None:
            files = files_of(brief)
        return AttachedFileSerializer(files, many=True).data


class BriefInputSerializer(serializers.Serializer):
    """What a startup writes; status, owner, PM and counters are never writable."""

    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=5000)
    tag = serializers.SlugField(
        max_length=40, help_text="The `slug` of an active tag (`GET /api/v1/tags/`)."
    )
    budget_min = serializers.IntegerField(
        min_value=BUDGET_MIN, max_value=BUDGET_MAX, help_text="Whole CNY."
    )
    budget_max = serializers.IntegerField(
        min_value=BUDGET_MIN, max_value=BUDGET_MAX, help_text="Whole CNY, not below `budget_min`."
    )
    deadline = serializers.DateField(
        help_text=(
            "After today and at most two years ahead (732 days), by the date in China "
            "(Asia/Shanghai)."
        )
    )
    campaign = serializers.CharField(max_length=60, required=False, allow_blank=True)
    files = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID),
        required=False,
        max_length=100,
        help_text=(
            "Reference material: the ids of files you uploaded (`POST /api/v1/files/`). On an "
            "edit, the brief's whole list: files left out are removed from the brief."
        ),
    )


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


class ScoreBreakdownSerializer(serializers.Serializer):
    """How the score came about (marketplace.matching.scoring): the weighted part of each signal,
    which add up to `score` (rounded), and the expert's Bayesian rating. An expert the PM picked
    by hand has `{"picked_by_pm": 1}` instead."""

    rating = serializers.FloatField(required=False, help_text="The rating's weighted part.")
    experience = serializers.FloatField(
        required=False, help_text="The weighted part for completed work."
    )
    free_capacity = serializers.FloatField(
        required=False, help_text="The weighted part for free capacity."
    )
    activity = serializers.FloatField(
        required=False, help_text="The weighted part for recent activity."
    )
    newcomer = serializers.FloatField(required=False, help_text="The newcomer bonus.")
    rate_fit = serializers.FloatField(
        required=False, help_text="The weighted part for a day rate the budget covers."
    )
    rating_avg = serializers.FloatField(
        required=False, help_text="The expert's Bayesian average rating, 1–5."
    )
    picked_by_pm = serializers.IntegerField(
        required=False, help_text="1: picked by hand by the PM, not ranked."
    )


@extend_schema_field(ScoreBreakdownSerializer)
class BreakdownField(serializers.JSONField):
    """A match's stored breakdown as it is; documented as ScoreBreakdown."""


class MatchOutputSerializer(FastOutputMixin, serializers.ModelSerializer):
    expert = ExpertRefSerializer(read_only=True)
    brief = serializers.IntegerField(source="brief_id", read_only=True)
    breakdown = BreakdownField(read_only=True)

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
