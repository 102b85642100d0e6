"""The API's JSON parser: DRF's, refusing what would break the code behind it.

- Nesting deeper than `MAX_DEPTH`: Python's decoder recurses once per level and raises
  `RecursionError` (a 500) at about a thousand; no operation of this API takes more than two
  levels. The depth is measured before decoding, without recursion.
- A body that is not a JSON object (`null`, `1`, `true`, `"text"`, a list): every operation
  of this API that takes a body takes an object, and views read `request.data` as a mapping.

Both are a 400 `parse_error` in the API's error shape. A body larger than
`DATA_UPLOAD_MAX_MEMORY_SIZE` is refused by Django before it is read (a 400 as well,
kaigan.api.exceptions).
"""

import codecs
import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

#: The deepest nesting of arrays and objects a body may have.
MAX_DEPTH = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects in `text` nest deeper than `limit` (brackets inside
    strings do not count). Linear, no recursion; text with fewer brackets than the limit is
    not scanned at all."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's parse, with the depth measured between reading and decoding.
        encoding = parsers.get_encoding(parser_context or {})
        too_deep = _("The JSON body nests deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
        try:
            text = codecs.getreader(encoding)(stream).read()
            if json_depth_exceeds(text):
                raise ParseError(too_deep)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:  # not JSON, or not in the named encoding
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        except RecursionError:  # not reached while MAX_DEPTH stays far below the interpreter's
            raise ParseError(too_deep) from None
        if not isinstance(data, dict):
            raise ParseError(_("The body must be a JSON object."))
        return data
