"""Files sent with API objects (helping materials, blog posts, task runs): checked and stored."""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from pybossa_core.errors import BadRequest

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class StoredFile:
    container: str
    file_name: str
    url: str
    path: str


class LocalUploader:
    """Stores uploads in a local folder served under ``base_url`` (``/uploads/`` by default)."""

    def __init__(self, directory: str, *, base_url: str, allowed_extensions: list[str], max_size: int):
        self.directory = os.path.abspath(directory)
        self.base_url = base_url.rstrip("/") + "/"
        self.allowed_extensions = {extension.lower().lstrip(".") for extension in allowed_extensions}
        self.max_size = max_size

    def store(self, container: str, filename: str, stream: BinaryIO) -> StoredFile:
        """Check ``filename``'s type and the stream's size, then write it under ``container``."""
        base = SAFE_NAME.sub("_", os.path.basename(filename or "")).strip("._")
        extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
        if extension not in self.allowed_extensions:
            raise BadRequest(f"file type {extension or '(none)'!r} is not allowed")
        content = stream.read(self.max_size + 1)
        if len(content) > self.max_size:
            raise BadRequest(f"file is larger than {self.max_size} bytes")
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


def includeme(config) -> None:
    """Build the site's uploader and serve what it stores under ``/uploads/``."""
    settings = config.get_settings()
    uploader = LocalUploader(
        settings["uploads.dir"],
        base_url="/uploads/",
        allowed_extensions=settings["uploads.allowed_extensions"],
        max_size=settings["uploads.max_size"],
    )
    os.makedirs(uploader.directory, exist_ok=True)
    config.registry["uploader"] = uploader
    config.add_static_view("uploads", uploader.directory)
