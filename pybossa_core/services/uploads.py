"""Files sent with API objects (helping materials, blog posts, task runs): checked, stored and served inert.

Anyone may register and upload, and an upload is served to whoever opens its link (an admin
too), so an upload must never run in the site's origin:

- its name is reduced to letters, digits, ``.``, ``_`` and ``-`` (no path, no control
  character) and at most :data:`MAX_NAME` characters;
- its extension must be allowed (``uploads.allowed_extensions``; SVG is not by default) and
  its bytes must be a file of that kind (:func:`check_content`: Pillow for pictures, the
  format's signature for the others), whatever the client declared;
- it is served (:func:`serve`) with the type of its extension, never a guessed one, and
  ``X-Content-Type-Options: nosniff``, ``Content-Security-Policy: default-src 'none'; sandbox``
  (a document opened from it gets an origin of its own, without the site's cookies, and runs
  nothing) and, for anything but pictures, sound, video and PDF (which presenters show in the
  page, and which Chromium's viewer shows sandboxed), ``Content-Disposition: attachment``.

``uploads.base_url`` makes the stored links point at another origin (a host name of its own
for the files, as large sites do), which keeps even a browser that ignored those headers away
from the site's cookies.
"""
from __future__ import annotations

import io
import json
import os
import re
import unicodedata
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError
from pyramid.response import FileResponse

from pybossa_core.errors import BadRequest, NotFound
from pybossa_core.i18n import _
from pybossa_core.interfaces import IUploader, IUploads

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: The longest stored file name, random prefix included (file systems allow 255 bytes).
MAX_NAME = 120
#: Pictures larger than this (in pixels) are refused before they are decoded.
MAX_PIXELS = 40_000_000
#: What every upload is served with, so that no browser runs it in the site's origin.
INERT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}

#: Pillow's format names for the picture extensions.
PICTURES = {"png": {"PNG"}, "jpg": {"JPEG", "MPO"}, "jpeg": {"JPEG", "MPO"}, "gif": {"GIF"}, "webp": {"WEBP"}}
#: Kinds presenters show in the page, served inline (and sandboxed); all others as attachments.
INLINE = frozenset(PICTURES) | {"pdf", "mp3", "mp4", "m4a", "m4v", "ogg", "oga", "ogv", "wav", "webm"}
#: The type each known extension is served with (the rest: application/octet-stream).
CONTENT_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
    "svg": "image/svg+xml", "pdf": "application/pdf", "mp3": "audio/mpeg", "mp4": "video/mp4",
    "m4a": "audio/mp4", "m4v": "video/mp4", "ogg": "audio/ogg", "oga": "audio/ogg", "ogv": "video/ogg",
    "wav": "audio/wav", "webm": "video/webm", "csv": "text/csv; charset=utf-8",
    "json": "application/json", "txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class StoredFile:
    container: str
    file_name: str
    url: str
    path: str


def _picture(extension: str) -> Callable[[bytes], bool]:
    def check(content: bytes) -> bool:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content)) as image:
                    if image.format not in PICTURES[extension] or image.width * image.height > MAX_PIXELS:
                        return False
                    image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                Image.DecompressionBombError, Image.DecompressionBombWarning):
            return False
        return True

    return check


def _text(content: bytes) -> str | None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _json(content: bytes) -> bool:
    text = _text(content)
    if text is None:
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _svg(content: bytes) -> bool:
    text = _text(content)
    return text is not None and re.search(r"<svg[\s>]", text[:4096], re.IGNORECASE) is not None


def _mp3(content: bytes) -> bool:
    return content.startswith(b"ID3") or (len(content) > 1 and content[0] == 0xFF and content[1] & 0xE0 == 0xE0)


def _signature(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda content: content.startswith(prefixes)


#: How the bytes of each known extension are recognised.
CHECKS: dict[str, Callable[[bytes], bool]] = {
    **{extension: _picture(extension) for extension in PICTURES},
    "pdf": _signature(b"%PDF-"),
    "mp3": _mp3,
    **{extension: (lambda content: content[4:8] == b"ftyp") for extension in ("mp4", "m4a", "m4v")},
    **{extension: _signature(b"OggS") for extension in ("ogg", "oga", "ogv")},
    "wav": lambda content: content[:4] == b"RIFF" and content[8:12] == b"WAVE",
    "webm": _signature(b"\x1a\x45\xdf\xa3"),
    "csv": lambda content: _text(content) is not None,
    "txt": lambda content: _text(content) is not None,
    "json": _json,
    "svg": _svg,
}


def check_content(extension: str, content: bytes) -> bool:
    """Tell whether ``content`` is a file of the kind ``extension`` names.

    An extension the site allows but this module does not know (a deployer's ``zip``) is
    not checked: it is served as ``application/octet-stream``, as an attachment.
    """
    check = CHECKS.get(extension)
    return check is None or check(content)


def safe_name(filename: str) -> str:
    """Return ``filename`` without its path, reduced to safe characters and bounded in length."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", filename or ""))[-1]
    base = SAFE_NAME.sub("_", base).strip("._")
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    # Room for the random prefix ("0123abcd_") and the extension.
    room = MAX_NAME - 9 - len(extension) - 1
    return f"{stem[:room].rstrip('._')}.{extension}" if dot else stem[: MAX_NAME - 9]


class LocalUploader:
    """Stores uploads in a local folder whose files are linked to under ``base_url``."""

    def __init__(self, directory: str, *, base_url: str, allowed_extensions: list[str], max_size: int):
        self.directory = os.path.abspath(directory)
        self.base_url = base_url.rstrip("/") + "/"
        self.allowed_extensions = {extension.lower().lstrip(".") for extension in allowed_extensions}
        self.max_size = max_size

    def store(self, container: str, filename: str, stream: BinaryIO) -> StoredFile:
        """Check ``filename``'s type, the stream's size and that its bytes are of that type, then write it."""
        base = safe_name(filename)
        extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
        if extension not in self.allowed_extensions:
            raise BadRequest(_("file type ${extension} is not allowed", mapping={"extension": repr(extension) if extension else "(none)"}))
        content = stream.read(self.max_size + 1)
        if len(content) > self.max_size:
            raise BadRequest(_("file is larger than ${size} bytes", mapping={"size": self.max_size}))
        if not check_content(extension, content):
            raise BadRequest(_("the file's content is not a ${extension} file", mapping={"extension": extension}))
        # A short random prefix keeps two uploads of "image.png" from replacing each other.
        file_name = f"{uuid.uuid4().hex[:8]}_{base}"
        folder = os.path.join(self.directory, container)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, file_name)
        with open(path, "wb") as output:
            output.write(content)
        return StoredFile(container, file_name, f"{self.base_url}{container}/{file_name}", path)

    def path_of(self, container: str, file_name: str) -> str:
        return os.path.join(self.directory, os.path.basename(container), os.path.basename(file_name))


def remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class Uploads:
    """The site's uploader within one transaction: a file stored is removed if the transaction
    aborts, a file replaced once it commits, so a failed request loses nothing and leaves nothing."""

    def __init__(self, uploader: LocalUploader, transaction_manager):
        self.uploader, self.transaction_manager = uploader, transaction_manager

    @property
    def max_size(self) -> int:
        return self.uploader.max_size

    def store(self, container: str, filename: str, stream: BinaryIO) -> StoredFile:
        """Store a file (:meth:`LocalUploader.store`), removed again if the transaction aborts."""
        stored = self.uploader.store(container, filename, stream)
        self.transaction_manager.get().addAfterAbortHook(remove_quietly, (stored.path,))
        return stored

    def remove_after_commit(self, container: str, file_name: str) -> None:
        """Remove a stored file once the transaction commits (the file it replaced)."""
        path = self.uploader.path_of(container, file_name)
        self.transaction_manager.get().addAfterCommitHook(lambda committed: committed and remove_quietly(path))


def serve(request):
    """Answer ``/uploads/<container>/<file name>`` with the file, inert (see the module's docstring)."""
    uploader: LocalUploader = request.find_service(IUploader)
    container, file_name = request.matchdict["container"], request.matchdict["file_name"]
    if container.startswith(".") or file_name.startswith(".") or "\x00" in container + file_name:
        raise NotFound()
    path = uploader.path_of(container, file_name)
    if not os.path.isfile(path):
        raise NotFound()
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    response = FileResponse(path, request=request, content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
                            cache_max_age=3600)
    response.headers.update(INERT_HEADERS)
    if extension not in INLINE:
        response.content_disposition = f'attachment; filename="{file_name}"'
    return response


def includeme(config) -> None:
    """Build the site's uploader and serve what it stores under ``/uploads/``."""
    settings = config.get_settings()
    uploader = LocalUploader(
        settings["uploads.dir"],
        base_url=settings["uploads.base_url"],
        allowed_extensions=settings["uploads.allowed_extensions"],
        max_size=settings["uploads.max_size"],
    )
    os.makedirs(uploader.directory, exist_ok=True)
    config.register_service(uploader, IUploader)
    config.register_service_factory(lambda context, request: Uploads(request.find_service(IUploader), request.tm), IUploads)
    config.add_route("uploads.file", "/uploads/{container}/{file_name}")
    config.add_view(serve, route_name="uploads.file", request_method=("GET", "HEAD"))
