"""The Epicollect5 importer against a stand-in for its export API (answers as Epicollect5 documents them)."""

from __future__ import annotations

import colander
import pytest
from pybossa_importer_epicollect import EpicollectImportForm, project_slug, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import load_plugins

ENTRIES = "/api/export/entries/ec5-bird-survey"
FORM_REF = "70dcdb0b606843989674d3851c544f23_5a1d3f0e8d2a1"


def entry(number: int) -> dict:
    return {"ec5_uuid": f"0b4e1c7a-2a4f-4b2e-9c1d-00000000000{number}", "created_at": "2024-05-01T10:00:00.000Z",
            "uploaded_at": "2024-05-01T10:05:00.000Z", "title": f"Robin {number}", "1_Species": "Robin",
            "2_Count": str(number), "3_Location": {"latitude": 51.5, "longitude": -0.12, "accuracy": 10}}


def page(url: str, number: int, last: int, entries: list[dict]) -> dict:
    """One page of ``/api/export/entries/<slug>``: ``meta``, ``data.entries`` and ``links``."""
    link = f"{url}{ENTRIES}?form_ref={FORM_REF}&per_page=1000&page="
    return {
        "meta": {"total": 3, "per_page": 2, "current_page": number, "last_page": last, "from": 2 * number - 1,
                 "to": 2 * number - 2 + len(entries), "newest": "2024-05-01T10:05:00.000Z",
                 "oldest": "2024-05-01T10:05:00.000Z"},
        "data": {"id": "70dcdb0b606843989674d3851c544f23", "type": "entries", "entries": entries,
                 "mapping": {"map_name": "EC5_AUTO", "map_index": 0}},
        "links": {"self": link + str(number), "first": link + "1", "prev": link + str(number - 1) if number > 1 else None,
                  "next": link + str(number + 1) if number < last else None, "last": link + str(last)},
    }


def serve_project(server) -> None:
    server.add(ENTRIES, page(server.url, 1, 2, [entry(1), entry(2)]), query={"form_ref": FORM_REF})
    server.add(ENTRIES, page(server.url, 2, 2, [entry(3)]), query={"form_ref": FORM_REF, "page": "2"})


def run(server, **form):
    return list(tasks({"epicollect_project": "EC5 Bird Survey", **form}, api_url=server.url + "/api"))


def test_entry_point_registers_the_epicollect_importer():
    assert "epicollect" in [importer.name for importer in load_plugins({}).register_importers()]


def test_every_entry_of_every_page_becomes_a_task(pybossa_web_service):
    serve_project(pybossa_web_service)

    found = run(pybossa_web_service, epicollect_form=FORM_REF)

    assert found == [{"info": entry(1)}, {"info": entry(2)}, {"info": entry(3)}]
    assert [query for _, query, _ in pybossa_web_service.requests][0] == {"per_page": "1000", "form_ref": FORM_REF}


def test_without_a_form_the_projects_first_form_is_read(pybossa_web_service):
    pybossa_web_service.add(ENTRIES, page(pybossa_web_service.url, 1, 1, [entry(1)]))

    assert run(pybossa_web_service) == [{"info": entry(1)}]
    assert "form_ref" not in pybossa_web_service.requests[0][1]


def test_project_names_become_slugs():
    assert project_slug(" EC5 Bird  Survey ") == "ec5-bird-survey"


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (404, {"errors": [{"code": "ec5_11", "title": "Project does not exist.", "source": "middleware"}]},
         "Epicollect5 answered with HTTP error 404: Project does not exist."),
        (404, {"errors": [{"code": "ec5_77", "title": "This project is private. Please log in.",
                           "source": "middleware"}]},
         "Epicollect5 answered with HTTP error 404: This project is private. Please log in."),
        (200, {"data": {"entries": "none"}}, "Epicollect5 answered with something that is not a list of entries."),
        (200, {"meta": {}}, "Epicollect5 answered with something that is not a list of entries."),
        (200, "[]", "Epicollect5 answered with something that is not a list of entries."),
        (200, {"data": {"entries": []}, "links": {"next": None}},
         "The Epicollect5 project EC5 Bird Survey has no entries to import."),
    ],
)
def test_what_epicollect_refuses_or_garbles_fails_with_a_message(pybossa_web_service, status, answer, message):
    pybossa_web_service.add(ENTRIES, answer, status=status)

    with pytest.raises(ImportFailed) as failure:
        run(pybossa_web_service)

    assert failure.value.message == message


def test_a_page_linking_to_itself_stops_the_import(pybossa_web_service):
    url = pybossa_web_service.add(ENTRIES, {"data": {"entries": [entry(1)]}, "links": {"next": None}})
    pybossa_web_service.add(ENTRIES, {"data": {"entries": [entry(1)]}, "links": {"next": url + "?per_page=1000"}})

    with pytest.raises(ImportFailed, match="^Epicollect5 sent the same page of entries twice.$"):
        run(pybossa_web_service)


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"epicollect_project": "ab"},
         {"epicollect_project": "Enter the project's name as Epicollect5 shows it: 3 to 50 letters, digits, "
                                "spaces, - and _."}),
        ({"epicollect_project": "../admin"},
         {"epicollect_project": "Enter the project's name as Epicollect5 shows it: 3 to 50 letters, digits, "
                                "spaces, - and _."}),
        ({"epicollect_project": "Birds", "epicollect_form": "a&b=c"},
         {"epicollect_form": "Enter the form's ref (from the project's API page), or leave it empty."}),
    ],
)
def test_form_refuses_bad_input(form, errors):
    with pytest.raises(colander.Invalid) as failure:
        EpicollectImportForm().deserialize(form)

    assert failure.value.asdict() == errors


@pytest.fixture
def pybossa_settings(pybossa_web_service):
    """The test site's settings: the importer calls the stand-in, which the site may reach."""
    return {
        "outbound.allowed_internal_hosts": pybossa_web_service.host,
        "plugin.importer-epicollect.api_url": pybossa_web_service.url + "/api",
    }


def test_importing_a_project_through_the_view_creates_its_tasks(pybossa_web_service, owner):
    serve_project(pybossa_web_service)

    body = owner.import_tasks({"type": "epicollect", "epicollect_project": "EC5 Bird Survey",
                               "epicollect_form": FORM_REF})

    assert body["flash"] == "3 new tasks were imported successfully"
    assert owner.task_infos() == [entry(1), entry(2), entry(3)]
