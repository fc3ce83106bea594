"""The "Basic" task presenter: a question answered Yes, No or I don't know.

The template and tutorial are package data files, so a designer edits HTML, not Python.
"""

from __future__ import annotations

from importlib.resources import files

from pybossa_core.plugin_api import PresenterSpec, hookimpl


def read_template(name: str) -> str:
    """Return the text of ``templates/<name>`` shipped in this package."""
    return (files(__name__) / "templates" / name).read_text(encoding="utf-8")


@hookimpl
def register_presenters() -> list[PresenterSpec]:
    """Register the ``basic`` presenter."""
    return [
        PresenterSpec(
            name="basic",
            title="Basic",
            description=(
                "Show the task's question (info.question) with Yes, No and I don't know answers."
            ),
            template=read_template("basic.html"),
            tutorial=read_template("basic_tutorial.html"),
        )
    ]
