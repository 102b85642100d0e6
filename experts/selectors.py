from experts.models import Expert, Tag


def tag_list(*, active_only: bool = True):
    qs = Tag.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("position", "slug")


def tags_by_stage() -> list[tuple[str, list[Tag]]]:
    """Tags grouped by marketing stage, in the taxonomy's order, for the claim page."""
    labels = dict(Tag.Stage.choices)
    groups: dict[str, list[Tag]] = {stage: [] for stage in labels}
    for tag in tag_list():
        groups[tag.stage].append(tag)
    return [(labels[stage], tags) for stage, tags in groups.items() if tags]


def expert_get_for_user(*, user) -> Expert | None:
    return Expert.objects.select_related("tag").filter(user=user).first()
