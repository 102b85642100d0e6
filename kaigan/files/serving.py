"""The answer that carries a file's bytes, after the access check (kaigan.files.access).

- As an attachment (`Content-Disposition: attachment; filename*=UTF-8''…`, the display name),
  with the type read from the content at upload. Only a raster image (PNG, JPEG, GIF, WebP)
  and thumbnails may be shown inline, when asked; never SVG, HTML or anything else.
- `X-Content-Type-Options: nosniff`, `Content-Security-Policy: default-src 'none'; sandbox`
  (should a browser render it anyway, no script runs and nothing loads),
  `Cross-Origin-Resource-Policy: same-origin` (no other site embeds it), no caching.
- Local storage: the bytes are streamed (FileResponse). Object storage: a redirect to a signed
  URL valid for FILES_S3_URL_EXPIRE_SECONDS, whose own answer carries the same disposition
  and type (the `response-content-*` parameters are part of the signature).
"""

import logging

from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.http import content_disposition_header

from kaigan.files.models import StoredFile
from kaigan.files.storage import file_storage, signs_urls

logger = logging.getLogger(__name__)

SANDBOX_CSP = "default-src 'none'; sandbox"
NO_STORE = "private, no-store"


def file_response(stored: StoredFile, *, inline: bool = False, thumbnail: bool = False):
    if thumbnail:
        if not stored.thumbnail_key:
            raise Http404
        key, content_type, inline = stored.thumbnail_key, "image/webp", True
        filename = stored.name.rsplit(".", 1)[0] + ".webp"
    else:
        key, content_type, filename = stored.key, stored.content_type, stored.name
        inline = inline and stored.may_show_inline
    storage = file_storage()
    if signs_urls(storage):
        url = storage.url(
            key,
            parameters={
                "ResponseContentDisposition": content_disposition_header(not inline, filename),
                "ResponseContentType": content_type,
                "ResponseCacheControl": NO_STORE,
            },
        )
        response = HttpResponseRedirect(url)
    else:
        try:
            handle = storage.open(key, "rb")
        except FileNotFoundError:
            logger.error("file %s: its bytes are missing from the storage (%s)", stored.pk, key)
            raise Http404 from None
        response = FileResponse(
            handle, as_attachment=not inline, filename=filename, content_type=content_type
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = NO_STORE
    return response
