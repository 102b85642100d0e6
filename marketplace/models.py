from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from experts.models import Expert, Tag

BUDGET_MIN = 500
BUDGET_MAX = 10_000_000


class Startup(models.Model):
    class Stage(models.TextChoices):
        IDEA = "idea", _("Idea")
        ANGEL = "angel", _("Angel")
        PRE_A = "pre_a", _("Pre-A")
        A = "a", _("Series A")
        B_PLUS = "b_plus", _("Series B and later")

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="startup",
    )
    company_name = models.CharField(_("company name"), max_length=80, blank=True)
    stage = models.CharField(
        _("funding stage"), max_length=16, choices=Stage.choices, default=Stage.IDEA
    )
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    description = models.TextField(_("about the company"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("startup")
        verbose_name_plural = _("startups")
        ordering = ["id"]

    def __str__(self):
        return self.company_name or self.owner.email

    @property
    def profile_complete(self) -> bool:
        return bool(self.company_name and self.industry and self.city)


class Campaign(models.Model):
    """A name that groups a startup's briefs for several marketing steps."""

    startup = models.ForeignKey(
        Startup, verbose_name=_("startup"), on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("campaign"), max_length=60)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["startup", "name"], name="campaign_unique_name")
        ]

    def __str__(self):
        return self.name


class Brief(models.Model):
    """What a startup needs done, by one expert of one tag."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting PM approval")
        AWAITING_EXPERT = "awaiting_expert", _("Awaiting the expert")
        IN_PROGRESS = "in_progress", _("In progress")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        REMATCHING = "rematching", _("Re-matching")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")
        CANCELLED = "cancelled", _("Cancelled")

    #: Statuses in which the brief still takes a PM's time.
    OPEN_STATUSES = (
        Status.OPEN,
        Status.AWAITING_APPROVAL,
        Status.AWAITING_EXPERT,
        Status.IN_PROGRESS,
        Status.DELIVERED,
        Status.REMATCHING,
        Status.NEEDS_ATTENTION,
    )
    #: Statuses in which the startup may still edit the brief.
    EDITABLE_STATUSES = (Status.OPEN, Status.AWAITING_APPROVAL, Status.NEEDS_ATTENTION)

    startup = models.ForeignKey(
        Startup, verbose_name=_("startup"), on_delete=models.PROTECT, related_name="briefs"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="briefs",
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000)
    tag = models.ForeignKey(
        Tag, verbose_name=_("tag needed"), on_delete=models.PROTECT, related_name="briefs"
    )
    budget_min = models.PositiveIntegerField(
        _("budget from (CNY)"),
        validators=[MinValueValidator(BUDGET_MIN), MaxValueValidator(BUDGET_MAX)],
    )
    budget_max = models.PositiveIntegerField(
        _("budget up to (CNY)"),
        validators=[MinValueValidator(BUDGET_MIN), MaxValueValidator(BUDGET_MAX)],
    )
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    pm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("project manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_briefs",
    )
    rematch_count = models.PositiveSmallIntegerField(_("re-matches"), default=0)
    rematch_started_at = models.DateTimeField(_("re-match started"), null=True, blank=True)
    match_round = models.PositiveSmallIntegerField(_("matching round"), default=0)
    # Bumped on every edit: a form or client that sends an older version gets a conflict.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    status_changed_at = models.DateTimeField(_("status changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("brief")
        verbose_name_plural = _("briefs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_min__lte=models.F("budget_max")),
                name="brief_budget_order",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_min__gte=BUDGET_MIN, budget_max__lte=BUDGET_MAX),
                name="brief_budget_range",
            ),
        ]
        indexes = [
            models.Index(fields=["startup", "-created_at", "-id"], name="brief_startup_idx"),
            models.Index(fields=["pm", "status"], name="brief_pm_status_idx"),
            models.Index(fields=["status", "status_changed_at"], name="brief_status_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def rematch_promised_by(self):
        """The platform's promise: a new PM-approved candidate by this time."""
        if self.rematch_started_at is None:
            return None
        return self.rematch_started_at + settings.KAIGAN_REMATCH_PROMISE


class BriefEvent(models.Model):
    """The audit record of one status change: who, when, from, to, why."""

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=Brief.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Brief.Status.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # A reason the platform gave, written out in the reader's language (marketplace.reasons).
    # Database defaults too: the bench seed writes events by COPY without these columns.
    reason_key = models.CharField(_("reason key"), max_length=40, blank=True, db_default="")
    reason_params = models.JSONField(
        _("reason parameters"), default=dict, db_default={}, blank=True
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("brief event")
        verbose_name_plural = _("brief events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["brief", "created_at"], name="briefevent_brief_idx")]

    def __str__(self):
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language when the platform gave it; else as typed."""
        if self.reason_key:
            from marketplace.reasons import render

            return render(self.reason_key, self.reason_params)
        return self.reason


class Match(models.Model):
    """A ranked proposal of one expert for one brief, and what became of it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved, invited")
        REJECTED = "rejected", _("Rejected by PM")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined by expert")
        EXPIRED = "expired", _("Invitation expired")
        REPLACED = "replaced", _("Replaced")
        COMPLETED = "completed", _("Completed")

    LIVE_STATUSES = (Status.APPROVED, Status.ACCEPTED)
    #: The match a brief shows as its expert (and their quote): the live one, or the one that
    #: completed the brief (a completed brief has no live match). At most one per brief.
    CURRENT_STATUSES = (*LIVE_STATUSES, Status.COMPLETED)

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="matches"
    )
    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="matches"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    breakdown = models.JSONField(_("score breakdown"), default=dict)
    pm_note = models.TextField(_("why this match"), max_length=1000, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)
    # A reason the platform gave, written out in the reader's language (marketplace.reasons).
    decision_key = models.CharField(_("reason key"), max_length=40, blank=True, db_default="")
    decision_params = models.JSONField(
        _("reason parameters"), default=dict, db_default={}, blank=True
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("invitation expires"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["brief", "round", "rank"]
        permissions = [("approve_match", _("Can approve or reject proposed matches"))]
        constraints = [
            # An expert once proposed for a brief is never proposed for it again.
            models.UniqueConstraint(fields=["brief", "expert"], name="match_once_per_brief"),
            # At most one live (approved or accepted) match per brief.
            models.UniqueConstraint(
                fields=["brief"],
                condition=models.Q(status__in=["approved", "accepted"]),
                name="match_one_live_per_brief",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=1), name="match_score_unit"
            ),
        ]
        indexes = [
            models.Index(fields=["expert", "status"], name="match_expert_status_idx"),
            models.Index(
                fields=["expires_at"],
                name="match_invitation_expiry_idx",
                condition=models.Q(status="approved"),
            ),
            # Ranking leaves out the experts a startup had replaced (marketplace.matching):
            # without it that read every match of the platform (11 ms of a 13 ms ranking for
            # a big tenant at 80k matches; bench/LOAD.md).
            models.Index(
                fields=["brief", "expert"],
                name="match_replaced_idx",
                condition=models.Q(status="replaced"),
            ),
        ]

    def __str__(self):
        return f"#{self.rank} {self.expert} ({self.get_status_display()})"

    #: The columns `decide` sets.
    DECISION_FIELDS = ("decision_reason", "decision_key", "decision_params")

    def decide(self, reason) -> None:
        """Record why the match ended: typed text, or the platform's `marketplace.reasons.Reason`
        (the caller saves `DECISION_FIELDS`)."""
        from marketplace.reasons import stored

        self.decision_reason, self.decision_key, self.decision_params = stored(reason)

    @property
    def decision_text(self) -> str:
        """Why the match ended, in the reader's language when the platform said it."""
        if self.decision_key:
            from marketplace.reasons import render

            return render(self.decision_key, self.decision_params)
        return self.decision_reason


class Quote(models.Model):
    """What an approved match costs, line by line: the expert's earnings and the platform's fee.

    Versions of one match's quote are kept: a change after acceptance is a new version that
    both sides agree to, and the earlier one stays as it was (superseded).
    """

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered with the invitation")
        AGREED = "agreed", _("Agreed")
        PROPOSED = "proposed", _("Change proposed")
        SUPERSEDED = "superseded", _("Superseded")
        REJECTED = "rejected", _("Change rejected")
        VOID = "void", _("Void (the match ended)")

    brief = models.ForeignKey(
        Brief, verbose_name=_("brief"), on_delete=models.PROTECT, related_name="quotes"
    )
    match = models.ForeignKey(
        Match, verbose_name=_("match"), on_delete=models.PROTECT, related_name="quotes"
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OFFERED
    )
    scope_days = models.DecimalField(
        _("scope (days)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    fixed_price = models.PositiveIntegerField(_("fixed price (CNY)"), null=True, blank=True)
    day_rate = models.PositiveIntegerField(_("day rate then (CNY)"), null=True, blank=True)
    expert_earnings = models.PositiveIntegerField(_("expert earns (CNY)"))
    platform_fee = models.PositiveIntegerField(_("platform fee (CNY)"))
    total = models.PositiveIntegerField(_("total (CNY)"))
    fee_percent = models.DecimalField(_("fee percent"), max_digits=4, decimal_places=2)
    fee_waived = models.BooleanField(
        _("fee already paid for this brief"),
        default=False,
        help_text=_("A re-match never charges a second platform fee for the same brief."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["brief", "match", "version"]
        constraints = [
            models.UniqueConstraint(fields=["match", "version"], name="quote_version_unique"),
            models.UniqueConstraint(
                fields=["match"],
                condition=models.Q(status__in=["offered", "agreed"]),
                name="quote_one_current_per_match",
            ),
            models.UniqueConstraint(
                fields=["match"],
                condition=models.Q(status="proposed"),
                name="quote_one_open_change_per_match",
            ),
            models.CheckConstraint(
                condition=models.Q(total=models.F("expert_earnings") + models.F("platform_fee")),
                name="quote_lines_add_up",
            ),
            models.CheckConstraint(
                condition=models.Q(scope_days__isnull=True) | models.Q(fixed_price__isnull=True),
                name="quote_days_or_fixed",
            ),
        ]
        indexes = [models.Index(fields=["status", "agreed_at"], name="quote_status_idx")]

    def __str__(self):
        return f"{self.brief} v{self.version}: ¥{self.total}"


class BriefStatusLog(models.Model):
    """Every status change of a brief, written by a database trigger.

    It sits beneath the services' `BriefEvent` (who and why): it also catches changes made
    by bulk updates or raw SQL, which bypass the services. Rows are only ever inserted.
    """

    brief = models.ForeignKey(
        Brief,
        verbose_name=_("brief"),
        on_delete=models.DO_NOTHING,
        related_name="status_log",
    )
    old_status = models.CharField(_("from"), max_length=20)
    new_status = models.CharField(_("to"), max_length=20)
    changed_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("brief status log")
        verbose_name_plural = _("brief status log")
        ordering = ["changed_at", "id"]

    def __str__(self):
        return f"{self.brief_id}: {self.old_status} → {self.new_status}"
