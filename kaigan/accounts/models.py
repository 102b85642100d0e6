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

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email.split("@")[0]

    @property
    def is_startup(self) -> bool:
        return self.role == self.Role.STARTUP

    @property
    def is_expert(self) -> bool:
        return self.role == self.Role.EXPERT

    @property
    def is_pm(self) -> bool:
        return self.role == self.Role.PM
