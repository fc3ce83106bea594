"""Each language's templates are compiled with their texts folded in (``i18n.LanguageTemplates``):
they must draw exactly what the templates draw with the runtime gettext functions, for every
shipped catalog, every plural form and values that need escaping."""
from __future__ import annotations

import pytest
from pyramid.interfaces import IRendererFactory
from pyramid.threadlocal import manager
from pyramid_jinja2 import IJinja2Environment

from pybossa_core.interfaces import ILanguages, find_service
from pybossa_core.renderers import TEMPLATE_SUFFIX

#: What the site's templates write: ``_()``, ``{% trans %}`` with and without values, with a
#: context, with a count (a plain value and an expression), and ``_()`` of a variable.
SOURCE = """
<p title="{{ _("Projects") }}">{{ _("Sign in") }} {{ _(word) }}</p>
{% trans %}Nothing has happened yet.{% endtrans %}
{% trans user=name %}{{ user }} joined the community{% endtrans %}
{% trans short_name=name, name=name %}New project <a href="/project/{{ short_name }}/">{{ name }}</a>{% endtrans %}
{% for count in counts %}[{% trans count=count %}{{ count }} task{% pluralize %}{{ count }} tasks{% endtrans %}
{% trans count=holder.n or 0 %}{{ count }} volunteer{% pluralize %}{{ count }} volunteers{% endtrans %}]{% endfor %}
{{ "x"|translated }} {{ "2026-03-05T14:07:00"|moment }}
"""
COUNTS = [0, 1, 2, 3, 5, 11, 21, 101, 1000, 10**6, 10**6 + 1, 2 * 10**6, 10**9]


@pytest.fixture(scope="module")
def templates(app):
    base = app.registry.getUtility(IJinja2Environment, name=TEMPLATE_SUFFIX)
    folded = app.registry.getUtility(IRendererFactory, name=TEMPLATE_SUFFIX).args[0].environment
    return base, folded, find_service(app.registry, ILanguages)


@pytest.mark.parametrize("locale", ["en", "de", "el", "es", "fr", "it", "ja", "pt_BR"])
def test_a_folded_template_draws_what_the_runtime_texts_draw(templates, locale):
    base, folded, languages = templates
    language = languages.localizers.get(locale) or languages.localizers[languages.find(locale)]
    values = {"name": "<b>Ann & Bob</b>", "word": "Projects", "counts": COUNTS, "holder": {"n": None}}
    manager.push({"request": type("Page", (), {"localizer": language})(), "registry": None})
    try:
        expected = base.from_string(SOURCE).render(values)
    finally:
        manager.pop()
    drawn = folded.of(language).from_string(SOURCE).render(values)
    assert drawn == expected
    assert "<b>" not in drawn and "&lt;b&gt;Ann &amp; Bob&lt;/b&gt;" in drawn
