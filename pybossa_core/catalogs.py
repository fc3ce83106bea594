"""A distribution's message catalogs: extracting its ``.pot``, checking its translations.

Every distribution (the core, each plugin) keeps its catalogs in its package's ``locale/``
folder: ``<domain>.pot``, the texts its code and templates mark (``domain`` is the package's
name), and ``<lang>/LC_MESSAGES/<domain>.po``, one translation each. ``make pot`` runs
``python -m pybossa_core.catalogs pot <package folder>...``; the tests (and a plugin's, through
:func:`pybossa_core.testing.catalog_problems`) call :func:`problems`.
"""
from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

#: What is extracted from a package folder: its Python modules and its templates.
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS_MAP: dict = {}
#: Babel's gettext names, and Pyramid's ``localizer.pluralize(singular, plural, n, ...)``.
KEYWORDS = {**DEFAULT_KEYWORDS, "pluralize": (1, 2)}
COPYRIGHT_HOLDER = "pybossa-core contributors"
#: The placeholders a translation must keep: ``${name}`` (Pyramid), ``%(name)s`` (templates),
#: ``{name}`` (str.format).
PLACEHOLDER = re.compile(r"\$\{\w+\}|%\(\w+\)[sdif]|(?<!\{)\{\w*\}(?!\})")


def extract(package_dir: Path) -> Catalog:
    """The catalog of the texts marked in ``package_dir``, whose folder name is the domain."""
    domain = package_dir.name
    catalog = Catalog(project=domain, copyright_holder=COPYRIGHT_HOLDER, charset="utf-8", fuzzy=False)
    for filename, _lineno, message, comments, context in extract_from_dir(str(package_dir), METHOD_MAP, OPTIONS_MAP, KEYWORDS):
        catalog.add(message, None, [(filename.replace("\\", "/"), None)], auto_comments=comments, context=context)
    return catalog


def pot_path(package_dir: Path) -> Path:
    return package_dir / "locale" / f"{package_dir.name}.pot"


def _entries(catalog: Catalog) -> set:
    return {(message.id if isinstance(message.id, str) else tuple(message.id), message.context)
            for message in catalog if message.id}


def _files(message) -> set[str]:
    return {filename for filename, _lineno in message.locations}


def write_pot(package_dir: Path) -> bool:
    """Write ``package_dir``'s ``.pot`` when its texts (or where they are) changed; tell whether it did."""
    catalog = extract(package_dir)
    path = pot_path(package_dir)
    if path.is_file():
        with path.open("rb") as existing:
            old = read_po(existing)
        if _entries(old) == _entries(catalog) and all(
            _files(old.get(message.id, message.context)) == _files(message) for message in catalog if message.id
        ):
            return False
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, include_lineno=False, sort_by_file=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return True


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _translation_problems(message, language: str) -> list[str]:
    """What is wrong with one translated message: missing, fuzzy, or a placeholder dropped."""
    name = message.id if isinstance(message.id, str) else message.id[0]
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    if message.fuzzy or not all(strings):
        return [f"{language}: {name!r} is not translated"]
    problems = []
    if isinstance(message.id, str):
        wanted = [placeholders(message.id)]
    else:
        singular, plural = placeholders(message.id[0]), placeholders(message.id[1])
        wanted = [plural] if len(strings) == 1 else [singular, *[plural] * (len(strings) - 1)]
    for index, (string, needed) in enumerate(zip(strings, wanted)):
        dropped = needed - placeholders(string)
        if dropped:
            problems.append(f"{language}: {name!r} (form {index}) drops {', '.join(sorted(dropped))}")
    return problems


def problems(package_dir: Path) -> list[str]:
    """Everything that keeps ``package_dir``'s catalogs from being shipped: a ``.pot`` out of date
    with the marked texts, and each ``.po`` that lacks a text of the ``.pot`` or drops a placeholder."""
    path = pot_path(package_dir)
    found: list[str] = []
    extracted = extract(package_dir)
    if not path.is_file():
        return [f"{path} is missing: run `make pot`"] if len(extracted) else []
    with path.open("rb") as pot_file:
        pot = read_po(pot_file)
    if _entries(pot) != _entries(extracted):
        stale = sorted(str(entry[0]) for entry in _entries(extracted) ^ _entries(pot))[:5]
        found.append(f"{path} is not up to date with the marked texts (run `make pot`): {stale}")
    for po_path in sorted(package_dir.glob(f"locale/*/LC_MESSAGES/{package_dir.name}.po")):
        language = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        for message in pot:
            if not message.id:
                continue
            translated = catalog.get(message.id, message.context)
            if translated is None:
                name = message.id if isinstance(message.id, str) else message.id[0]
                found.append(f"{language}: {name!r} is missing from {po_path.name}")
            else:
                found += _translation_problems(translated, language)
    return found


def main(argv: Iterable[str]) -> int:
    command, *folders = list(argv)
    if command != "pot" or not folders:
        print("usage: python -m pybossa_core.catalogs pot PACKAGE_FOLDER...", file=sys.stderr)
        return 2
    for folder in folders:
        if write_pot(Path(folder)):
            print(f"wrote {pot_path(Path(folder))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
