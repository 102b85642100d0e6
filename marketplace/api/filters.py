import django_filters
from drf_spectacular.utils import extend_schema_field

from kaigan.api.filters import IsoDateTimeFilter, MultipleChoiceFilter
from marketplace.models import Brief, Match


class BriefFilter(django_filters.FilterSet):
    status = MultipleChoiceFilter(choices=Brief.Status.choices)
    tag = django_filters.CharFilter(field_name="tag__slug")
    campaign = django_filters.CharFilter(field_name="campaign__name")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    deadline_before = django_filters.DateFilter(field_name="deadline", lookup_expr="lte")

    class Meta:
        model = Brief
        fields = ["status", "tag", "campaign"]


class MatchFilter(django_filters.FilterSet):
    status = MultipleChoiceFilter(choices=Match.Status.choices)
    round = extend_schema_field(
        {"type": "integer", "minimum": 1, "maximum": 32767, "description": "A round, from 1."}
    )(django_filters.NumberFilter(field_name="round", min_value=1, max_value=32767))

    class Meta:
        model = Match
        fields = ["status", "round"]
