"""What an upload may be: its size, its type read from its content, and its name for display.

The type comes from the bytes (magic numbers through the `filetype` library, then a look at the
structure: Pillow opens images, zip-based Office documents must have their parts, text must be
text), never from the name or the browser's Content-Type. Accepted (docs/FILES.md):

- raster images: PNG, JPEG, GIF, WebP — the only types ever shown inline, and thumbnailed;
- PDF (Illustrator's `.ai` is a PDF too), Word, Excel and PowerPoint (OOXML, without macros);
- zip archives (Sketch files are zips) holding no programs or scripts;
- plain text, Markdown and CSV (UTF-8 or GB18030) that is not markup;
- fonts for brand kits: TTF, OTF, WOFF, WOFF2; Photoshop documents;
- SVG as a download only, never inline nor thumbnailed, and refused when it holds a script,
  event handlers, foreign objects or entity declarations.

Refused: HTML (whatever its name), executables, scripts, anything else unknown. A refusal is
an `UploadRefused` naming why, in the person's language.
"""

import re
import struct
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kaigan.errors import ApplicationError

#: Bytes read to tell a file's type by its magic numbers.
HEAD_BYTES = 8192
#: The longest display name kept (the model's column holds 150).
NAME_MAX = 120


@dataclass(frozen=True)
class FileType:
    content_type: str
    #: Extensions a display name may keep; the first is added to a name that has none of them.
    extensions: tuple[str, ...]


_TYPES = [
    FileType("image/png", (".png",)),
    FileType("image/jpeg", (".jpg", ".jpeg")),
    FileType("image/gif", (".gif",)),
    FileType("image/webp", (".webp",)),
    FileType("application/pdf", (".pdf", ".ai")),
    FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)
    ),
    FileType("application/zip", (".zip", ".sketch")),
    FileType("text/plain", (".txt", ".text", ".log")),
    FileType("text/markdown", (".md", ".markdown")),
    FileType("text/csv", (".csv",)),
    FileType("font/ttf", (".ttf",)),
    FileType("font/otf", (".otf",)),
    FileType("font/woff", (".woff",)),
    FileType("font/woff2", (".woff2",)),
    FileType("image/vnd.adobe.photoshop", (".psd",)),
    FileType("image/svg+xml", (".svg",)),
]
TYPES: dict[str, FileType] = {t.content_type: t for t in _TYPES}

_IMAGE_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
_FONTS = {
    b"\x00\x01\x00\x00": "font/ttf",
    b"true": "font/ttf",
    b"OTTO": "font/otf",
    b"wOFF": "font/woff",
    b"wOF2": "font/woff2",
}
_OOXML = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
_ZIP_TYPES = {"application/zip", "application/epub+zip", *_OOXML.values()}
#: Programs and system scripts: refused inside archives (web pages and source code in an
#: archive are a delivery's usual content, and run only once unpacked and opened on purpose).
ARCHIVE_REFUSED_EXTENSIONS = frozenset([
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".dll", ".sys", ".cpl",
    ".jar", ".apk", ".app", ".dmg", ".pkg", ".deb", ".rpm", ".sh", ".ps1", ".psm1", ".vbs",
    ".vbe", ".jse", ".wsf", ".wsh", ".hta", ".lnk", ".reg",
])  # fmt: skip
#: Programs and scripts of every kind: refused as a text file's own extension.
PROGRAM_EXTENSIONS = ARCHIVE_REFUSED_EXTENSIONS | frozenset([
    ".bash", ".zsh", ".csh", ".js", ".mjs", ".py", ".pyc", ".pl", ".rb", ".php", ".phtml",
    ".asp", ".aspx", ".jsp", ".cgi", ".html", ".htm", ".xhtml", ".shtml", ".svgz", ".xml",
    ".xsl",
])  # fmt: skip
_EXECUTABLE_TYPES = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-mach-binary",
    "application/x-elf",
    "application/vnd.microsoft.portable-executable",
    "application/x-sharedlib",
    "application/x-dex",
    "application/java-archive",
}
#: How browsers recognise HTML at the start of a file (WHATWG MIME sniffing), and XML.
_MARKUP_START = re.compile(
    r"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    r"|!--|\?xml)[\s/>]"
)
_MARKUP_ANYWHERE = re.compile(r"<\s*(?:script|iframe|object|embed)\b")
_SVG_DANGER = re.compile(
    r"<\s*script|<\s*foreignobject|<!entity|<\s*iframe|<\s*embed|<\s*object|javascript:"
    r"|\bon[a-z]+\s*=|<\s*handler\b"
)
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(10)] + [f"LPT{i}" for i in range(10)]
)


class UploadRefused(ApplicationError):
    """This upload is not accepted: its type, its content or its size (a 400 on `file`)."""

    def __init__(self, message, *, field: str = "file", code: str | None = None):
        super().__init__(message, fields={field: [message]}, code=code)


class UploadTooLarge(UploadRefused):
    """Over the size of one file or the account's quota (413)."""

    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class Inspected:
    content_type: str
    width: int | None = None
    height: int | None = None


def too_large_message() -> str:
    return _("A file may be at most %(size)s.") % {
        "size": filesizeformat(settings.KAIGAN_FILE_MAX_BYTES)
    }


def check_size(size: int) -> None:
    if size <= 0:
        raise UploadRefused(_("The file is empty."))
    if size > settings.KAIGAN_FILE_MAX_BYTES:
        raise UploadTooLarge(too_large_message())


def inspect(uploaded, *, name: str) -> Inspected:
    """The type of an upload, read from its content; `UploadRefused` when it is not accepted.

    `uploaded` is a Django `UploadedFile` (or any file object with `size`, `seek`, `read`)."""
    check_size(uploaded.size)
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    font = _FONTS.get(head[:4])
    if font:
        return Inspected(font)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in _IMAGE_FORMATS.values():
        return _image(uploaded)
    if mime == "application/pdf":
        return Inspected(mime)
    if mime in _ZIP_TYPES:
        return Inspected(_zip(uploaded))
    if mime == "image/vnd.adobe.photoshop":
        return Inspected(mime)
    if mime in _EXECUTABLE_TYPES or head[:2] == b"MZ" or head[:4] == b"\x7fELF":
        raise UploadRefused(_("Programs are not accepted."))
    if mime is None:
        return Inspected(_text(uploaded, name))
    raise _unknown()


def _unknown() -> UploadRefused:
    return UploadRefused(
        _(
            "This type of file is not accepted. Upload images (PNG, JPEG, GIF, WebP), PDF, "
            "Word, Excel, PowerPoint, zip archives, text, fonts or Photoshop files."
        )
    )


def _image(uploaded) -> Inspected:
    uploaded.seek(0)
    limit = settings.KAIGAN_FILE_MAX_PIXELS
    too_big = _("The image is too large: at most %(pixels)s million pixels.") % {
        "pixels": f"{limit / 1_000_000:g}"
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded) as image:
                content_type = _IMAGE_FORMATS.get(image.format)
                width, height = image.size
                if width * height > limit:
                    raise UploadTooLarge(too_big)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadTooLarge(too_big) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise UploadRefused(_("The image is damaged or not an image.")) from None
    finally:
        uploaded.seek(0)
    if content_type is None:
        raise _unknown()
    return Inspected(content_type, width, height)


def _zip(uploaded) -> str:
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = [info.filename.lower() for info in archive.infolist()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise UploadRefused(_("The archive is damaged.")) from None
    finally:
        uploaded.seek(0)
    if any(_extension(n.rstrip("/")) in ARCHIVE_REFUSED_EXTENSIONS for n in names):
        raise UploadRefused(_("The archive holds programs or scripts, which are not accepted."))
    if "[content_types].xml" in names:
        if any(n.endswith("vbaproject.bin") for n in names):
            raise UploadRefused(_("Office documents with macros are not accepted."))
        for part, content_type in _OOXML.items():
            if part in names:
                return content_type
        raise _unknown()
    return "application/zip"


def _text(uploaded, name: str) -> str:
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    if b"\x00" in data:
        raise _unknown()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unknown()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v" for ch in text):
        raise _unknown()
    lowered = text.lower()
    start = lowered.lstrip()[:4096]
    if start.startswith("#!"):
        raise UploadRefused(_("Scripts are not accepted."))
    if "<svg" in start and (start.startswith("<?xml") or start.startswith("<svg")):
        if _SVG_DANGER.search(lowered):
            raise UploadRefused(
                _("SVG images with scripts, event handlers or embedded content are not accepted.")
            )
        return "image/svg+xml"
    if _MARKUP_START.match(start) or _MARKUP_ANYWHERE.search(lowered):
        raise UploadRefused(_("HTML and other web pages are not accepted."))
    extension = _extension(name)
    if extension in PROGRAM_EXTENSIONS:
        raise UploadRefused(_("Scripts are not accepted."))
    if extension in TYPES["text/markdown"].extensions:
        return "text/markdown"
    if extension in TYPES["text/csv"].extensions:
        return "text/csv"
    return "text/plain"


def _extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    stem, dot, extension = base.rpartition(".")
    return f".{extension}" if dot and stem else ""


def display_name(raw: str | None, content_type: str) -> str:
    """The name shown for a file and offered when it is downloaded: the last part of what the
    browser sent, without control or direction characters, path separators or characters that
    file systems refuse, at most NAME_MAX long, with an extension that agrees with the content
    (`report.exe` holding a PDF becomes `report.exe.pdf`). Never used in a storage key."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control, format (the right-to-left override among them), private-use and unassigned
    # characters go; separators of every kind become one space.
    name = "".join(
        " " if unicodedata.category(ch)[0] == "Z" or ch in "\t\n\r" else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C" or ch in "\t\n\r"
    )
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = " ".join(name.split()).strip(" .")
    extensions = TYPES[content_type].extensions
    stem, extension = name, _extension(name)
    if extension:
        stem = name[: -len(extension)]
    if extension.lower() not in extensions:
        stem, extension = name, extensions[0]
    stem = stem.strip(" .") or "file"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    return stem[: NAME_MAX - len(extension)].rstrip(" .") + extension
