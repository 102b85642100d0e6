from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", User.Role.ADMIN)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with an email address; the role says which side they are on."""

    class Role(models.TextChoices):
        STARTUP = "startup", _("Startup")
        EXPERT = "expert", _("Expert")
        PM = "pm", _("Project manager")
        ADMIN = "admin", _("Administrator")

    #: Roles a person may choose at signup; the others are given by staff.
    SIGNUP_ROLES = (Role.STARTUP, Role.EXPERT)

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, db_index=True)
    # The language of the site as the person last chose it (at login or with the switch): their
    # e-mails are written in it. Empty: the site's language. A database default too, for the
    # bench loader's COPY.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, db_default=""
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        # A new password (a change, a reset, an admin setting it) ends every API token of the
        # account: whoever held one with the old password must sign in again. Here, because
        # every path that changes a password ends in set_password() and save().
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            ApiToken.objects.filter(user=self).delete()

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email.split("@")[0]


class ApiToken(models.Model):
    """A credential for the API (`Authorization: Token <key>`): one per client a person signs in
    with, each with a name, a lifetime, and the time it was last used.

    Only the SHA-256 of the key is stored; the key itself is shown once, when it is issued
    (`kaigan.accounts.services.api_token_issue`). A token ends when it expires, when its owner
    revokes it (or signs out of the API with it), or when the owner's password changes.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    # The first characters of the key, so a person can tell their tokens apart.
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    name = models.CharField(_("name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="apitoken_user_idx")]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"
