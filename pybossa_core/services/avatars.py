"""Avatars and project thumbnails: an uploaded picture checked, cropped, shrunk, turned into a PNG and stored."""
from __future__ import annotations

import io
import warnings
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from pybossa_core.errors import BadRequest
from pybossa_core.i18n import ShownError, _
from pybossa_core.services.uploads import StoredFile, Uploads

#: Pictures larger than this (in pixels) are refused before they are decoded.
MAX_PIXELS = 40_000_000


class AvatarError(ShownError, ValueError):
    """The upload cannot become an avatar; the message says why, for the form."""


def make_avatar(
    stream: BinaryIO, *, max_size: int, box: tuple[int, int, int, int], fit: tuple[int, int] | None = None
) -> bytes:
    """Return the PNG of the uploaded picture, cropped to ``box`` and shrunk to ``fit`` if given.

    ``box`` is PYBOSSA's ``(x1, y1, x2, y2)``: the offset of the crop from the
    left and the top, and its width and height; all zeros keeps the whole
    picture.  ``fit`` is the largest (width, height) kept; the aspect ratio is
    kept and smaller pictures are not enlarged.  Raises :class:`AvatarError` for
    a file over ``max_size`` bytes, a file that is not an image, or a crop
    outside the picture.
    """
    content = stream.read(max_size + 1)
    if len(content) > max_size:
        raise AvatarError(_("The file is too large: the limit is ${max_size} bytes.", mapping={"max_size": max_size}))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.width * image.height > MAX_PIXELS:
                raise AvatarError(_("The picture is too large."))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AvatarError(_("You have to provide an image file to update your avatar")) from None
    left, top, width, height = box
    if width or height:
        if width <= 0 or height <= 0 or left + width > image.width or top + height > image.height:
            raise AvatarError(_("The crop area must lie inside the picture."))
        image = image.crop((left, top, left + width, top + height))
    if fit is not None:
        image.thumbnail(fit)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def store_picture(
    uploads: Uploads,
    stream: BinaryIO,
    *,
    box: tuple[int, int, int, int],
    container: str,
    file_name: str,
    previous: tuple[str, str] | None = None,
    fit: tuple[int, int] | None = None,
) -> StoredFile:
    """Make the picture's PNG (see :func:`make_avatar`) and store it in ``container``, named after ``file_name``.

    The stored file goes away if the transaction of ``uploads`` aborts; the ``previous``
    picture, a ``(container, file name)``, once it commits, so a failed request loses
    neither.  Raises :class:`AvatarError` when the picture cannot be made or stored.
    """
    png = make_avatar(stream, max_size=uploads.max_size, box=box, fit=fit)
    try:
        stored = uploads.store(container, file_name, io.BytesIO(png))
    except BadRequest as refusal:
        raise AvatarError(refusal.shown) from None
    if previous is not None:
        uploads.remove_after_commit(*previous)
    return stored
