from django.core.management.base import BaseCommand, CommandError

from projects.services import pm_recount


class Command(BaseCommand):
    help = (
        "Check every project manager's open-brief counter against their briefs and fix the "
        "ones that drifted (the nightly beat task does the same)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report; exit with an error when a counter is wrong.",
        )

    def handle(self, *args, check, **options):
        drift = pm_recount(fix=not check)
        for user_id, (stored, real) in sorted(drift.items()):
            self.stdout.write(f"PM user {user_id}: counter {stored}, open briefs {real}")
        if not drift:
            self.stdout.write(self.style.SUCCESS("Every PM's open-brief counter is right."))
        elif check:
            raise CommandError(f"{len(drift)} PM counter(s) drifted.")
        else:
            self.stdout.write(self.style.WARNING(f"Fixed {len(drift)} PM counter(s)."))
