from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from billing.services import finance_group_ensure, finance_user_create


class Command(BaseCommand):
    help = (
        "Create (or update) a finance user: a staff user in the 'Finance' group. With "
        "--group-only, create or repair the group's permissions and nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email")
        parser.add_argument("--password")
        parser.add_argument("--name", default="")
        parser.add_argument("--group-only", action="store_true")

    def handle(self, *args, email, password, name, group_only, **options):
        if group_only:
            group = finance_group_ensure()
            self.stdout.write(
                self.style.SUCCESS(f"Group {group.name}: {group.permissions.count()} permissions.")
            )
            return
        if not email or not password:
            raise CommandError("--email and --password are required (or --group-only).")
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Not an email address: {email}") from exc
        user = finance_user_create(email=email, password=password, name=name)
        self.stdout.write(self.style.SUCCESS(f"Finance user {user.email} is ready."))
