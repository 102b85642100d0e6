from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from projects.services import pm_create


class Command(BaseCommand):
    help = "Create (or update) a project manager: a staff user in the 'Project managers' group."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--capacity", type=int, default=20)

    def handle(self, *args, email, password, name, capacity, **options):
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Not an email address: {email}") from exc
        if not 1 <= capacity <= 200:
            raise CommandError("--capacity must be between 1 and 200.")
        user = pm_create(email=email, password=password, name=name, capacity=capacity)
        self.stdout.write(self.style.SUCCESS(f"Project manager {user.email} is ready."))
