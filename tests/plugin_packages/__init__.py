"""The two importers of docs/plugins.md's "Your importer's page", written into a folder as a
distribution would install them: ``pybossa_importer_words`` with its own form template and
script, ``pybossa_importer_colours`` without a page (the site draws its form from the schema)."""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
PACKAGES = ("pybossa_importer_words", "pybossa_importer_colours")
GUIDE_FILE = re.compile(r"^`pybossa-importer-(?:words|colours)/src/([^`]+)`:\n\n```[a-z]*\n(.*?)^```$", re.M | re.S)


def guide_files() -> dict[str, str]:
    """The section's files by their path under ``src/``, exactly as the guide shows them."""
    return dict(GUIDE_FILE.findall(GUIDE.read_text(encoding="utf-8")))


def write_plugins(folder: Path) -> tuple[ModuleType, ...]:
    """Write both plugins into ``folder``, put it on ``sys.path`` and return their modules
    (:func:`forget_plugins` undoes it)."""
    for name, text in guide_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    return tuple(importlib.import_module(package) for package in PACKAGES)


def forget_plugins(folder: Path) -> None:
    sys.path.remove(str(folder))
    for package in PACKAGES:
        sys.modules.pop(package, None)
