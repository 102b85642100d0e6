from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    name = "kaigan.files"
    label = "files"
    verbose_name = _("Files")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        # Pillow refuses to decode larger images anywhere in the process (decompression bombs).
        Image.MAX_IMAGE_PIXELS = settings.KAIGAN_FILE_MAX_PIXELS
