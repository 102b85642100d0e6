import django_filters

from marketplace.models import Brief


class BriefFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Brief.Status.choices)
    tag = django_filters.CharFilter(field_name="tag__slug")
    campaign = django_filters.CharFilter(field_name="campaign__name")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    deadline_before = django_filters.DateFilter(field_name="deadline", lookup_expr="lte")

    class Meta:
        model = Brief
        fields = ["status", "tag", "campaign"]
