"""An upload handler that stops a multipart body as soon as it is too large.

First among FILE_UPLOAD_HANDLERS (settings): a body whose announced length could only hold more
than the files a request may carry is not read at all, and a file that grows over
KAIGAN_FILE_MAX_BYTES, or one file more than KAIGAN_FILE_MAX_PER_REQUEST, stops the upload
there, before Django's own handlers keep more of it in memory or on disk. The request is marked
(`upload_refusal`), and the views that take files answer 413 (or the form again) instead of
going on with what was read.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

TOO_LARGE = "too_large"
TOO_MANY = "too_many"
_MARK = "_kaigan_upload_refusal"


def upload_refusal(request) -> str | None:
    """Why this request's upload was stopped (TOO_LARGE, TOO_MANY), or None. Read it after the
    body is parsed (after `request.FILES` or DRF's `request.data`)."""
    return getattr(getattr(request, "_request", request), _MARK, None)


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.files = 0

    def _refuse(self, why: str):
        if self.request is not None:
            setattr(self.request, _MARK, why)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = (
            settings.KAIGAN_FILE_MAX_BYTES * settings.KAIGAN_FILE_MAX_PER_REQUEST
            + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if content_length > limit:
            self._refuse(TOO_LARGE)
            # Handled: no field and no file, and nothing of the body read.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.files += 1
        if self.files > settings.KAIGAN_FILE_MAX_PER_REQUEST:
            self._refuse(TOO_MANY)
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.KAIGAN_FILE_MAX_BYTES:
            self._refuse(TOO_LARGE)
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file
