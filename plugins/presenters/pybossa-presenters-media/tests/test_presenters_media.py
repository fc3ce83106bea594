"""The media presenters: one plugin per presenter, each with a working template and a tutorial."""

from __future__ import annotations

import pytest

import pybossa_presenters_media
from pybossa_core.testing import load_plugins

PRESENTERS = {"image": "image", "sound": "sound", "video": "video", "map": "map_location", "pdf": "pdf"}
#: What each template must read from the task's info.
MEDIA_KEYS = {
    "image": ("info.url_b", "info.url_m", "info.link"),
    "sound": ("task.info.audio_url",),
    "video": ("task.info.video_url", "task.info.oembed"),
    "map": ("task.info.place",),
    "pdf": ("info.pdf_url", "info.page"),
}


def presenter(name):
    plugin = getattr(pybossa_presenters_media, PRESENTERS[name])
    hooks = load_plugins({}, autoload=False, extra_plugins=[plugin])
    [spec] = hooks.register_presenters()
    return spec


def test_entry_points_register_one_presenter_each():
    hooks = load_plugins({})

    plugins = [plugin.name for plugin in hooks.list_plugins()]
    names = [spec.name for spec in hooks.register_presenters()]
    for name in PRESENTERS:
        assert f"presenter-{name}" in plugins
        assert name in names


def test_a_site_can_leave_one_presenter_out():
    hooks = load_plugins({"plugins.disabled": ["presenter-video"]})

    names = [spec.name for spec in hooks.register_presenters()]
    assert "video" not in names and "image" in names


@pytest.mark.parametrize("name", PRESENTERS)
def test_template_drives_the_pybossa_library_with_the_tasks_media(name):
    spec = presenter(name)

    assert spec.name == name and spec.title and spec.description
    for call in ("pybossa.taskLoaded(function (task, deferred)", "pybossa.presentTask(function (task, deferred)",
                 "pybossa.saveTask(task.id, ", "pybossa.userProgress(shortName)",
                 "pybossa.run('{{ project.short_name }}');", "deferred.resolve();"):
        assert call in spec.template
    for key in MEDIA_KEYS[name]:
        assert key in spec.template


@pytest.mark.parametrize("name", PRESENTERS)
def test_template_loads_nothing_from_other_sites(name):
    spec = presenter(name)

    for remote in ("http://", "https://", '="//', "'//"):
        assert remote not in spec.template


@pytest.mark.parametrize("name", PRESENTERS)
def test_tutorial_leads_to_the_projects_tasks(name):
    tutorial = presenter(name).tutorial

    assert "<h1>How to help</h1>" in tutorial
    assert 'href="/project/{{ project.short_name }}/newtask"' in tutorial
