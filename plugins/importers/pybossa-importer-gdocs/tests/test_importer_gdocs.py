"""The Google Sheets importer: its form, the export link, and an import through the view."""

from __future__ import annotations

import colander
import pytest
from pybossa_importer_gdocs import GoogleSheetImportForm, export_url, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import load_plugins

SHEET = "https://docs.google.com/spreadsheets/d/1AbC-d_9/edit"
EXPORT_PATH = "/spreadsheets/d/1AbC-d_9/export"


def test_entry_point_registers_the_gdocs_importer():
    hooks = load_plugins({})

    assert "importer-gdocs" in [plugin.name for plugin in hooks.list_plugins()]
    assert "gdocs" in [importer.name for importer in hooks.register_importers()]


def test_form_accepts_a_sheet_link():
    assert GoogleSheetImportForm().deserialize({"googledocs_url": SHEET + "?usp=sharing"}) == {
        "googledocs_url": SHEET + "?usp=sharing"
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/spreadsheets/d/1AbC/edit",
        "https://docs.google.com/document/d/1AbC/edit",
        "ftp://docs.google.com/spreadsheets/d/1AbC/edit",
        "docs.google.com/spreadsheets/d/1AbC",
    ],
)
def test_form_refuses_a_link_that_is_not_a_sheet(url):
    with pytest.raises(colander.Invalid) as error:
        GoogleSheetImportForm().deserialize({"googledocs_url": url})

    assert error.value.asdict() == {
        "googledocs_url": "Enter the link of a Google Sheets spreadsheet, "
        "like https://docs.google.com/spreadsheets/d/<id>/edit."
    }


@pytest.mark.parametrize(
    ("link", "export"),
    [
        (SHEET, "https://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=csv"),
        (SHEET + "#gid=42", "https://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=csv&gid=42"),
        (SHEET + "?usp=sharing&gid=7", "https://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=csv&gid=7"),
    ],
)
def test_export_link_keeps_the_sheet_and_its_tab(link, export):
    assert export_url(link) == export


def test_tasks_reads_the_export_with_the_csv_rules(pybossa_web_service):
    pybossa_web_service.add(EXPORT_PATH, "question,n_answers\nIs it a cat?,3\n", query={"format": "csv"},
                       content_type="text/csv; charset=utf-8")

    assert list(tasks({"googledocs_url": SHEET}, base_url=pybossa_web_service.url)) == [
        {"info": {"question": "Is it a cat?"}, "n_answers": 3}
    ]


def test_a_sheet_not_shared_publicly_fails_with_a_message_for_the_owner(pybossa_web_service):
    pybossa_web_service.add(EXPORT_PATH, "<html>Sign in</html>", status=401, content_type="text/html")

    with pytest.raises(ImportFailed, match="check that the link is shared publicly"):
        list(tasks({"googledocs_url": SHEET}, base_url=pybossa_web_service.url))


def test_base_url_comes_from_the_plugin_settings(pybossa_web_service, pybossa_hooks, pybossa_settings):
    [importer] = pybossa_hooks.register_importers(pybossa_settings)
    pybossa_web_service.add(EXPORT_PATH, "question\nWhy?\n", content_type="text/csv")

    assert list(importer.tasks({"googledocs_url": SHEET})) == [{"info": {"question": "Why?"}}]


@pytest.fixture
def pybossa_settings(pybossa_web_service):
    """The test site's settings: the importer calls the stand-in, which the site may reach."""
    return {
        "outbound.allowed_internal_hosts": pybossa_web_service.host,
        "plugin.importer-gdocs.base_url": pybossa_web_service.url,
    }


def test_importing_a_sheet_through_the_view_creates_its_tasks(pybossa_web_service, owner):
    pybossa_web_service.add(EXPORT_PATH, "question,url\nCat?,https://example.org/1.jpg\nDog?,https://example.org/2.jpg\n",
                       query={"format": "csv", "gid": "5"}, content_type="text/csv")

    body = owner.import_tasks({"type": "gdocs", "googledocs_url": SHEET + "#gid=5"})

    assert body == {"flash": "2 new tasks were imported successfully", "next": "/project/birds/tasks/",
                    "status": "success"}
    assert owner.task_infos() == [{"question": "Cat?", "url": "https://example.org/1.jpg"},
                                  {"question": "Dog?", "url": "https://example.org/2.jpg"}]
