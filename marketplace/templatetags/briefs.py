import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from marketplace.selectors import startup_status_label

register = template.Library()


@register.filter
def startup_status(status: str) -> str:
    """A brief status's label as the startup's pages show it."""
    return startup_status_label(status)


# An address runs until a space or a character that ends it in Chinese or English text: full-
# width punctuation and brackets, quotes, and an ASCII stop or comma at its very end.
_URL = re.compile(r"https?://[^\s<>\"'，。；：！？、（）【】《》“”‘’]+")
_TRAILING = ".,;:!?)]}"


@register.filter
def linkify(text: str) -> str:
    """Text with its web addresses as links (rel="nofollow noopener"), everything escaped.

    Django's `urlize` reads a Chinese comma or colon as part of an address (and the text after
    it), or does not see an address that follows one: a delivery note reads `初稿：https://…，
    提取码 1234`."""
    text = str(text or "")
    parts, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        parts.append(escape(text[last : match.start()]))
        parts.append(
            format_html('<a href="{}" rel="nofollow noopener" target="_blank">{}</a>', url, url)
        )
        last = end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
