"""``/project/<short_name>/tasks/export``: the downloads a project offers, and the ZIPs themselves."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from pybossa_core.services import exports
from tests.views.conftest import sign_in
from tests.views.project_fixtures import JSON, as_user

EXPORT = "/project/birds/tasks/export"


def unzip(response) -> tuple[str, str]:
    """Return the name and text of the one file in a downloaded ZIP."""
    assert response.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        [name] = archive.namelist()
        return name, archive.read(name).decode("utf-8")


def download(testapp, kind: str, file_format: str, **kw):
    return testapp.get(EXPORT, {"type": kind, "format": file_format}, **kw)


def csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return reader.fieldnames, list(reader)


@pytest.fixture
def answered(make, member, project):
    """Two tasks with different ``info`` keys, three task runs (one answer is not an object) and a result."""
    first = make.task(project, info={"question": "Bird?", "image": {"url": "https://example.com/1.png"}})
    second = make.task(project, info={"question": "Plane?", "n": 2})
    runs = [
        make.task_run(first, member, info={"answer": "yes"}),
        make.task_run(first, info={"answer": "no", "confidence": 0.5}),
        make.task_run(second, info="maybe"),
    ]
    done = make.result(first, runs[:2], info={"answer": "yes", "votes": [1, 1]})
    return {"tasks": [first, second], "task_runs": runs, "results": [done]}


# -- what the page lists --------------------------------------------------------------------


def test_page_lists_the_project_and_every_download(testapp, answered):
    body = testapp.get(EXPORT, headers=JSON).json
    assert body["template"] == "/projects/export.html"
    assert body["title"] == "Project: Birds &middot; Export"
    assert body["loading_text"] == "Exporting data..., this may take a while" and body["ckan_name"] is None
    assert (body["n_tasks"], body["n_task_runs"], body["n_completed_tasks"]) == (2, 3, 0)
    assert body["project"]["short_name"] == "birds" and body["owner"]["name"] == "member"
    assert {"n_volunteers", "overall_progress", "last_activity", "pro_features"} <= set(body)
    assert [(item["type"], item["format"]) for item in body["exporters"]] == [
        ("task", "json"), ("task", "csv"), ("task_run", "json"), ("task_run", "csv"), ("result", "json"), ("result", "csv"),
    ]
    assert body["exporters"][3]["url"] == f"{EXPORT}?type=task_run&format=csv"
    # The listed URLs are the downloads.
    assert unzip(testapp.get(body["exporters"][3]["url"]))[0] == "birds_task_run.csv"


# -- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "api_name"), [("task", "task"), ("task_run", "taskrun"), ("result", "result")])
def test_json_export_holds_each_object_as_the_api_presents_it(testapp, answered, make, member, kind, api_name):
    other = make.project(member, "planes")
    make.task(other, info={"question": "elsewhere"})
    response = download(testapp, kind, "json")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{answered["tasks"][0].project_id}_birds_{kind}_json.zip"'
    )
    name, text = unzip(response)
    assert name == f"birds_{kind}.json"
    expected = [testapp.get(f"/api/{api_name}/{obj.id}").json for obj in answered[f"{kind}s"]]
    assert json.loads(text) == expected


def test_json_export_of_a_project_without_objects_is_an_empty_list(testapp, project):
    assert unzip(download(testapp, "task", "json")) == ("birds_task.json", "[]")


def test_export_walks_every_chunk_in_id_order(testapp, make, project, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 2)
    tasks = [make.task(project, info={"n": number}) for number in range(5)]
    exported = json.loads(unzip(download(testapp, "task", "json"))[1])
    assert [item["id"] for item in exported] == [task.id for task in tasks]
    assert [item["info"] for item in exported] == [{"n": number} for number in range(5)]


# -- CSV ------------------------------------------------------------------------------------


def test_csv_export_flattens_first_level_info_keys_over_all_tasks(testapp, answered):
    name, text = unzip(download(testapp, "task", "csv"))
    assert name == "birds_task.csv"
    header, rows = csv_rows(text)
    api = [testapp.get(f"/api/task/{task.id}").json for task in answered["tasks"]]
    fields = [key for key in api[0] if key != "info"]
    assert header == [*fields, "info", "info_image", "info_n", "info_question"]
    for row, presented in zip(rows, api, strict=True):
        assert row["id"] == str(presented["id"]) and row["state"] == presented["state"]
        assert row["created"] == presented["created"] and row["link"] == presented["link"]
        assert json.loads(row["links"]) == presented["links"]
        assert json.loads(row["fav_user_ids"]) == presented["fav_user_ids"]
        assert row["info"] == ""
    assert rows[0]["info_question"] == "Bird?" and rows[1]["info_question"] == "Plane?"
    # Nested values are JSON; keys a task lacks are empty.
    assert json.loads(rows[0]["info_image"]) == {"url": "https://example.com/1.png"}
    assert (rows[0]["info_n"], rows[1]["info_n"], rows[1]["info_image"]) == ("", "2", "")


def test_csv_export_of_task_runs_keeps_an_answer_that_is_not_an_object(testapp, answered, member):
    header, rows = csv_rows(unzip(download(testapp, "task_run", "csv"))[1])
    assert header[-3:] == ["info", "info_answer", "info_confidence"]
    assert [row["id"] for row in rows] == [str(run.id) for run in answered["task_runs"]]
    assert [(row["info"], row["info_answer"], row["info_confidence"]) for row in rows] == [
        ("", "yes", ""), ("", "no", "0.5"), ("maybe", "", ""),
    ]
    assert rows[0]["user_id"] == str(member.id) and rows[1]["user_id"] == ""
    assert rows[1]["user_ip"] == answered["task_runs"][1].user_ip


def test_csv_export_of_results(testapp, answered):
    header, rows = csv_rows(unzip(download(testapp, "result", "csv"))[1])
    [result] = answered["results"]
    assert header[-3:] == ["info", "info_answer", "info_votes"]
    assert len(rows) == 1 and rows[0]["id"] == str(result.id) and rows[0]["task_id"] == str(result.task_id)
    assert json.loads(rows[0]["task_run_ids"]) == result.task_run_ids
    assert (rows[0]["info_answer"], json.loads(rows[0]["info_votes"])) == ("yes", [1, 1])
    assert rows[0]["last_version"] == "true"


# -- who may download -----------------------------------------------------------------------


def test_anyone_downloads_a_published_project(testapp, make, answered):
    assert len(json.loads(unzip(download(testapp, "task", "json"))[1])) == 2
    as_user(testapp, make, "other")
    assert len(json.loads(unzip(download(testapp, "task", "json"))[1])) == 2


def test_zip_download_off_leaves_the_export_to_owners_and_admins(testapp, make, member, project, answered):
    project.zip_download = False
    refused = testapp.get(EXPORT, headers=JSON, status=401).json
    assert refused["status"] == "not_signed_in" and refused["next"].startswith("/account/signin")
    download(testapp, "task", "json", headers=JSON, status=401)
    as_user(testapp, make, "other")
    testapp.get(EXPORT, headers=JSON, status=403)
    download(testapp, "task", "csv", headers=JSON, status=403)
    sign_in(testapp, member)
    assert testapp.get(EXPORT, headers=JSON).json["n_tasks"] == 2
    assert len(json.loads(unzip(download(testapp, "task", "json"))[1])) == 2
    as_user(testapp, make, "boss", admin=True)
    assert len(csv_rows(unzip(download(testapp, "task_run", "csv"))[1])[1]) == 3


def test_a_draft_is_exported_only_for_its_owners_and_admins(testapp, make, member, project, answered):
    project.published = False
    testapp.get(EXPORT, headers=JSON, status=404)
    download(testapp, "task", "json", headers=JSON, status=404)
    as_user(testapp, make, "other")
    download(testapp, "task", "json", headers=JSON, status=404)
    coowner = as_user(testapp, make, "coowner")
    project.owners_ids = [member.id, coowner.id]
    assert len(json.loads(unzip(download(testapp, "task", "json"))[1])) == 2
    as_user(testapp, make, "boss", admin=True)
    assert testapp.get(EXPORT, headers=JSON).json["project"]["published"] is False


# -- bad requests ---------------------------------------------------------------------------


def test_unknown_format_is_415_and_unknown_type_404(testapp, project):
    assert testapp.get(EXPORT, {"type": "task", "format": "xml"}, headers=JSON, status=415).json["code"] == 415
    assert testapp.get(EXPORT, {"type": "user", "format": "json"}, headers=JSON, status=404).json["code"] == 404
    testapp.get(EXPORT, {"type": "user", "format": "ckan"}, headers=JSON, status=415)


def test_half_a_download_request_or_unknown_keys_are_404(testapp, project):
    testapp.get(EXPORT, {"type": "task"}, headers=JSON, status=404)
    testapp.get(EXPORT, {"format": "csv"}, headers=JSON, status=404)
    testapp.get(EXPORT, {"page": "2"}, headers=JSON, status=404)
    assert testapp.get(EXPORT, {"response_format": "json"}).json["template"] == "/projects/export.html"


def test_unknown_project_is_404(testapp):
    testapp.get("/project/nothing/tasks/export", headers=JSON, status=404)
    testapp.get("/project/nothing/tasks/export", {"type": "task", "format": "json"}, headers=JSON, status=404)


# -- the chunk-level fast path -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["task_run", "result"])
@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_fast_path_writes_what_the_api_presenter_writes(testapp, dbsession, make, member, project, kind, file_format):
    """Task runs and results are presented a chunk at a time (``exports.PlainPresenter``): the file
    must be byte for byte the one written through ``api.base.serialize`` for each row."""
    import datetime

    import sqlalchemy as sa

    from pybossa_core.views.export import presenter

    task = make.task(project, info={"question": "Oiseau ?"})
    runs = [
        make.task_run(task, member, info={"answer": "ünïcødé ✓, \"quoted\"\nnewline", "nested": {"a": [1, None, {"b": True}]}}),
        make.task_run(task, info=None),
        make.task_run(task, info=[1, "two", 3.5]),
        make.task_run(task, info={"big": 2**70, "empty": "", "null": None}),
        # Text that CSV quotes, in a column and in an info key (a header cell), and JSON's scalars.
        make.task_run(task, user_ip='10.0.0.1, "x"', external_uid="cr\rlf\n", media_url=" spaced ",
                      info={"a,key": True, "float": 1.5, "list": ["x,y"], "quote": '"'}),
    ]
    # A timestamp on a whole second: isoformat still shows its microseconds.
    runs[0].created = datetime.datetime(2026, 1, 2, 3, 4, 5)
    make.result(task, runs[:2], info={"answer": "ünïcødé", "votes": [1, 1]})
    dbsession.flush()
    if dbsession.bind.dialect.name == "sqlite":
        # Text SQLAlchemy did not write (no microseconds), as raw SQL may store it.
        dbsession.execute(sa.text("UPDATE task_run SET finish_time = '2026-01-02 03:04:06' WHERE id = :id"),
                          {"id": runs[1].id})
    fast = unzip(download(testapp, kind, file_format))[1]
    # The site's address too is text the links' cells may have to quote.
    for base_url in ["http://localhost:5000", 'http://a,b"c/d']:
        model, plain = presenter(dbsession, kind, None, base_url)
        assert isinstance(plain, exports.PlainPresenter)
        texts = []
        for way in (plain, plain.present):
            with exports.write_export(dbsession, project, model, kind, file_format, way) as built, \
                    zipfile.ZipFile(built) as archive:
                [name] = archive.namelist()
                texts.append(archive.read(name).decode("utf-8"))
        assert texts[0] == texts[1]
        if base_url == "http://localhost:5000":
            assert fast == texts[0]
    assert "ünïcødé" in fast and ("2026-01-02T03:04:05.000000" in fast) == (kind == "task_run")
    if dbsession.bind.dialect.name == "sqlite":
        assert ("2026-01-02T03:04:06.000000" in fast) == (kind == "task_run")


def test_csv_cells_are_quoted_as_csv_writer_quotes_them():
    """The CSV is joined by hand (``exports._cells``, ``_csv_text``): the same text csv.writer writes."""
    values = ["plain", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "nul\x00", " space ", "", "é ✓", None, 0, -1.5,
              2**70, True, [1, "a,b"], {"k": '"v"'}]
    for column in (values, [value for value in values if type(value) is str], [0, 1.5, None], [None, None]):
        written = io.StringIO()
        csv.writer(written).writerows([[exports._cell(value), "x"] for value in column])
        assert exports._csv_text([exports._cells(column), ["x"] * len(column)]) == written.getvalue()
