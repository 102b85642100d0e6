"""Workflows that span the apps: posting with PM assignment, engagements, feedback, re-matching."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from experts import services as expert_services
from experts.models import Expert
from kaigan.accounts.models import User
from kaigan.errors import Conflict, InvalidTransition
from kaigan.files.services import files_attach, files_check_attachable
from kaigan.notifications.services import notify
from kaigan.publish import publish_on_commit
from marketplace import services as marketplace_services
from marketplace.models import Brief, Match, Startup
from marketplace.reasons import Reason
from marketplace.selectors import live_match
from projects.models import Feedback, Project, ProjectManager, RematchJob

PM_GROUP = "Project managers"
#: Exactly what a PM needs in the admin: follow briefs and their matches, read experts and
#: their tag history, act on re-match jobs. No delete anywhere; no edit of a match (its
#: decisions go through `approve_match`, and the admin edits matches for nobody).
PM_PERMISSIONS = (
    ("marketplace", "view_brief"),
    ("marketplace", "change_brief"),
    ("marketplace", "view_briefevent"),
    ("marketplace", "view_match"),
    ("marketplace", "approve_match"),
    ("marketplace", "view_startup"),
    ("marketplace", "view_campaign"),
    ("experts", "view_expert"),
    ("experts", "view_tag"),
    ("experts", "view_tagchange"),
    ("projects", "view_project"),
    ("projects", "view_feedback"),
    ("projects", "view_rematchjob"),
    ("projects", "change_rematchjob"),
    ("projects", "view_projectmanager"),
    # The files on their briefs (kaigan.files.admin), and hiding one with a reason.
    ("files", "view_storedfile"),
    ("files", "hide_storedfile"),
)


def pm_group_ensure() -> Group:
    """Create or repair the "Project managers" group with exactly the PM permissions."""
    group, _created = Group.objects.get_or_create(name=PM_GROUP)
    query = Q(pk__in=[])
    for app_label, codename in PM_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(query))
    return group


@transaction.atomic
def pm_create(*, email: str, password: str, name: str = "", capacity: int = 20) -> User:
    """A staff user with a PM profile in the PM group (idempotent on the email)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    else:
        user.set_password(password)
    user.role = User.Role.PM
    user.is_staff = True
    user.is_active = True
    if name:
        user.name = name
    user.save()
    profile, created = ProjectManager.objects.update_or_create(
        user=user, defaults={"capacity": capacity, "is_active": True}
    )
    if created:
        pm_counter_init(profile=profile)
    user.groups.add(pm_group_ensure())
    _verified_email(user)
    return user


def _verified_email(user: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def _open_briefs_of(pm_user_ids) -> dict[int, int]:
    """{PM user id: briefs in `Brief.OPEN_STATUSES`} for these PMs (absent: none)."""
    return dict(
        Brief.objects.filter(pm_id__in=list(pm_user_ids), status__in=Brief.OPEN_STATUSES)
        .order_by()
        .values("pm_id")
        .annotate(n=Count("pk"))
        .values_list("pm_id", "n")
    )


def pm_counter_init(*, profile: ProjectManager) -> None:
    """A new PM profile starts from the open briefs its user already follows (a superuser may
    have assigned some by hand); the triggers keep the counter from then on."""
    profile.open_briefs = _open_briefs_of([profile.user_id]).get(profile.user_id, 0)
    ProjectManager.objects.filter(pk=profile.pk).update(open_briefs=profile.open_briefs)


#: How long a post waits, at most, while every free PM is held by other posts.
PM_PICK_WAIT_SECONDS = 5.0


def pm_pick(*, brief: Brief) -> User | None:
    """The active PM with the fewest open briefs below capacity; ties: knows the tag, then id.

    Only the chosen PM's row is locked (FOR NO KEY UPDATE: what the trigger's update of the
    counter takes anyway), until the caller's transaction commits. The lock
    re-reads the row, so the capacity check sees the counter as the last commit left it (the
    triggers raise it when the brief is stored with this PM): concurrent posts never push a PM
    over capacity. A PM row another transaction holds is skipped, so concurrent posts spread
    over the next best PMs instead of queueing behind one another.

    The order is the statement's snapshot; the lock takes a row as the last commit left it.
    A post that committed in between (after this statement began, before it locked) has
    raised that PM's counter, and PostgreSQL re-checks only the conditions, not the order: the
    PM would be taken although another now has fewer briefs. So a row must also be unchanged
    since the snapshot (the counter equals its own value in the snapshot, which the re-check
    reads from the snapshot); a changed row is skipped like a held one.

    A post never waits on a PM row: a locking read that waits could hold rows it locked and
    then found full (PostgreSQL keeps those locks), and two such posts could deadlock. When
    every free PM is held by another post, it looks again after a short pause, for at most
    `PM_PICK_WAIT_SECONDS`; then it answers "busy", as a lock timeout would.
    """
    candidates = (
        ProjectManager.objects.filter(
            is_active=True, user__is_active=True, open_briefs__lt=F("capacity")
        )
        .filter(
            open_briefs=Subquery(
                ProjectManager.objects.filter(pk=OuterRef("pk")).values("open_briefs")[:1]
            )
        )
        .annotate(
            knows_tag=Exists(
                ProjectManager.tags.through.objects.filter(
                    projectmanager_id=OuterRef("pk"), tag_id=brief.tag_id
                )
            )
        )
        .select_related("user")
        .order_by("open_briefs", "-knows_tag", "pk")
    )
    deadline = time.monotonic() + PM_PICK_WAIT_SECONDS
    pause = 0.002
    while True:
        pm = candidates.select_for_update(skip_locked=True, of=("self",), no_key=True).first()
        if pm is not None:
            return pm.user
        if not candidates.exists():
            return None  # nobody is free: the caller tells the superusers
        if time.monotonic() >= deadline:
            raise Conflict(_("The record is busy. Please retry."))
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


@marketplace_services.refuse_constraint_violations
@transaction.atomic
def brief_submit(*, startup: Startup, actor, **fields) -> Brief:
    """Post a brief: store it with a PM (or tell superusers), rank experts after commit.

    `files`: ids of the actor's own uploads, attached as the brief's reference material.

    The brief is checked (and its campaign made) before a PM is locked, and stored with its PM
    in one insert, so the PM's lock is held for the insert and the commit only.
    """
    from marketplace.tasks import propose_matches_task

    file_ids = fields.pop("files", None) or []
    brief = marketplace_services.brief_new(startup=startup, **fields)
    if file_ids:  # refused before a PM is locked
        files_check_attachable(user=actor, model=Brief, file_ids=file_ids)
    brief.pm = pm_pick(brief=brief)
    marketplace_services.brief_store(brief=brief, actor=actor)
    if file_ids:
        files_attach(user=actor, target=brief, file_ids=file_ids)
    if brief.pm is not None:
        marketplace_services.brief_notify_assigned(brief=brief)
    else:
        marketplace_services.brief_notify_unassigned(brief=brief)
    publish_on_commit(propose_matches_task, brief.pk)
    return brief


def pm_recount(*, fix: bool = True) -> dict[int, tuple[int, int]]:
    """Check every PM's open-brief counter against their briefs; fix the ones that drifted.

    Returns {PM user id: (stored, real)} for each counter that was wrong. The PM rows are
    locked (in user id order, as the triggers lock two of them) before the briefs are
    counted: a change of a brief still in flight then waits for this transaction and lands
    on the corrected counter.
    """
    with transaction.atomic():
        stored = dict(
            ProjectManager.objects.select_for_update()
            .order_by("user_id")
            .values_list("user_id", "open_briefs")
        )
        real = _open_briefs_of(stored)
        drift = {
            user_id: (count, real.get(user_id, 0))
            for user_id, count in stored.items()
            if count != real.get(user_id, 0)
        }
        if fix:
            for user_id, (_stored, count) in drift.items():
                ProjectManager.objects.filter(user_id=user_id).update(open_briefs=count)
    return drift


# --- engagements: invitation, delivery, acceptance -------------------------------------------

M = Match.Status
S = Brief.Status


def _expert_match(match_id: int, user) -> tuple[Brief, Match]:
    """Lock the brief, then read the match; another expert's invitation is a 404."""
    brief_id = (
        Match.objects.filter(pk=match_id, expert__user=user)
        .values_list("brief_id", flat=True)
        .first()
    )
    if brief_id is None:
        raise Http404
    brief = marketplace_services.brief_lock(brief_id=brief_id)
    return brief, Match.objects.select_related("expert").get(pk=match_id)


@transaction.atomic
def invitation_accept(*, match_id: int, user) -> Project:
    """The invited expert accepts: an engagement starts, within their capacity."""
    brief, match = _expert_match(match_id, user)
    if match.status != M.APPROVED:
        raise InvalidTransition(
            _("This invitation is “%(status)s” and can no longer be accepted.")
            % {"status": match.get_status_display()}
        )
    now = timezone.now()
    if match.expires_at and match.expires_at <= now:
        raise InvalidTransition(_("This invitation has expired."))
    # Capacity is checked and taken in one conditional update: never above capacity.
    taken = Expert.objects.filter(pk=match.expert_id, active_load__lt=F("capacity")).update(
        active_load=F("active_load") + 1,
        pending_invitations=F("pending_invitations") - 1,
        last_active_at=now,
    )
    if not taken:
        raise Conflict(
            _("You are at your capacity. Finish an engagement or raise your capacity first.")
        )
    expert_services.expert_refresh_rank_base(expert_id=match.expert_id)
    match.status = M.ACCEPTED
    match.responded_at = now
    match.save(update_fields=["status", "responded_at"])
    marketplace_services.quote_agree_offer(match=match)
    project = Project.objects.create(match=match, brief=brief, expert=match.expert)
    marketplace_services.brief_transition(brief=brief, to=S.IN_PROGRESS, actor=user)
    notify(
        recipients=[brief.startup.owner],
        kind="invitation_accepted",
        params={"brief": brief.title, "expert": match.expert.display_name},
        url=marketplace_services.brief_url(brief),
    )
    return project


@transaction.atomic
def invitation_decline(*, match_id: int, user, reason: str = "") -> RematchJob:
    """The invited expert declines: the brief goes back to matching, without them."""
    brief, match = _expert_match(match_id, user)
    if match.status != M.APPROVED:
        raise InvalidTransition(
            _("This invitation is “%(status)s” and can no longer be declined.")
            % {"status": match.get_status_display()}
        )
    _end_invitation(match, status=M.DECLINED, reason=reason)
    # The job first: its message is published after commit ahead of the PM's e-mail.
    job = rematch_start(
        brief=brief, cause=RematchJob.Cause.DECLINE, actor=user, reason=reason or Reason("declined")
    )
    notify(
        recipients=[brief.pm] if brief.pm_id else [],
        kind="invitation_declined",
        params={"brief": brief.title, "expert": match.expert.display_name},
        url=marketplace_services.brief_admin_url(brief),
    )
    return job


def _end_invitation(match: Match, *, status: str, reason: str | Reason = "") -> None:
    match.status = status
    match.responded_at = timezone.now()
    match.decide(reason)
    match.save(update_fields=["status", "responded_at", *Match.DECISION_FIELDS])
    marketplace_services.quote_void(match=match)
    expert_services.expert_adjust_counters(expert_id=match.expert_id, pending_invitations=-1)


def invitations_expire(*, now=None) -> int:
    """Expire unanswered invitations past their window; each brief goes back to matching."""
    now = now or timezone.now()
    expired = 0
    for match_id in Match.objects.filter(status=M.APPROVED, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            brief_id = Match.objects.get(pk=match_id).brief_id
            brief = marketplace_services.brief_lock(brief_id=brief_id)
            match = Match.objects.select_related("expert").get(pk=match_id)
            if match.status != M.APPROVED or match.expires_at > now:
                continue  # answered meanwhile
            _end_invitation(match, status=M.EXPIRED, reason=Reason("no_answer"))
            # The job first: its message is published after commit ahead of the PM's e-mail.
            rematch_start(
                brief=brief,
                cause=RematchJob.Cause.EXPIRY,
                actor=None,
                reason=Reason("invitation_expired"),
            )
            notify(
                recipients=[brief.pm] if brief.pm_id else [],
                kind="invitation_expired",
                params={"brief": brief.title},
                url=marketplace_services.brief_admin_url(brief),
            )
            expired += 1
    return expired


@transaction.atomic
def work_deliver(*, brief_id: int, user, note: str = "") -> Project:
    """The working expert marks the work delivered, with a note of what they hand over."""
    note = (note or "").strip()
    if len(note) > Project.DELIVERY_NOTE_MAX:
        raise ValidationError(
            {"note": _("At most %(n)d characters.") % {"n": Project.DELIVERY_NOTE_MAX}}
        )
    if not Brief.objects.filter(pk=brief_id).exists():
        raise Http404
    brief = marketplace_services.brief_lock(brief_id=brief_id)
    match = live_match(brief)
    if match is None or match.expert.user_id != user.pk:
        raise Http404
    if brief.status != S.IN_PROGRESS or match.status != M.ACCEPTED:
        raise InvalidTransition(_("Only work in progress can be delivered."))
    project = Project.objects.get(match=match)
    project.status = Project.Status.DELIVERED
    project.delivered_at = timezone.now()
    project.delivery_note = note
    project.save(update_fields=["status", "delivered_at", "delivery_note"])
    marketplace_services.brief_transition(brief=brief, to=S.DELIVERED, actor=user)
    return project


@transaction.atomic
def work_accept(*, brief_id: int, user, rating: int, review: str = "") -> Feedback:
    """The startup accepts the delivery and rates it; reputation and ranking update at once."""
    brief = marketplace_services.brief_lock(brief_id=brief_id)
    marketplace_services.brief_check_owner(brief=brief, user=user)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("A rating is a whole number from 1 to 5.")})
    if brief.status != S.DELIVERED:
        raise InvalidTransition(_("Only delivered work can be accepted."))
    match = live_match(brief)
    now = timezone.now()
    match.status = M.COMPLETED
    match.save(update_fields=["status"])
    Project.objects.filter(match=match).update(status=Project.Status.COMPLETED, ended_at=now)
    feedback = Feedback.objects.create(
        brief=brief,
        match=match,
        expert=match.expert,
        kind=Feedback.Kind.RATING,
        rating=rating,
        comment=(review or "")[:2000],
        author=user,
    )
    expert_services.expert_adjust_counters(
        expert_id=match.expert_id, active_load=-1, completed_count=1, refresh=False
    )
    expert_services.expert_record_rating(expert_id=match.expert_id, rating=rating)
    marketplace_services.brief_transition(brief=brief, to=S.COMPLETED, actor=user)
    notify(
        recipients=[match.expert.user],
        kind="work_accepted",
        params={"brief": brief.title, "rating": rating},
        url=reverse("experts:dashboard"),
    )
    return feedback


# --- not satisfied: the platform re-matches --------------------------------------------------

DISSATISFACTION_FROM = (S.AWAITING_EXPERT, S.IN_PROGRESS, S.DELIVERED)


@transaction.atomic
def dissatisfaction_submit(*, brief_id: int, user, reason: str, comment: str = "") -> RematchJob:
    """Record the complaint, replace the current expert and start a re-match, atomically."""
    brief = marketplace_services.brief_lock(brief_id=brief_id)
    marketplace_services.brief_check_owner(brief=brief, user=user)
    if reason not in Feedback.Reason.values:
        raise ValidationError({"reason": _("Choose one of the listed reasons.")})
    if brief.status not in DISSATISFACTION_FROM:
        raise InvalidTransition(
            _("A brief that is “%(status)s” cannot be re-matched now.")
            % {"status": brief.get_status_display()}
        )
    match = live_match(brief)
    counts = reason not in Feedback.NEUTRAL_REASONS
    Feedback.objects.create(
        brief=brief,
        match=match,
        expert=match.expert if match else None,
        kind=Feedback.Kind.DISSATISFACTION,
        reason=reason,
        comment=(comment or "")[:2000],
        counts_against_expert=counts,
        author=user,
    )
    if match is not None:
        was = match.status
        match.status = M.REPLACED
        match.decided_at = timezone.now()
        match.decide(Reason("feedback", code=reason))
        match.save(update_fields=["status", "decided_at", *Match.DECISION_FIELDS])
        if was == M.ACCEPTED:
            Project.objects.filter(match=match).update(
                status=Project.Status.REPLACED, ended_at=timezone.now()
            )
            expert_services.expert_adjust_counters(expert_id=match.expert_id, active_load=-1)
        else:
            marketplace_services.quote_void(match=match)
            expert_services.expert_adjust_counters(
                expert_id=match.expert_id, pending_invitations=-1
            )
    brief.rematch_count = F("rematch_count") + 1
    brief.rematch_started_at = timezone.now()
    brief.save(update_fields=["rematch_count", "rematch_started_at", "updated_at"])
    brief.refresh_from_db(fields=["rematch_count"])
    job = rematch_start(
        brief=brief,
        cause=RematchJob.Cause.DISSATISFACTION,
        actor=user,
        reason=Reason("feedback", code=reason),
    )
    if match is not None:
        notify(
            recipients=[match.expert.user],
            kind="engagement_replaced",
            params={"brief": brief.title},
            url=reverse("experts:dashboard"),
        )
    return job


def rematch_start(*, brief: Brief, cause: str, actor, reason: str | Reason = "") -> RematchJob:
    """Move a locked brief to re-matching and write its job; the message goes after commit."""
    from projects.tasks import rematch_run_task

    try:
        with transaction.atomic():
            job = RematchJob.objects.create(brief=brief, cause=cause)
    except IntegrityError:
        raise Conflict(_("A re-match for this brief is already under way.")) from None
    # Registered before the notifications, so the worker gets the re-match first.
    publish_on_commit(rematch_run_task, job.pk)
    marketplace_services.brief_transition(brief=brief, to=S.REMATCHING, actor=actor, reason=reason)
    return job


def _lease() -> timedelta:
    return timedelta(seconds=settings.KAIGAN_REMATCH_LEASE_SECONDS)


def rematch_claim(*, job_id: int, now=None) -> bool:
    """Take the job with one conditional UPDATE; False if someone else has it or it is over."""
    now = now or timezone.now()
    return bool(
        RematchJob.objects.filter(pk=job_id, attempts__lt=RematchJob.MAX_ATTEMPTS)
        .filter(
            Q(status=RematchJob.Status.PENDING)
            | Q(status=RematchJob.Status.RUNNING, lease_until__lt=now)
        )
        .update(
            status=RematchJob.Status.RUNNING,
            attempts=F("attempts") + 1,
            lease_until=now + _lease(),
        )
    )


def rematch_run(*, job_id: int) -> str:
    """Run a claimed job: lock the brief, propose a new round, close the job. Idempotent."""
    from marketplace.matching import propose_round

    if not rematch_claim(job_id=job_id):
        return "not_claimed"
    with transaction.atomic():
        job = RematchJob.objects.select_related("brief").get(pk=job_id)
        brief = marketplace_services.brief_lock(brief_id=job.brief_id)
        job = RematchJob.objects.select_for_update().get(pk=job_id)
        if job.status != RematchJob.Status.RUNNING:
            return job.status
        if brief.status == S.REMATCHING:
            matches = propose_round(brief=brief, reason=_round_reason(brief, job))
            job.status = RematchJob.Status.DONE if matches else RematchJob.Status.NO_CANDIDATES
        else:
            job.status = RematchJob.Status.DONE  # the brief moved on (e.g. cancelled)
        job.finished_at = timezone.now()
        job.lease_until = None
        job.save(update_fields=["status", "finished_at", "lease_until"])
        return job.status


def _round_reason(brief: Brief, job: RematchJob) -> Reason:
    """What the round a job proposes is: a re-match, numbered as the startup's complaints are
    counted (the first is round 1), or new candidates after an invitation ended (declined or
    expired), which the startup did not ask for. A requeued job goes on with the cause of the
    job before it (a PM's re-run when there is none)."""
    cause = job.cause
    if cause == RematchJob.Cause.REQUEUE:
        earlier = (
            RematchJob.objects.filter(brief=brief, pk__lt=job.pk)
            .exclude(cause=RematchJob.Cause.REQUEUE)
            .order_by("-pk")
            .values_list("cause", flat=True)
            .first()
        )
        cause = earlier or cause
    if cause == RematchJob.Cause.DISSATISFACTION:
        return Reason("rematch_round", n=brief.rematch_count)
    if cause == RematchJob.Cause.REQUEUE:  # nothing before it: the first ranking found nobody
        return Reason("rerun_by_pm")
    return Reason("new_candidates")


def rematch_sweep(*, now=None, pending_grace_seconds: float | None = None) -> dict:
    """Republish jobs whose message may be lost; bury those out of attempts (beat, every 60 s)."""
    from projects.tasks import rematch_run_task

    now = now or timezone.now()
    if pending_grace_seconds is None:
        pending_grace_seconds = settings.KAIGAN_REMATCH_PENDING_GRACE_SECONDS
    republished, dead = [], []
    with transaction.atomic():
        jobs = (
            RematchJob.objects.select_for_update(skip_locked=True)
            .filter(
                Q(
                    status=RematchJob.Status.PENDING,
                    created_at__lte=now - timedelta(seconds=pending_grace_seconds),
                )
                | Q(status=RematchJob.Status.RUNNING, lease_until__lt=now)
            )
            .order_by("pk")
        )
        for job in jobs:
            if job.attempts >= RematchJob.MAX_ATTEMPTS:
                dead.append(job.pk)
            else:
                republished.append(job.pk)
        for job_id in dead:
            rematch_bury(job_id=job_id)
        for job_id in republished:
            publish_on_commit(rematch_run_task, job_id)
    return {"republished": republished, "dead": dead, "briefs": matching_sweep(now=now)}


def matching_sweep(*, now=None) -> list[int]:
    """Republish the first ranking of briefs still open (their message may have been lost)."""
    from marketplace.tasks import propose_matches_task

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.KAIGAN_REMATCH_PENDING_GRACE_SECONDS)
    ids = list(
        Brief.objects.filter(status=S.OPEN, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for brief_id in ids:
        publish_on_commit(propose_matches_task, brief_id)
    return ids


def rematch_bury(*, job_id: int, error: str = "") -> None:
    """Out of attempts: the job is dead, the brief needs attention, its PM is told."""
    with transaction.atomic():
        brief_id = RematchJob.objects.values_list("brief_id", flat=True).get(pk=job_id)
        brief = marketplace_services.brief_lock(brief_id=brief_id)
        job = RematchJob.objects.select_for_update().get(pk=job_id)
        if job.status not in RematchJob.OPEN_STATUSES:
            return
        job.status = RematchJob.Status.DEAD
        job.finished_at = timezone.now()
        job.last_error = (error or "out of attempts")[:500]
        job.save(update_fields=["status", "finished_at", "last_error"])
        if brief.status == S.REMATCHING:
            marketplace_services.brief_transition(
                brief=brief,
                to=S.NEEDS_ATTENTION,
                reason=Reason("rematch_failed", n=job.attempts),
            )
        notify(
            recipients=[brief.pm] if brief.pm_id else marketplace_services._superusers(),
            kind="rematch_dead",
            params={"brief": brief.title},
            url=marketplace_services.brief_admin_url(brief),
        )


@transaction.atomic
def rematch_requeue(*, brief_id: int, actor) -> RematchJob:
    """A PM sends a brief that needs attention back to re-matching (after a dead job)."""
    brief = marketplace_services.brief_lock(brief_id=brief_id)
    marketplace_services._check_pm(brief, actor)
    if brief.status != S.NEEDS_ATTENTION:
        raise InvalidTransition(_("Only a brief that needs attention can be requeued."))
    return rematch_start(
        brief=brief, cause=RematchJob.Cause.REQUEUE, actor=actor, reason=Reason("requeued_by_pm")
    )


def rematch_lease_left(*, job_id: int, now=None) -> float | None:
    """Seconds until a running job's lease ends, or None if there is nothing to wait for."""
    now = now or timezone.now()
    job = RematchJob.objects.filter(pk=job_id).values("status", "lease_until", "attempts").first()
    if (
        job is None
        or job["status"] != RematchJob.Status.RUNNING
        or job["lease_until"] is None
        or job["attempts"] >= RematchJob.MAX_ATTEMPTS
    ):
        return None
    return max((job["lease_until"] - now).total_seconds(), 0.0)
