"""The CSV importer: its registration, form, parsing rules, download, and a site importing with it."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator

import colander
import pybossa_importer_csv
import pytest
from pybossa_importer_csv import CSVImportForm, fetch_csv, parse_csv, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import create_project, create_user, import_tasks, load_plugins, reaching


@pytest.fixture
def pybossa_plugins():
    """The plugin under test, for the pybossa_core.testing fixtures."""
    return [pybossa_importer_csv]


def test_entry_point_registers_the_csv_importer():
    hooks = load_plugins({})

    assert "importer-csv" in [plugin.name for plugin in hooks.list_plugins()]
    assert "csv" in [importer.name for importer in hooks.register_importers()]


def test_importer_is_described_for_the_import_page(pybossa_hooks):
    [importer] = pybossa_hooks.register_importers()
    assert (importer.name, importer.title) == ("csv", "CSV file")
    assert importer.tasks is tasks
    assert isinstance(importer.schema_factory(), colander.SchemaNode)


def test_owner_imports_csv_text_into_a_project(pybossa_testapp):
    owner = create_user(pybossa_testapp, "owner")
    project = create_project(pybossa_testapp, owner, "birds")

    answer = import_tasks(
        pybossa_testapp, owner, project, "csv", csv_text="question,n_answers\nCat?,2\nDog?,3\n"
    )

    assert (answer["status"], answer["flash"]) == ("success", "2 new tasks were imported successfully")
    tasks = pybossa_testapp.get("/api/task", {"project_id": project["id"]}).json
    assert [(task["info"], task["n_answers"]) for task in tasks] == [
        ({"question": "Cat?"}, 2),
        ({"question": "Dog?"}, 3),
    ]


def test_owner_sees_why_a_csv_file_is_refused(pybossa_testapp):
    owner = create_user(pybossa_testapp, "owner")
    project = create_project(pybossa_testapp, owner, "birds")

    answer = import_tasks(pybossa_testapp, owner, project, "csv", csv_text="question,url\nWhy?\n")

    assert answer["status"] == "error"
    assert answer["form"]["errors"] == {
        "form": ["Line 2 of the file you uploaded has 1 values but the header names 2 columns."]
    }
    assert pybossa_testapp.get("/api/task", {"project_id": project["id"]}).json == []


# Form --------------------------------------------------------------------------------------


def test_form_accepts_a_link():
    form = CSVImportForm()

    assert form.deserialize({"csv_url": "https://example.org/tasks.csv", "csv_text": ""}) == {
        "csv_url": "https://example.org/tasks.csv"
    }


def test_form_accepts_text():
    assert CSVImportForm().deserialize({"csv_text": "question\nWhy?\n"}) == {
        "csv_text": "question\nWhy?\n"
    }


@pytest.mark.parametrize(
    "url", ["ftp://example.org/tasks.csv", "example.org/tasks.csv", "/tasks.csv"]
)
def test_form_refuses_a_link_that_is_not_http(url):
    with pytest.raises(colander.Invalid) as error:
        CSVImportForm().deserialize({"csv_url": url})

    assert error.value.asdict() == {"csv_url": "Enter a link starting with http:// or https://."}


@pytest.mark.parametrize(
    "form", [{}, {"csv_url": "https://example.org/a.csv", "csv_text": "question\nWhy?"}]
)
def test_form_wants_exactly_one_of_link_or_text(form):
    with pytest.raises(colander.Invalid) as error:
        CSVImportForm().deserialize(form)

    assert error.value.asdict() == {"": "Give either a link to a CSV file or its text."}


# Parsing -----------------------------------------------------------------------------------


def test_task_field_columns_set_the_task_and_the_rest_goes_to_info():
    text = (
        "question,url,n_answers,priority_0,quorum,calibration\n"
        "Is it a cat?,http://example.org/1.jpg,5,0.5,3,1\n"
    )

    assert list(parse_csv(text)) == [
        {
            "info": {"question": "Is it a cat?", "url": "http://example.org/1.jpg"},
            "n_answers": 5,
            "priority_0": 0.5,
            "quorum": 3,
            "calibration": 1,
        }
    ]


def test_gold_columns_make_a_gold_task_with_its_expected_answers():
    text = "question,animal_gold,count_gold\nCat?,cat,2\nDog?,,\n"

    assert list(parse_csv(text)) == [
        {"info": {"question": "Cat?"}, "calibration": 1, "gold_answers": {"animal": "cat", "count": "2"}},
        {"info": {"question": "Dog?"}},
    ]


def test_empty_task_field_cell_leaves_the_default():
    assert list(parse_csv("question,n_answers\nWhy?,\nHow?,2\n")) == [
        {"info": {"question": "Why?"}},
        {"info": {"question": "How?"}, "n_answers": 2},
    ]


def test_info_cells_stay_text_and_quoted_cells_keep_commas_and_newlines():
    text = 'question,number\n"Cats, dogs\nor both?",007\n'

    assert list(parse_csv(text)) == [
        {"info": {"question": "Cats, dogs\nor both?", "number": "007"}}
    ]


def test_byte_order_mark_blank_lines_and_header_spaces_are_ignored():
    text = "\ufeffquestion , answer\r\n\r\nWhy?,Because\r\n\r\n"

    assert list(parse_csv(text)) == [{"info": {"question": "Why?", "answer": "Because"}}]


def test_header_only_gives_no_tasks():
    assert list(parse_csv("question,answer\n")) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file you uploaded is empty: its first row must name the columns."),
        ("question,,url\nWhy?,x,y\n", "The file you uploaded has an empty header on column 2."),
        (
            "question,url,question\nWhy?,x,y\n",
            "The file you uploaded has two headers with the same name: question.",
        ),
        (
            "question,url\nWhy?,x\nHow?,x,extra\n",
            "Line 3 of the file you uploaded has 3 values but the header names 2 columns.",
        ),
        (
            "question,url\nWhy?\n",
            "Line 2 of the file you uploaded has 1 values but the header names 2 columns.",
        ),
        (
            "question,n_answers\nWhy?,three\n",
            "Line 2: n_answers must be a whole number, not 'three'.",
        ),
        ("question,priority_0\nWhy?,high\n", "Line 2: priority_0 must be a number, not 'high'."),
    ],
)
def test_unusable_file_fails_with_a_message_for_the_owner(text, message):
    with pytest.raises(ImportFailed) as error:
        list(parse_csv(text))

    assert error.value.message == message


def test_tasks_reads_the_text_given_in_the_form():
    assert list(tasks({"csv_text": "question\nWhy?\n"})) == [{"info": {"question": "Why?"}}]


# Download ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[[int, str, bytes], str]]:
    """Serve canned answers on a loopback port; ``serve(...)`` adds one and returns its URL."""
    answers: dict[str, tuple[int, str, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, content_type, body = answers[self.path]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()

    def add(status: int, content_type: str, body: bytes) -> str:
        path = f"/{len(answers)}.csv"
        answers[path] = (status, content_type, body)
        return f"http://127.0.0.1:{server.server_port}{path}"

    with reaching(f"127.0.0.1:{server.server_port}"):
        yield add
    server.shutdown()
    server.server_close()
    thread.join()


def test_tasks_downloads_the_linked_file(serve):
    url = serve(200, "text/csv; charset=utf-8", "question,n_answers\nÇa va?,2\n".encode())

    assert list(tasks({"csv_url": url})) == [{"info": {"question": "Ça va?"}, "n_answers": 2}]


def test_download_uses_the_charset_the_server_names(serve):
    url = serve(200, "text/plain; charset=latin-1", "question\nÇa va?\n".encode("latin-1"))

    assert fetch_csv(url) == "question\nÇa va?\n"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "message"),
    [
        (
            403,
            "text/html",
            b"Forbidden",
            "It looks like you don't have permission to access that file; "
            "check that the link is shared publicly.",
        ),
        (404, "text/html", b"Not found", "The link answered with HTTP error 404."),
        (
            200,
            "text/html",
            b"<html></html>",
            "That link gives a text/html file, not a CSV file; "
            "use the link that downloads the file as CSV.",
        ),
        (
            200,
            "text/csv; charset=utf-8",
            b"question\n\xff\n",
            "The CSV file is not valid utf-8 text.",
        ),
    ],
)
def test_download_failure_gives_a_message_for_the_owner(serve, status, content_type, body, message):
    url = serve(status, content_type, body)

    with pytest.raises(ImportFailed) as error:
        fetch_csv(url)

    assert error.value.message == message


def test_a_file_larger_than_the_cap_is_refused(serve, monkeypatch):
    monkeypatch.setattr(pybossa_importer_csv, "MAX_BYTES", 2 * 1024 * 1024)
    url = serve(200, "text/csv", b"question\n" + b"x" * 2 * 1024 * 1024)

    with pytest.raises(ImportFailed) as error:
        fetch_csv(url)

    assert error.value.message == "The link sent more than 2 MB; import a smaller source."


def test_unreachable_server_gives_a_message_for_the_owner():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The socket is closed, so nothing listens on that port.

    with reaching(f"127.0.0.1:{port}"), pytest.raises(ImportFailed) as error:
        fetch_csv(f"http://127.0.0.1:{port}/tasks.csv")

    # No low-level reason: it would tell a closed port from an open one.
    assert error.value.message == "The link could not be fetched."
