from django.core.management.base import BaseCommand
from django.db import transaction

from billing import crypto
from billing.models import ExpertBankAccount


class Command(BaseCommand):
    help = (
        "Re-encrypt experts' bank details under the first key of KAIGAN_FIELD_ENCRYPTION_KEY "
        "(put the new key first, keep the old ones after it until this has run)."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for account in ExpertBankAccount.objects.select_for_update().order_by("pk"):
                account.account_number_encrypted = crypto.rotate(account.account_number_encrypted)
                account.save(update_fields=["account_number_encrypted"])
                count += 1
        self.stdout.write(self.style.SUCCESS(f"{count} bank accounts re-encrypted."))
