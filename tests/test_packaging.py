"""Every distribution is ready for PyPI: the AGPL text, a licence, classifiers, authors and URLs
in its metadata, a changelog, a README that reads well away from the repository, and a bounded
dependency on the core's plugin API. (`.ci/check-dists` builds each and runs `twine check`.)"""
from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

import pytest

from pybossa_core.plugin_api import PLUGIN_API_VERSION

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = sorted(path.parent for path in ROOT.glob("plugins/*/*/pyproject.toml"))
LICENSE = (ROOT / "LICENSE").read_text(encoding="utf-8")


def core_bound() -> str:
    major, minor = PLUGIN_API_VERSION.split(".")
    return f"pybossa-core>={PLUGIN_API_VERSION},<{major}.{int(minor) + 1}"


def test_the_core_ships_the_agpl_and_declares_it():
    assert LICENSE.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE\n                       Version 3, 19 November 2007")
    metadata = configparser.ConfigParser()
    metadata.read(ROOT / "setup.cfg")
    core = metadata["metadata"]
    assert (core["license"], core["license_files"]) == ("AGPL-3.0-or-later", "LICENSE")
    assert "Framework :: Pyramid" in core["classifiers"] and core["author"] and "Homepage" in core["project_urls"]
    # The core's release number is the plugin API's.
    assert core["version"].startswith(PLUGIN_API_VERSION + ".")
    assert "CHANGELOG.md" in (ROOT / "MANIFEST.in").read_text() and (ROOT / "CHANGELOG.md").is_file()


@pytest.mark.parametrize("plugin", PLUGINS, ids=[path.name for path in PLUGINS])
def test_each_plugin_distribution_is_ready_to_publish(plugin):
    project = tomllib.loads((plugin / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert (plugin / "LICENSE").read_text(encoding="utf-8") == LICENSE
    assert (project["license"], project["license-files"]) == ("AGPL-3.0-or-later", ["LICENSE"])
    assert project["authors"] and "pybossa" in project["keywords"] and project["urls"]["Homepage"]
    assert {"Framework :: Pyramid", "Programming Language :: Python :: 3.11"} <= set(project["classifiers"])
    core = [requirement for requirement in project["dependencies"] if re.match(r"pybossa-core\b", requirement)]
    assert core == [core_bound()]
    changelog = (plugin / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {project['version']}" in changelog
    assert "CHANGELOG.md" in (plugin / "MANIFEST.in").read_text()
    # The README is the PyPI page: no link into the repository.
    assert not re.search(r"\]\((?!https?://|#)", (plugin / "README.md").read_text(encoding="utf-8"))
