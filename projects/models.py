from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from experts.models import Expert, Tag
from marketplace.models import Brief, Match


class ProjectManager(models.Model):
    """A staff member who follows a handful of briefs and approves every match on them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="pm_profile",
    )
    capacity = models.PositiveSmallIntegerField(
        pgettext_lazy("project manager", "capacity"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=_("How many open briefs this PM can follow at once."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # How many briefs in `Brief.OPEN_STATUSES` this PM follows. Kept by database triggers on
    # marketplace_brief (migration 0002), in the same transaction as any change of a brief's
    # status or PM, whatever path makes it; `pm_recount` checks it against the briefs.
    open_briefs = models.PositiveIntegerField(
        _("open briefs"),
        default=0,
        editable=False,
        help_text=_("Briefs this PM follows that are not completed or cancelled."),
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags known best"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project manager")
        verbose_name_plural = _("project managers")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1, capacity__lte=200),
                name="pm_capacity_range",
            ),
            # PositiveIntegerField adds a >= 0 check of its own; named here so that a drift
            # that would take the counter below zero fails loudly with a known name. No upper
            # bound: a superuser may lower a capacity or assign a brief by hand beyond it.
            models.CheckConstraint(
                condition=models.Q(open_briefs__gte=0), name="pm_open_briefs_not_negative"
            ),
        ]

    def __str__(self):
        return self.user.get_full_name()

    def save(self, **kwargs):
        # The counter belongs to the triggers: saving a profile that was read earlier (the
        # admin change form reads it, validates, then saves every column) must not write back
        # the count it read and undo a post or a status change committed in between.
        if (
            not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "open_briefs"
            ]
        super().save(**kwargs)


class Project(models.Model):
    """One expert's engagement on one brief, from acceptance to the end."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In progress")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        REPLACED = "replaced", _("Replaced")
        CANCELLED = "cancelled", _("Cancelled")

    match = models.OneToOneField(
        Match, verbose_name=_("match"), on_delete=models.PROTECT, related_name="project"
    )
    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="projects"
    )
    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="projects"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # What the expert handed over: links, where the files are, anything the startup should know.
    DELIVERY_NOTE_MAX = 2000
    delivery_note = models.TextField(
        _("delivery note"), max_length=DELIVERY_NOTE_MAX, blank=True, db_default=""
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brief"],
                condition=models.Q(status__in=["active", "delivered"]),
                name="project_one_live_per_brief",
            )
        ]
        indexes = [models.Index(fields=["expert", "status"], name="project_expert_idx")]

    def __str__(self):
        return f"{self.brief} – {self.expert}"


class Feedback(models.Model):
    """What a startup said: not satisfied (with a coded reason), or accepted with a rating."""

    class Kind(models.TextChoices):
        DISSATISFACTION = "dissatisfaction", _("Not satisfied")
        RATING = "rating", _("Rating")

    class Reason(models.TextChoices):
        QUALITY = "quality", _("Quality of the work")
        COMMUNICATION = "communication", _("Communication")
        DEADLINE = "deadline", _("Missed deadline")
        FIT = "fit", _("Not the right fit")
        BRIEF_UNCLEAR = "brief_unclear", _("The brief was unclear")

    #: Reasons that say nothing about the expert's work: they do not count against them.
    NEUTRAL_REASONS = (Reason.FIT, Reason.BRIEF_UNCLEAR)

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="feedback"
    )
    match = models.ForeignKey(
        Match,
        verbose_name=_("match"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
    )
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("expert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    counts_against_expert = models.BooleanField(_("counts against the expert"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_range",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.brief}"


class RematchJob(models.Model):
    """The database's record that a brief must be re-matched; Redis only rings the bell."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        NO_CANDIDATES = "no_candidates", _("No candidates left")
        DEAD = "dead", _("Failed")

    class Cause(models.TextChoices):
        DISSATISFACTION = "dissatisfaction", _("Startup not satisfied")
        DECLINE = "decline", _("Expert declined")
        EXPIRY = "expiry", _("Invitation expired")
        REQUEUE = "requeue", _("Requeued by a PM")

    OPEN_STATUSES = (Status.PENDING, Status.RUNNING)
    MAX_ATTEMPTS = 3

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="rematch_jobs"
    )
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-match job")
        verbose_name_plural = _("re-match jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open job per brief: fifty simultaneous complaints make one job.
            models.UniqueConstraint(
                fields=["brief"],
                condition=models.Q(status__in=["pending", "running"]),
                name="rematchjob_one_open_per_brief",
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "lease_until"],
                name="rematchjob_open_idx",
                condition=models.Q(status__in=["pending", "running"]),
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.brief_id} {self.status}"
