"""Avatars: an uploaded picture checked, cropped and turned into a PNG."""
from __future__ import annotations

import io
import warnings
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

#: Pictures larger than this (in pixels) are refused before they are decoded.
MAX_PIXELS = 40_000_000


class AvatarError(ValueError):
    """The upload cannot become an avatar; the message says why, for the form."""


def make_avatar(stream: BinaryIO, *, max_size: int, box: tuple[int, int, int, int]) -> bytes:
    """Return the PNG of the uploaded picture, cropped to ``box``.

    ``box`` is PYBOSSA's ``(x1, y1, x2, y2)``: the offset of the crop from the
    left and the top, and its width and height; all zeros keeps the whole
    picture.  Raises :class:`AvatarError` for a file over ``max_size`` bytes, a
    file that is not an image, or a crop outside the picture.
    """
    content = stream.read(max_size + 1)
    if len(content) > max_size:
        raise AvatarError(f"The file is too large: the limit is {max_size} bytes.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.width * image.height > MAX_PIXELS:
                raise AvatarError("The picture is too large.")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AvatarError("You have to provide an image file to update your avatar") from None
    left, top, width, height = box
    if width or height:
        if width <= 0 or height <= 0 or left + width > image.width or top + height > image.height:
            raise AvatarError("The crop area must lie inside the picture.")
        image = image.crop((left, top, left + width, top + height))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()
