from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

DAY_RATE_MIN = 100
DAY_RATE_MAX = 100_000
CAPACITY_MIN = 1
CAPACITY_MAX = 10


class Tag(models.Model):
    """One capability an expert can claim; a brief needs exactly one."""

    class Stage(models.TextChoices):
        STRATEGY = "strategy", _("Strategy and positioning")
        IDENTITY = "identity", _("Brand identity")
        CONTENT = "content", _("Content creation")
        CHANNELS = "channels", _("Channels and media")
        GROWTH = "growth", _("Growth and community")

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=60, unique=True)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    description = models.TextField(_("description (Chinese)"), max_length=500)
    description_en = models.TextField(_("description (English)"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["position", "slug"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def display_description(self) -> str:
        if (get_language() or "").startswith("en") and self.description_en:
            return self.description_en
        return self.description


class Expert(models.Model):
    """An external brain (外脑): one person, one tag, a day rate and a capacity."""

    class Availability(models.TextChoices):
        AVAILABLE = "available", _("Available")
        PAUSED = "paused", _("Paused")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="expert",
    )
    display_name = models.CharField(_("display name"), max_length=60)
    headline = models.CharField(_("headline"), max_length=120, blank=True)
    bio = models.TextField(_("bio"), max_length=3000, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    day_rate = models.PositiveIntegerField(
        _("day rate (CNY)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(DAY_RATE_MIN), MaxValueValidator(DAY_RATE_MAX)],
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        default=3,
        validators=[MinValueValidator(CAPACITY_MIN), MaxValueValidator(CAPACITY_MAX)],
        help_text=_("How many engagements you can run at the same time."),
    )
    availability = models.CharField(
        _("availability"),
        max_length=16,
        choices=Availability.choices,
        default=Availability.AVAILABLE,
    )
    portfolio_links = models.TextField(
        _("portfolio links"),
        max_length=1200,
        blank=True,
        help_text=_("Up to 5 links (http or https), one per line."),
    )
    # The one tag: a foreign key, so a second tag cannot even be stored.
    tag = models.ForeignKey(
        Tag,
        verbose_name=_("tag"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="experts",
    )
    tag_claimed_at = models.DateTimeField(_("tag claimed at"), null=True, blank=True)

    # Reputation and load, kept up to date by the services of marketplace and projects.
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    rating_sum = models.PositiveIntegerField(_("sum of ratings"), default=0)
    completed_count = models.PositiveIntegerField(_("completed engagements"), default=0)
    active_load = models.PositiveSmallIntegerField(_("active engagements"), default=0)
    pending_invitations = models.PositiveSmallIntegerField(_("open invitations"), default=0)
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    # The part of the matching score that does not depend on the brief (experts.scoring).
    rank_base = models.FloatField(_("base score"), default=0.0)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_rate__isnull=True)
                | models.Q(day_rate__gte=DAY_RATE_MIN, day_rate__lte=DAY_RATE_MAX),
                name="expert_day_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=CAPACITY_MIN, capacity__lte=CAPACITY_MAX),
                name="expert_capacity_range",
            ),
            models.CheckConstraint(
                condition=models.Q(active_load__lte=models.F("capacity")),
                name="expert_load_within_capacity",
            ),
            models.CheckConstraint(
                condition=models.Q(rank_base__gte=0, rank_base__lte=1),
                name="expert_rank_base_unit",
            ),
        ]
        indexes = [
            # The ranking reads candidates of one tag in base-score order, among those who can
            # take work: its cost follows the rows it returns, not the number of experts.
            models.Index(
                models.F("tag"),
                models.F("rank_base").desc(),
                models.F("id"),
                name="expert_rank_idx",
                condition=models.Q(availability="available")
                & models.Q(active_load__lt=models.F("capacity")),
            ),
            models.Index(fields=["city"], name="expert_city_idx"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def rating_avg(self) -> float | None:
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 2)

    @property
    def free_capacity(self) -> int:
        return max(self.capacity - self.active_load, 0)

    @property
    def portfolio_list(self) -> list[str]:
        return [line.strip() for line in self.portfolio_links.splitlines() if line.strip()]


class TagChange(models.Model):
    """Every claim or change of an expert's tag, for the PMs to read."""

    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="tag_changes"
    )
    from_tag = models.ForeignKey(
        Tag,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_tag = models.ForeignKey(
        Tag, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("tag change")
        verbose_name_plural = _("tag changes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.expert}: {self.from_tag or '-'} → {self.to_tag}"
