from django import template
from django.utils.translation import gettext_lazy as _

from marketplace.models import Brief

register = template.Library()

# What a startup reads for a status whose own name is the PM's to-do ("needs attention" would
# read as if the startup had to act).
_FOR_STARTUP = {Brief.Status.NEEDS_ATTENTION: _("With your project manager")}


@register.filter
def startup_status(status: str) -> str:
    """A brief status's label as the startup's pages show it."""
    if status in _FOR_STARTUP:
        return _FOR_STARTUP[status]
    return Brief.Status(status).label if status in Brief.Status.values else status
