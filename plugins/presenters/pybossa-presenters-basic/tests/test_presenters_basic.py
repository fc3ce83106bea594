"""The Basic presenter: its registration, its template and tutorial files, and a site offering it."""

from __future__ import annotations

import pytest

from pybossa_core.testing import create_project, create_user, load_plugins, signed_in_browser


@pytest.fixture
def presenter(pybossa_hooks):
    [presenter] = pybossa_hooks.register_presenters()
    return presenter


def test_entry_point_registers_the_basic_presenter():
    hooks = load_plugins({})

    assert "presenter-basic" in [plugin.name for plugin in hooks.list_plugins()]
    assert "basic" in [presenter.name for presenter in hooks.register_presenters()]


def test_presenter_is_described_for_the_presenter_picker(presenter):
    assert (presenter.name, presenter.title) == ("basic", "Basic")
    assert "Yes, No and I don't know" in presenter.description


def test_template_drives_the_pybossa_library_for_this_project(presenter):
    template = presenter.template

    for call in (
        "pybossa.taskLoaded(function (task, deferred)",
        "pybossa.presentTask(function (task, deferred)",
        "pybossa.saveTask(task.id, button.value).done(",
        "pybossa.run('{{ project.short_name }}');",
    ):
        assert call in template
    for answer in ('value="Yes"', 'value="No"', 'value="NotKnown"'):
        assert answer in template


def test_tutorial_leads_to_the_projects_tasks(presenter):
    tutorial = presenter.tutorial

    assert "I don't know" in tutorial
    assert 'href="/project/{{ project.short_name }}/newtask"' in tutorial


def test_project_owner_starts_their_presenter_from_the_basic_template(pybossa_testapp):
    owner = create_user(pybossa_testapp, "owner")
    create_project(pybossa_testapp, owner, "birds")
    browser = signed_in_browser(pybossa_testapp, owner)

    options = browser.get("/project/birds/tasks/taskpresentereditor", headers={"Accept": "application/json"}).json
    editor = browser.get(
        "/project/birds/tasks/taskpresentereditor", {"template": "basic"}, headers={"Accept": "application/json"}
    ).json["form"]["editor"]

    assert options["presenters"] == ["projects/presenters/basic.html"]
    assert "pybossa.run('birds');" in editor
    assert "{{ project.short_name }}" not in editor
