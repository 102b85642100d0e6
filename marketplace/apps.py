from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self):
        from kaigan.files.registry import register
        from marketplace import checks  # noqa: F401  (registers the fee settings check)
        from marketplace.access import brief_files_readable, briefs_managed_by
        from marketplace.models import Brief

        # A brief's reference files (kaigan.files): who reads them, which a PM manages.
        register(Brief, may_read=brief_files_readable, managed_ids=briefs_managed_by)
