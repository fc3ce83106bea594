"""What the importer plugins' tests share: the owner of a project on a test site with the plugin
under test (``owner``, from the ``pybossa_core.testing`` fixtures: each plugin's
``tests/conftest.py`` names its module in ``pybossa_plugins``, and a test module points the
service's URL in ``pybossa_settings`` at ``pybossa_web_service``, the kit's loopback stand-in).
"""

from __future__ import annotations

from typing import Any

import pytest

from pybossa_core.testing import SiteUser, create_project, create_user, import_tasks


class ImportingOwner:
    """The owner of the project ``birds``, importing through the site's import page."""

    def __init__(self, testapp, owner: SiteUser, project: dict[str, Any]):
        self.testapp, self.owner, self.project = testapp, owner, project

    def import_tasks(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Send the import form (``type`` and the importer's fields); return the page's JSON."""
        fields = dict(fields)
        return import_tasks(self.testapp, self.owner, self.project, fields.pop("type"), **fields)

    def task_infos(self) -> list[dict[str, Any]]:
        """The project's tasks' ``info``, oldest first, as ``/api/task`` gives them."""
        query = {"project_id": self.project["id"], "limit": 100, "api_key": self.owner.api_key}
        return [task["info"] for task in self.testapp.get("/api/task", query).json]


@pytest.fixture
def owner(pybossa_testapp) -> ImportingOwner:
    """The owner of a new project ``birds`` on the test site."""
    owner = create_user(pybossa_testapp, "owner")
    return ImportingOwner(pybossa_testapp, owner, create_project(pybossa_testapp, owner, "birds"))
