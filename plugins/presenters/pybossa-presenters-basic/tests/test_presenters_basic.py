"""The Basic presenter: its registration and its template and tutorial files."""

from __future__ import annotations

import pybossa_presenters_basic

from pybossa_core.plugins import load_plugins


def basic_presenter():
    hooks = load_plugins({}, autoload=False, extra_plugins=[pybossa_presenters_basic])
    [presenter] = hooks.register_presenters()
    return presenter


def test_entry_point_registers_the_basic_presenter():
    hooks = load_plugins({})

    assert "presenter-basic" in [plugin.name for plugin in hooks.list_plugins()]
    assert "basic" in [presenter.name for presenter in hooks.register_presenters()]


def test_presenter_is_described_for_the_presenter_picker():
    presenter = basic_presenter()

    assert (presenter.name, presenter.title) == ("basic", "Basic")
    assert "Yes, No and I don't know" in presenter.description


def test_template_drives_the_pybossa_library_for_this_project():
    template = basic_presenter().template

    for call in (
        "pybossa.taskLoaded(function (task, deferred)",
        "pybossa.presentTask(function (task, deferred)",
        "pybossa.saveTask(task.id, button.value).done(",
        "pybossa.run('{{ project.short_name }}');",
    ):
        assert call in template
    for answer in ('value="Yes"', 'value="No"', 'value="NotKnown"'):
        assert answer in template


def test_tutorial_leads_to_the_projects_tasks():
    tutorial = basic_presenter().tutorial

    assert "I don't know" in tutorial
    assert 'href="/project/{{ project.short_name }}/newtask"' in tutorial
