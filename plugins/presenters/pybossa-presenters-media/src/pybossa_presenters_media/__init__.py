"""Task presenters for media: an image, a sound, a video, a place on a map, a PDF document.

Each presenter is its own plugin object (and entry point), so a site can disable any one of
them; they share this package because they are built the same way: a template and a
tutorial, package data files a designer edits as HTML.  Every template plays its media
from the site or the task's own URLs and loads nothing from elsewhere, so a site works offline.
"""

from __future__ import annotations

from importlib.resources import files

from pybossa_core.plugin_api import PresenterSpec, hookimpl


def read_template(name: str) -> str:
    """Return the text of ``templates/<name>`` shipped in this package."""
    return (files(__name__) / "templates" / name).read_text(encoding="utf-8")


class MediaPresenter:
    """A plugin registering one presenter: ``templates/<name>.html`` and ``<name>_tutorial.html``."""

    def __init__(self, name: str, title: str, description: str):
        self.name, self.title, self.description = name, title, description

    @hookimpl
    def register_presenters(self) -> list[PresenterSpec]:
        """Register this presenter."""
        return [
            PresenterSpec(
                name=self.name,
                title=self.title,
                description=self.description,
                template=read_template(f"{self.name}.html"),
                tutorial=read_template(f"{self.name}_tutorial.html"),
            )
        ]


image = MediaPresenter(
    "image", "Image", "Show the task's photo (info.url_b, info.url_m or info.url, linked to info.link) "
    "with a question answered Yes, No or I don't know."
)
sound = MediaPresenter(
    "sound", "Sound", "Play the task's recording (info.audio_url) with a question answered Yes, No or I don't know."
)
video = MediaPresenter(
    "video", "Video", "Play the task's video (info.video_url, or the embed HTML in info.oembed) with a question "
    "answered Yes, No or I don't know."
)
map_location = MediaPresenter(
    "map", "Map location", "Ask where something is (info.question, info.place): the volunteer picks the spot on a "
    "world grid or types its latitude and longitude."
)
pdf = MediaPresenter(
    "pdf", "PDF document", "Show the task's PDF document (info.pdf_url, at info.page) and ask for a transcription."
)
