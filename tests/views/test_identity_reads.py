"""Who calls is read once per request, however many times the view, its ACL checks and its templates ask."""
from __future__ import annotations

import re

from tests.views.conftest import sign_in


def reads_of(statements, table: str) -> int:
    pattern = re.compile(rf"^SELECT\s.*\sFROM\s+{table}\b", re.DOTALL)
    return sum(bool(pattern.match(str(statement).replace('"', ""))) for statement in statements)


def test_a_signed_in_page_reads_its_session_and_user_once(testapp, make, member, queries, dbsession):
    project = make.project(member)
    make.task(project)
    sign_in(testapp, member)
    page = f"/project/{project.short_name}/stats"
    testapp.get(page)
    dbsession.expunge_all()  # as in production, where each request starts with an empty session
    queries.statements.clear()
    assert member.fullname in testapp.get(page).text
    assert reads_of(queries.statements, "web_session") == 1, queries.statements
    assert reads_of(queries.statements, "user") == 1, queries.statements


def test_an_api_call_reads_its_caller_once(testapp, make, queries, dbsession):
    owner = make.user()
    project = make.project(owner)
    dbsession.expunge_all()
    queries.statements.clear()
    assert testapp.get(f"/api/project/{project.id}", {"api_key": owner.api_key}).json["id"] == project.id
    assert reads_of(queries.statements, "user") == 1, queries.statements
