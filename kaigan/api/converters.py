"""The `<id:pk>` path converter of the API: a positive id that fits a bigint primary key.

Anything else (0, a leading zero, a sign, 19+ digits) does not match, so the API's catch-all
answers a JSON 404 instead of a query failing on an integer the database cannot hold.
"""

from django.urls import register_converter

#: The largest id the converter accepts (18 digits; a bigint holds 2**63 - 1).
MAX_OBJECT_ID = 10**18 - 1


class ObjectIdConverter:
    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(ObjectIdConverter, "id")
