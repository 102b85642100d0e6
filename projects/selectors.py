"""Reads for the PM dashboard and the brief page."""

from django.db.models import Avg, Count, Q

from marketplace.models import Brief
from marketplace.selectors import fee_totals_by_month
from projects.models import Feedback, RematchJob


def pm_dashboard(*, briefs) -> dict:
    """Open briefs by status, the oldest waiting items, satisfaction and re-match rates.

    `briefs` is the PM's own queryset (the admin's scoped one): a PM sees only their briefs.
    """
    labels = dict(Brief.Status.choices)
    counts = dict(
        briefs.filter(status__in=Brief.OPEN_STATUSES)
        # Without it the admin's ordering (status_changed_at) joins the GROUP BY, and each
        # brief counts in a group of its own.
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status = [(status, labels[status], counts.get(status, 0)) for status in Brief.OPEN_STATUSES]
    oldest = list(
        briefs.filter(
            status__in=[
                Brief.Status.AWAITING_APPROVAL,
                Brief.Status.NEEDS_ATTENTION,
                Brief.Status.REMATCHING,
                Brief.Status.AWAITING_EXPERT,
            ]
        )
        .select_related("tag", "startup")
        .order_by("status_changed_at", "pk")[:10]
    )
    feedback = Feedback.objects.filter(brief__in=briefs)
    ratings = feedback.filter(kind=Feedback.Kind.RATING).aggregate(avg=Avg("rating"), n=Count("pk"))
    totals = briefs.aggregate(
        started=Count("pk", filter=Q(match_round__gt=0)),
        rematched=Count("pk", filter=Q(rematch_count__gt=0)),
        completed=Count("pk", filter=Q(status=Brief.Status.COMPLETED)),
    )
    started = totals["started"] or 0
    dead_jobs = RematchJob.objects.filter(brief__in=briefs, status=RematchJob.Status.DEAD).count()
    return {
        "by_status": by_status,
        "oldest": oldest,
        "rating_avg": round(ratings["avg"], 2) if ratings["avg"] is not None else None,
        "rating_count": ratings["n"],
        "rematch_rate": round(100 * totals["rematched"] / started, 1) if started else None,
        "completed": totals["completed"],
        "dead_jobs": dead_jobs,
        "fees_by_month": fee_totals_by_month(briefs=briefs),
    }


def match_rating(*, match):
    """The rating (and review) the startup gave when it accepted the match's work, if any."""
    return (
        Feedback.objects.filter(match=match, kind=Feedback.Kind.RATING)
        .only("rating", "comment")
        .first()
    )


def delivery_note(*, brief) -> str:
    """What the expert handed over with their latest delivery of the brief."""
    from projects.models import Project

    return (
        Project.objects.filter(brief=brief, delivered_at__isnull=False)
        .order_by("-delivered_at")
        .values_list("delivery_note", flat=True)
        .first()
        or ""
    )
