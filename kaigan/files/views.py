"""Downloads for signed-in browsers: the same access check and answer as the API's."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_safe

from kaigan.files.access import access_file
from kaigan.files.serving import file_response


@login_required
@require_safe
def file_download(request, pk):
    """The file as an attachment; `?inline=1` shows a raster image in the browser instead."""
    stored = access_file(request.user, pk)
    return file_response(stored, inline=request.GET.get("inline") == "1")


@login_required
@require_safe
def file_thumbnail(request, pk):
    """A raster image's thumbnail (WebP), shown inline; 404 until the worker has made it."""
    stored = access_file(request.user, pk)
    return file_response(stored, thumbnail=True)
