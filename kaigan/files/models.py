from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Raster images a browser may show inline (as an image, never as a document): the only types
#: served with `Content-Disposition: inline`, and the only ones thumbnailed.
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class StoredFile(models.Model):
    """One uploaded file: stored once under a key the server made, attached by id to whatever
    uses it (kaigan.files.services). Never deleted; hiding takes it out of every list and
    download."""

    key = models.CharField(_("storage key"), max_length=100, unique=True, editable=False)
    # For display only: sanitised, its extension made to agree with the content. Never part of
    # a storage key or a path.
    name = models.CharField(_("name"), max_length=150)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # Read from the content, not from the name or the browser's word.
    content_type = models.CharField(_("type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    thumbnail_key = models.CharField(_("thumbnail key"), max_length=100, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="uploaded_files",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        ordering = ["-created_at", "-id"]
        permissions = [("hide_storedfile", _("Can hide stored files"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hidden_at__isnull=True, hidden_by__isnull=True)
                | models.Q(hidden_at__isnull=False),
                name="storedfile_hidden_by_when_hidden",
            ),
        ]
        # The quota sums an account's bytes; an uploader's own list reads newest first.
        indexes = [models.Index(fields=["uploaded_by", "created_at"], name="storedfile_owner_idx")]

    def __str__(self):
        return self.name

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def may_show_inline(self) -> bool:
        return self.content_type in INLINE_TYPES


class FileAttachment(models.Model):
    """A file attached to one object of a registered model (kaigan.files.registry). Removing it
    there sets `removed_at`: the row stays, with a `FileEvent`."""

    file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="attachments"
    )
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("attached to (type)"), on_delete=models.PROTECT
    )
    target_id = models.PositiveBigIntegerField(_("attached to (id)"))
    target = GenericForeignKey("target_type", "target_id")
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attached by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    attached_at = models.DateTimeField(_("attached at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["attached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["file", "target_type", "target_id"],
                condition=models.Q(removed_at__isnull=True),
                name="fileattachment_once_per_target",
            ),
        ]
        indexes = [
            models.Index(
                fields=["target_type", "target_id", "attached_at"],
                name="fileattachment_target_idx",
                condition=models.Q(removed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.file_id} → {self.target_type_id}:{self.target_id}"


class FileEvent(models.Model):
    """The audit record of a file: attached, removed from an object, hidden. Only inserted."""

    class Action(models.TextChoices):
        ATTACHED = "attached", _("Attached")
        REMOVED = "removed", _("Removed")
        HIDDEN = "hidden", _("Hidden")

    file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object (type)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    target_id = models.PositiveBigIntegerField(_("object (id)"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("file event")
        verbose_name_plural = _("file events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["file", "created_at"], name="fileevent_file_idx")]

    def __str__(self):
        return f"{self.get_action_display()} · {self.file_id}"
