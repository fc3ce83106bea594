"""Schemathesis against a live site: generated requests to every operation of /api/openapi.json.

For an anonymous and a signed-in caller, each operation gets a bounded number
of generated requests, valid and invalid; none may answer a server error and every answer must
match the document.  Afterwards every object the API serves must still match
its schema: no request could store what the description says is impossible.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from pybossa_core.config import configure
from tests.api.test_openapi import assert_conforms
from tests.conftest import LiveServer, app_settings, fresh_engine
from tests.factories import Committing

#: A live site of its own, fuzzed for minutes.
pytestmark = [pytest.mark.functional, pytest.mark.slow]

#: Generated requests per operation and caller, valid and invalid: the whole run stays under a minute.
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 5, schemathesis.GenerationMode.NEGATIVE: 3}
RESOURCES = {
    "project": "Project", "category": "Category", "task": "Task", "taskrun": "TaskRun", "result": "Result",
    "user": "User", "blogpost": "Blogpost", "helpingmaterial": "HelpingMaterial",
    "announcement": "Announcement", "page": "Page",
}


@pytest.fixture(scope="module")
def site(backend, tmp_path_factory):
    """A live site with every optional endpoint configured (VMCP key, Disqus keys)."""
    key_path = tmp_path_factory.mktemp("vmcp") / "vmcp.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with fresh_engine(backend, tmp_path_factory, "fuzz") as engine:
        settings = app_settings(
            engine, tmp_path_factory.mktemp("fuzz_uploads"),
            **{"vmcp.key": str(key_path), "disqus.public_key": "public", "disqus.secret_key": "secret",
               "webhooks.allowed_hosts": "example.org"},
        )
        server = LiveServer(configure(settings, environ={}).make_wsgi_app())
        yield server
        server.server.shutdown()


@pytest.fixture(scope="module")
def people(site):
    """Seed the site (so generated small ids find objects) and return the API keys of a volunteer and an admin."""
    with Committing(site) as make:
        admin, volunteer = make.admin(), make.user()
        make.category()
        for owner in (volunteer, admin):
            project = make.project(owner)
            for _ in range(3):
                task = make.task(project, info={"question": "?"})
                make.result(task, [make.task_run(task, volunteer, info={"answer": 1})])
        keys = {"volunteer": volunteer.api_key, "admin": admin.api_key}
    return keys


def fuzz(site, document: dict, headers: dict[str, str]) -> list[str]:
    """Send generated requests to every operation; return what failed, one line per operation and mode."""
    schema = schemathesis.openapi.from_dict(document)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():

            @hypothesis.settings(
                # The same examples on every run: a CI run fails only on what any run would find.
                max_examples=examples, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(hypothesis.HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def call(case):
                case.call_and_validate(
                    base_url=site.url, headers=headers, timeout=10,
                    checks=[not_a_server_error, response_schema_conformance],
                )

            try:
                call()
            except hypothesis.errors.Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE  # nothing in the operation to get wrong
            # Schemathesis raises its failures as an exception group; every one is reported, not just the first.
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} ({mode.value}): {error}")
    return failures


def stored_objects(site, api_key: str, name: str):
    """Yield every object of resource ``name`` the admin can read, page by page."""
    last_id = 0
    while True:
        page = requests.get(
            f"{site.url}/api/{name}", params={"api_key": api_key, "all": "1", "last_id": last_id, "limit": 100}, timeout=10
        ).json()
        if not page:
            return
        yield from page
        last_id = page[-1]["id"]


@pytest.mark.parametrize("caller", ["anonymous", "volunteer"])
def test_generated_requests_never_fail_the_server_nor_the_description(site, people, caller):
    document = requests.get(f"{site.url}/api/openapi.json", timeout=10).json()
    headers = {"Authorization": people[caller]} if caller in people else {}
    failures = fuzz(site, document, headers)
    assert not failures, "\n\n".join(failures)
    for name, component in RESOURCES.items():
        for item in stored_objects(site, people["admin"], name):
            assert_conforms(document, component, item)


#: What no description can say (an uploaded file's contents, stored data, settings), per operation.
CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_the_schemathesis_command_with_every_phase_and_check_finds_nothing(site, people, tmp_path):
    """``st run`` as CI points it at a site: every phase (examples, coverage, which sends undeclared
    content types, fuzzing and stateful) and every check, an admin's key, the same cases on every run."""
    command = [
        str(Path(sys.executable).with_name("st")), "--config-file", str(CONFIG), "run", f"{site.url}/api/openapi.json",
        "--phases", "examples,coverage,fuzzing,stateful", "--checks", "all",
        "--max-examples", "5", "--seed", "1", "--generation-deterministic", "--no-color", "--workers", "1",
        "-H", f"Authorization: {people['admin']}", "--report-dir", str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "Tested: " in run.stdout and "Server error" not in run.stdout
