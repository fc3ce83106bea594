"""The site in the visitor's language: gettext catalogs, the locale of each request, dates and numbers.

- **Marking.** Python code marks its texts with a :class:`~pyramid.i18n.TranslationStringFactory`
  named after its distribution's domain (the core's :data:`_`, domain ``pybossa_core``; a plugin's
  is its package name) and placeholders written ``${name}`` with ``mapping``. Templates use Jinja2's
  i18n extension: ``{{ _("Projects") }}``, ``{% trans name=user.name %}Hi {{ name }}{% endtrans %}``
  and ``{% trans count=n %}...{% pluralize %}...{% endtrans %}``; a value goes into ``_()`` with
  ``|format(name=...)``.
- **Catalogs.** Each distribution ships ``<package>/locale/<lang>/LC_MESSAGES/<domain>.po`` beside
  its ``<domain>.pot``; ``make mo`` (and every ``make install``) compiles the ``.mo`` files, which
  are not committed. The core's catalogs, then each plugin package's ``locale/`` folder, then the
  site's ``theme.translations`` folder are read once at startup, later ones winning.
- **The locale of a request** (:func:`negotiate_locale`): the signed-in user's ``locale``; else a
  ``lang`` query parameter, then the ``lang`` cookie (a ``lang`` query parameter sets that cookie);
  else ``Accept-Language``; else ``locale.default``. Only the languages of ``account.locales``
  are chosen; anything else is ignored.
- **Where texts are translated.** Templates look a text up in the core's catalog first, then in the
  plugins'; a :class:`TranslationString` carries its own domain. A web view's ``flash`` and its
  forms' ``errors`` are translated when the view returns (``renderers.web_view``), so the JSON
  answer carries the same texts as the page; every other value of the JSON stays as it was.
  E-mails are written in the recipient's language (:func:`localizer_for`).
"""
from __future__ import annotations

import datetime
import functools
import logging
import os
import re
from collections.abc import Iterable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, format_timedelta, get_datetime_format
from babel.numbers import format_decimal
from jinja2 import Undefined, nodes
from jinja2.compiler import CodeGenerator
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape
from pyramid.i18n import Localizer, TranslationString, TranslationStringFactory, Translations
from pyramid.interfaces import ILocalizer
from pyramid.threadlocal import get_current_request

from pybossa_core.interfaces import ILanguages, IPluginHooks, find_service
from pybossa_core.settings import SettingsError

log = logging.getLogger(__name__)

#: The core's translation domain (its catalogs' file name).
DOMAIN = "pybossa_core"
_ = TranslationStringFactory(DOMAIN)
#: The query parameter and the cookie of the language switcher (PYBOSSA's).
LANG_PARAMETER = "lang"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
#: colander's own messages (a form's "Required") come translated with it.
LIBRARY_CATALOGS = ("colander:locale",)


def catalog_folder(package: str) -> Path | None:
    """The ``locale`` folder of ``package``, when it has one on disk."""
    folder = files(package) / "locale"
    return Path(str(folder)) if folder.is_dir() else None


class PageCatalog:
    """What a page's ``_()`` and ``{% trans %}`` look texts up in: every domain of a locale,
    the core's winning, merged into one table at startup (a page draws many texts)."""

    def __init__(self, translations, domains: Iterable[str]):
        self.messages: dict[Any, str] = {}
        self._safe: dict[str, Markup] = {}
        self.plural = lambda n: int(n != 1)
        for domain in reversed(list(domains)):
            catalog = translations._domains.get(domain)
            if catalog is not None:
                self.messages.update(catalog._catalog)
                self.plural = catalog.plural
        self.messages.pop("", None)  # the catalog's header

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def safe(self, message: str) -> Markup:
        """``gettext`` marked safe, kept per text: templates ask for the same texts on every page."""
        try:
            return self._safe[message]
        except KeyError:
            found = self._safe[message] = Markup(self.gettext(message))
            return found

    def pgettext(self, context: str, message: str) -> str:
        """``message`` as the catalogs translate it in ``context`` (one English word, two meanings)."""
        return self.messages.get(f"{context}\x04{message}", message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.messages.get((singular, self.plural(n)))
        if found is not None:
            return found
        return singular if n == 1 else plural

    def plural_choice(self, singular: str, plural: str) -> list[tuple[str | None, str]] | None:
        """How a compiled template picks the form of a count, as :meth:`ngettext` would: the forms
        by the :data:`PLURAL_TESTS` tried in turn, the last with None (no test held); or None when
        the catalog's forms follow none of the usual shapes on the counts its rules tell apart."""
        texts = [(n, self.ngettext(singular, plural, n)) for n in _PLURAL_SAMPLES]
        for shape in _PLURAL_SHAPES:
            forms: dict[str | None, str] = {}
            for n, text in texts:
                branch = next((name for name in shape if PLURAL_TESTS[name](n)), None)
                if forms.setdefault(branch, text) != text:
                    break
            else:
                return [(name, forms[name]) for name in (*shape, None) if name in forms]
        return None


#: The tests of a count that the usual plural rules make, by name.
PLURAL_TESTS = {"not one": lambda n: n != 1, "over one": lambda n: n > 1,
                "millions": lambda n: n != 0 and n % 10**6 == 0}
#: The usual rules' shapes (English, French, Spanish's "many" millions, Japanese's one form).
_PLURAL_SHAPES = [(), ("not one",), ("over one",), ("millions", "not one"), ("millions", "over one")]
#: The counts on which a catalog's forms are compared with the shapes.
_PLURAL_SAMPLES = [*range(200), 10**3, 10**6, 2 * 10**6, 10**9]


def catalog_names(folder: str, locale: str) -> list[str]:
    """The catalogs of ``folder`` that ``locale`` reads, least specific first: its language's and
    its own (pt_BR: pt, pt_BR), or else one of its regions' (pt: pt_BR, as the catalogs are written)."""
    present = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    language = locale.partition("_")[0]
    if locale in present:
        return [name for name in dict.fromkeys([language, locale]) if name in present]
    regional = sorted(name for name in present if name.startswith(language + "_"))
    return [name for name in [language, *regional[:1]] if name in present]


#: The catalog of a page rendered outside a request: the English texts.
ENGLISH = PageCatalog(Translations(), ())
ENGLISH_LOCALE = Locale.parse("en")


class SiteLocalizer(Localizer):
    """Pyramid's localizer of one of the site's languages, with its page catalog and Babel locale."""

    def __init__(self, locale_name: str, translations, domains: Iterable[str]):
        super().__init__(locale_name=locale_name, translations=translations)
        self.page = PageCatalog(translations, domains)
        try:
            self.babel = Locale.parse(locale_name)
        except (ValueError, UnknownLocaleError):
            self.babel = ENGLISH_LOCALE
        #: Its Babel locale's name (``str()`` of a Locale builds it on every call).
        self.babel_name = str(self.babel)


def _own_name(locale: str) -> str:
    try:
        name = Locale.parse(locale).get_language_name(locale) or locale
    except (ValueError, UnknownLocaleError):
        return locale
    return name[:1].upper() + name[1:]


class Languages:
    """The site's languages and their localizers, built once at startup."""

    def __init__(self, locales: list[str], default: str, folders: list[str], domains: list[str]):
        self.locales = list(dict.fromkeys([*locales, default]))
        self.choices = frozenset(self.locales)
        self.default = default
        self.folders = folders
        self.domains = domains
        # Accept-Language ranges are case-insensitive and written with "-": "pt-br" -> "pt".
        self.by_range = {}
        for locale in self.locales:
            self.by_range.setdefault(locale.lower().replace("_", "-"), locale)
            self.by_range.setdefault(locale.partition("_")[0].lower(), locale)
        self.localizers = {locale: self._make(locale) for locale in self.locales}
        #: Each language by its own name, as the language switcher lists them ("Español", "日本語").
        self.names = {locale: _own_name(locale) for locale in self.locales}

    def _make(self, locale: str) -> SiteLocalizer:
        translations = Translations()
        translations._catalog = {}
        for folder in self.folders:
            for name in catalog_names(folder, locale):
                for mo in sorted(Path(folder, name, "LC_MESSAGES").glob("*.mo")):
                    with mo.open("rb") as catalog:
                        translations.add(Translations(catalog, mo.stem))
        return SiteLocalizer(locale, translations, self.domains)

    def find(self, name: str | None) -> str | None:
        """The site's language ``name`` stands for: itself, or written another way ("pt-BR", "pt_br",
        "PT" for ``pt``); None when the site offers none."""
        if not name or len(name) > 35:
            return None
        wanted = name.lower().replace("_", "-")
        return self.by_range.get(wanted) or self.by_range.get(wanted.partition("-")[0])

    def best_accepted(self, accept_language) -> str | None:
        """The first of the site's languages the ``Accept-Language`` header asks for, by quality."""
        ranges = getattr(accept_language, "parsed", None) or ()
        for language_range, quality in sorted(ranges, key=lambda item: -item[1]):
            if quality <= 0:
                continue
            found = self.find(language_range)
            if found is not None:
                return found
        return None


def negotiate_locale(request) -> str:
    """The locale of ``request`` (Pyramid's locale negotiator): see the module's text for the order."""
    languages: Languages = request.find_service(ILanguages)
    user = request.identity
    if user is not None and user.locale in languages.choices:
        return user.locale
    asked = languages.find(request.GET.get(LANG_PARAMETER))
    if asked is not None:
        if request.cookies.get(LANG_COOKIE) != asked:
            request.add_response_callback(lambda request, response: response.set_cookie(
                LANG_COOKIE, asked, max_age=LANG_COOKIE_MAX_AGE, path="/", samesite="Lax"))
        return asked
    kept = languages.find(request.cookies.get(LANG_COOKIE))
    if kept is not None:
        return kept
    return languages.best_accepted(request.accept_language) or languages.default


def localizer_for(registry, locale: str | None) -> SiteLocalizer:
    """The localizer of ``locale`` (a recipient's), or of the site's default language."""
    languages: Languages = find_service(registry, ILanguages)
    return languages.localizers.get(locale) or languages.localizers[languages.default]


def translate(localizer: Localizer, message: Any) -> Any:
    """``message`` in the localizer's language: a :class:`TranslationString` in its domain (and the
    translation strings of its ``mapping`` in theirs: "${source} could not be fetched"), a plain
    text looked up as a page's would be; anything else as it is."""
    if isinstance(message, TranslationString):
        if message.mapping and any(isinstance(value, TranslationString) for value in message.mapping.values()):
            mapping = {key: translate(localizer, value) for key, value in message.mapping.items()}
            return localizer.translate(message, mapping=mapping)
        return localizer.translate(message)
    if isinstance(message, str) and isinstance(localizer, SiteLocalizer):
        return localizer.page.gettext(message)
    return message


def english(message: Any) -> Any:
    """The English text of ``message``: a :class:`TranslationString`'s own text with its mapping
    filled in (translation strings in the mapping too); anything else as it is."""
    if not isinstance(message, TranslationString):
        return message
    if message.mapping:
        mapping = {key: english(value) for key, value in message.mapping.items()}
        return TranslationString(message, mapping=mapping).interpolate()
    return message.interpolate()


class ShownText(str):
    """A view's text in English, as the JSON gives it (PYBOSSA's value), that a page shows in its
    language: ``shown``, a :class:`TranslationString` (its mapping may hold translation strings)."""

    shown: TranslationString

    def __new__(cls, shown: TranslationString) -> ShownText:
        text = super().__new__(cls, english(shown))
        text.shown = shown
        return text


class ShownError(Exception):
    """An error whose message a page shows: ``shown`` is it as given (a translation string is shown
    in the visitor's language), ``message`` and ``str()`` its English text."""

    def __init__(self, message: str) -> None:
        self.message = english(message)
        super().__init__(self.message)
        self.shown = message


def translate_messages(request, result: dict[str, Any]) -> None:
    """Translate a web view's answer in place: its ``flash`` and the ``errors`` of its forms."""
    if not result.get("flash") and not any(isinstance(value, Mapping) and value.get("errors") for value in result.values()):
        return
    localizer = request.localizer
    if result.get("flash"):
        result["flash"] = translate(localizer, result["flash"])
    for key, value in result.items():
        if isinstance(value, dict) and isinstance(value.get("errors"), Mapping) and value["errors"]:
            value["errors"] = {
                field: [translate(localizer, message) for message in messages] if isinstance(messages, list) else messages
                for field, messages in value["errors"].items()
            }


def _page_localizer() -> SiteLocalizer | None:
    request = get_current_request()
    return request.localizer if request is not None else None


# The templates' text and format functions: of the page being rendered, or of ``language`` when
# given (the functions bound to each language's templates, LanguageTemplates).


def _catalog(language: SiteLocalizer | None) -> PageCatalog:
    language = language or _page_localizer()
    return language.page if isinstance(language, SiteLocalizer) else ENGLISH


def _babel_locale(language: SiteLocalizer | None) -> Locale:
    language = language or _page_localizer()
    return language.babel if isinstance(language, SiteLocalizer) else ENGLISH_LOCALE


def _babel_name(language: SiteLocalizer | None) -> str:
    """The name of :func:`_babel_locale`'s locale, the key of the formatted texts kept per locale."""
    language = language or _page_localizer()
    return language.babel_name if isinstance(language, SiteLocalizer) else "en"


def page_gettext(message: str, language: SiteLocalizer | None = None) -> Markup:
    """A page's ``_()``: the text in the page's language, marked safe as Jinja2's new-style gettext
    would (templates' texts and their translations are the site's own markup)."""
    return _catalog(language).safe(message)


def page_ngettext(singular: str, plural: str, n: int, language: SiteLocalizer | None = None) -> Markup:
    return Markup(_catalog(language).ngettext(singular, plural, n))


def page_pgettext(context: str, message: str, language: SiteLocalizer | None = None) -> Markup:
    return Markup(_catalog(language).pgettext(context, message))


def translated(text: Any, language: SiteLocalizer | None = None) -> Any:
    """Filter: a text the view gave (a page's title) in the page's language when the catalogs have
    it (a :class:`ShownText` in its own words), else as it is (still escaped: it may hold a user's name)."""
    if isinstance(text, ShownText):
        language = language or _page_localizer()
        return str(text) if language is None else translate(language, text.shown)
    return _catalog(language).gettext(text) if isinstance(text, str) and text else text


def translated_chart(chart: Any, language: SiteLocalizer | None = None) -> Any:
    """Filter: a statistics chart (``{label, values: [{label, value}]}``) with its labels as
    :func:`translated` gives them: a calculator's figures (cached, in the API) keep them in English."""
    if not isinstance(chart, Mapping):
        return chart
    values = [{**value, "label": translated(value.get("label"), language)} if isinstance(value, Mapping) else value
              for value in chart.get("values") or []]
    return {**chart, "label": translated(chart.get("label"), language), "values": values}


def _moment(value: str | datetime.datetime) -> datetime.datetime | None:
    """A moment as the views give it (ISO 8601 text, UTC, no zone) or a datetime; None for other text."""
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def format_moment(value: str | datetime.datetime | None, language: SiteLocalizer | None = None) -> Markup | str:
    """A moment (ISO 8601 text as the views give it, or a datetime) as its day and minute, in the
    page's locale: its medium date and short time ("Mar 5, 2026, 2:07 PM", "05.03.2026, 14:07")."""
    if not value:
        return ""
    return _moment_text(value, _babel_name(language))


@functools.lru_cache(maxsize=8192)
def _moment_text(value: str | datetime.datetime, locale_name: str) -> Markup | str:
    # Kept per moment and locale (by name: a Locale hashes in Python): a page lists the same
    # moments on every view (its feed, its table), and Babel parses its patterns on every call.
    moment = _moment(value)
    if moment is None:
        return value
    locale = Locale.parse(locale_name)
    pattern = get_datetime_format("medium", locale=locale).replace("'", "")
    text = pattern.replace("{0}", format_time(moment, "short", locale=locale)).replace(
        "{1}", format_date(moment, "medium", locale=locale))
    # Other characters as references: English times hold a narrow no-break space ("2:07 PM"),
    # and one such character in an English page makes Python join and encode it several times slower.
    return Markup(escape(text).encode("ascii", "xmlcharrefreplace").decode("ascii"))


def format_ago(value: str | datetime.datetime | None, language: SiteLocalizer | None = None) -> str:
    """How long ago a moment (UTC, as :func:`format_moment` takes it) was, in the page's locale:
    "3 days ago", "hace 3 días", "3 日前" (Babel's ``format_timedelta``)."""
    moment = _moment(value) if value else None
    if moment is None:
        return ""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return format_timedelta(moment - now, add_direction=True, locale=_babel_locale(language))


def format_number(value: Any, language: SiteLocalizer | None = None) -> str:
    """A number in the page's locale ("1,234.5", "1.234,5"); anything else as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    return _number_text(value, _babel_name(language))


@functools.lru_cache(maxsize=8192, typed=True)
def _number_text(value: int | float, locale_name: str) -> str:
    # Kept per number and locale: a statistics page shows the same figures on every view, and
    # Babel's format_decimal takes longer than the rest of a figure's drawing.
    return format_decimal(value, locale=Locale.parse(locale_name))


def format_figure(value: Any, language: SiteLocalizer | None = None) -> Markup | str:
    """Filter: a figure a statistics calculator returned, as :func:`format_number` writes it, or
    "—" when it left it out (``plugin_api.STATS_FIGURES``)."""
    if value is None or isinstance(value, Undefined):
        return Markup('<span class="figure-missing" title="%s">—</span>') % _catalog(language).gettext("not computed")
    return format_number(value, language)


def time_tag(stamp: str | datetime.datetime | None, language: SiteLocalizer | None = None) -> Markup | str:
    """Filter: a moment as a ``<time>`` element showing it as :func:`format_moment` does; nothing
    for none. (Not a macro: the home page's feed shows twenty, and a macro call costs several times more.)"""
    if not stamp:
        return ""
    return Markup(f'<time datetime="{escape(stamp)}">{escape(format_moment(stamp, language))}</time>')


#: The templates' functions of the page's language: gettext's, then the filters.
TEMPLATE_GLOBALS = {"_": page_gettext, "gettext": page_gettext, "ngettext": page_ngettext, "pgettext": page_pgettext}
TEMPLATE_FILTERS = {"translated": translated, "translated_chart": translated_chart, "moment": format_moment,
                    "time_tag": time_tag, "ago": format_ago, "number": format_number, "figure": format_figure}


def language_menu() -> Markup:
    """The language switcher of the page being rendered (base.html's nav bar): each of the site's
    languages by its own name, the page's marked. An anonymous visitor's entries link to this
    page (its query kept) with ``lang``; a signed-in user's are buttons of the page's
    ``language-form`` (a POST to ``/language``, views/languages.py), which stores the choice."""
    request = get_current_request()
    languages: Languages = request.find_service(ILanguages)
    query = () if request.identity is not None else tuple(
        (key, value) for key, value in request.GET.items() if key != LANG_PARAMETER)
    return _language_menu(languages, request.locale_name, request.identity is not None, request.path, query,
                          _catalog(None).gettext("Language"))


@functools.lru_cache(maxsize=4096)
def _language_menu(languages: Languages, current: str, signed_in: bool, path: str, query: tuple, label: str) -> Markup:
    # Kept per page address and language: the menu is the same on every view of a page, and
    # drawing its eight entries in the template cost a tenth of a page's time.
    entries = []
    for code, name in languages.names.items():
        tag = code.replace("_", "-")
        marked = ' aria-current="true"' if code == current else ""
        if signed_in:
            entries.append(Markup('<li><button type="submit" form="language-form" name="locale" value="{}" lang="{}"{}>{}</button></li>')
                           .format(code, tag, Markup(marked), name))
        else:
            href = f"{quote(path)}?{urlencode([*query, (LANG_PARAMETER, code)])}"
            entries.append(Markup('<li><a href="{}" hreflang="{}" lang="{}"{}>{}</a></li>').format(href, tag, tag, Markup(marked), name))
    menu = Markup('<details class="lang-menu"><summary aria-label="{}">{}</summary><ul>{}</ul></details>').format(
        label, languages.names.get(current, current), Markup("").join(entries))
    # Its names as character references: an English page stays ASCII, which Python joins and
    # encodes several times faster than a page holding one "日本語" (a twentieth of the home page).
    return Markup(menu.encode("ascii", "xmlcharrefreplace").decode("ascii"))


#: A ``{% trans %}`` text's placeholders, as Jinja2's old-style gettext writes them, and ``%%``.
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%)")
#: The template functions that look a text up (``_`` and the i18n extension's names).
_GETTEXTS = frozenset({"_", "gettext"})
#: Values a text may show twice without doing their work twice.
_PLAIN_VALUES = (nodes.Name, nodes.Getattr, nodes.Const)


def _text_pieces(text: str, values: dict[str, nodes.Expr]) -> list[nodes.Node] | None:
    """``Markup(text) % values`` as output pieces: the text's parts as template data and the
    values between them, escaped by the output as ``Markup`` formatting escapes them; None when
    the text holds another conversion ("%d", a lone "%") or a value of work (a macro's call) twice."""
    pieces, start, used = [], 0, []
    for match in _PLACEHOLDER.finditer(text):
        pieces.append(text[start:match.start()] + ("%" if match.group(1) is None else ""))
        if match.group(1) is not None:
            if match.group(1) not in values:
                return None
            used.append(match.group(1))
            pieces.append(values[match.group(1)])
        start = match.end()
    pieces.append(text[start:])
    if any(isinstance(piece, str) and "%" in piece for piece in pieces) or any(
            used.count(name) > 1 and not isinstance(values[name], _PLAIN_VALUES) for name in used):
        return None
    return [nodes.TemplateData(piece) if isinstance(piece, str) else piece
            for piece in pieces if not isinstance(piece, str) or piece]


class _FoldTexts(NodeTransformer):
    """A template's texts translated into it at compile time, for one language's catalog.

    ``_("literal")``, ``{% trans %}`` and ``{% trans context %}`` without values become constants;
    one with values becomes the translated text's pieces around its values; one with a count
    becomes a test of the count choosing between its forms' pieces. What is left (``_()`` of a
    variable, an unusual plural rule) calls the runtime functions, which give the same texts.
    """

    def __init__(self, catalog: PageCatalog):
        self.catalog = catalog

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        node = self.generic_visit(node)
        if not isinstance(node.node, nodes.Name) or node.kwargs or node.dyn_args or node.dyn_kwargs:
            return node
        texts = [arg.value for arg in node.args if isinstance(arg, nodes.Const) and isinstance(arg.value, str)]
        if node.node.name in _GETTEXTS and len(texts) == len(node.args) == 1:
            return nodes.Const(self.catalog.safe(texts[0]), lineno=node.lineno)
        if node.node.name == "pgettext" and len(texts) == len(node.args) == 2:
            return nodes.Const(Markup(self.catalog.pgettext(*texts)), lineno=node.lineno)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node | list[nodes.Node]:
        node = self.generic_visit(node)
        statements, children = [], []
        for child in node.nodes:
            folded = self._fold(child)
            if isinstance(folded, nodes.If):
                statements += [nodes.Output(children), folded] if children else [folded]
                children = []
            else:
                children += folded or [child]
        if not statements:
            node.nodes = children
            return node
        return statements + [nodes.Output(children)] if children else statements

    def _fold(self, child: nodes.Node) -> list[nodes.Node] | nodes.If | None:
        """A ``{% trans %}`` with values (``Markup(text) % {values}``, ``text`` a constant once
        :meth:`visit_Call` has run, or an ``ngettext`` call) as pieces or as a test of its count."""
        if not (isinstance(child, nodes.Mod) and isinstance(child.left, nodes.MarkSafeIfAutoescape)
                and isinstance(child.right, nodes.Dict)):
            return None
        values = {pair.key.value: pair.value for pair in child.right.items if isinstance(pair.key, nodes.Const)}
        text = child.left.expr
        if isinstance(text, nodes.Const):
            return _text_pieces(str(text.value), values)
        if not (isinstance(text, nodes.Call) and isinstance(text.node, nodes.Name) and text.node.name == "ngettext"
                and len(text.args) == 3 and not text.kwargs and not text.dyn_args and not text.dyn_kwargs
                and all(isinstance(arg, nodes.Const) and isinstance(arg.value, str) for arg in text.args[:2])):
            return None
        # Jinja2 itself evaluates the count more than once, for ngettext and for the text's value.
        count = text.args[2]
        choice = self.catalog.plural_choice(text.args[0].value, text.args[1].value)
        if choice is None:
            return None
        pieces = [_text_pieces(form, values) for _, form in choice]
        if any(form_pieces is None for form_pieces in pieces):
            return None
        if len(choice) == 1:
            return pieces[0]
        folded = nodes.Output(pieces[-1])
        for (test, _), form_pieces in zip(reversed(choice[:-1]), reversed(pieces[:-1])):
            folded = nodes.If(_plural_test(test, count), [nodes.Output(form_pieces)], [], [folded])
        return folded


def _plural_test(name: str, count: nodes.Expr) -> nodes.Expr:
    """The template expression of :data:`PLURAL_TESTS`' test ``name`` of ``count``."""
    def compare(left, operator, right):
        return nodes.Compare(left, [nodes.Operand(operator, nodes.Const(right))])
    if name == "millions":
        return nodes.And(compare(count, "ne", 0), compare(nodes.Mod(count, nodes.Const(10**6)), "eq", 0))
    return compare(count, "ne" if name == "not one" else "gt", 1)


class _TextFoldingCodeGenerator(CodeGenerator):
    """Compiles a template of a :class:`LanguageTemplates` language with its texts folded in."""

    def visit_Template(self, node, frame=None):
        super().visit_Template(_FoldTexts(self.environment.folded_catalog).visit(node), frame)


class LanguageTemplates:
    """The page templates of each of the site's languages, compiled with their texts in.

    Stands in for the Jinja2 environment that pyramid_jinja2's renderer asks for a page's template
    (``renderers``): a page is drawn from the template of its request's language, an overlay of
    the site's environment (the same loader, globals and filters, its own compiled cache), so a
    page in any language draws its texts as constant output instead of calling ``_()`` for each.
    """

    def __init__(self, environment):
        self.environment = environment
        self.overlays: dict[str, Any] = {}

    def get_template(self, name, parent=None, globals=None):
        request = get_current_request()
        localizer = request.localizer if request is not None else None
        environment = self.of(localizer) if isinstance(localizer, SiteLocalizer) else self.environment
        return environment.get_template(name, parent, globals)

    def of(self, language: SiteLocalizer):
        """The environment of ``language``'s templates, made at its first page, when the site's
        environment is complete."""
        overlay = self.overlays.get(language.locale_name)
        if overlay is None:
            # A bytecode cache shared with the site's environment would mix the languages' templates.
            overlay = self.environment.overlay(bytecode_cache=None)
            overlay.code_generator_class = _TextFoldingCodeGenerator
            overlay.folded_catalog = language.page
            # The functions of the page's language bound to it, rather than finding it per call.
            overlay.globals = {**overlay.globals, **_bound(TEMPLATE_GLOBALS, language)}
            overlay.filters = {**overlay.filters, **_bound(TEMPLATE_FILTERS, language)}
            overlay = self.overlays.setdefault(language.locale_name, overlay)
        return overlay


def _bound(functions: dict[str, Any], language: SiteLocalizer) -> dict[str, Any]:
    return {name: functools.partial(function, language=language) for name, function in functions.items()}


def _install_in_templates(environment) -> None:
    environment.add_extension("jinja2.ext.i18n")
    # Old-style callables: a page calls _() a hundred times, and new-style gettext's wrapper (a
    # second context.call, Markup and % formatting on every text) cost a fifth of a page's time.
    environment.install_gettext_callables(page_gettext, page_ngettext, newstyle=False, pgettext=page_pgettext)
    # ``_`` itself, not the extension's alias (which looks ``gettext`` up and calls it: two
    # context.call per text, a tenth of the home page's time).
    environment.globals.update(TEMPLATE_GLOBALS)
    environment.globals["language_menu"] = language_menu
    environment.filters.update(TEMPLATE_FILTERS)


def includeme(config) -> None:
    """Read the catalogs, negotiate each request's locale, give the templates gettext and Babel.

    Included after ``renderers`` (the Jinja2 environment) and the plugins' registration."""
    settings = config.get_settings()
    locales, default = settings["account.locales"], settings["locale.default"]
    if default not in locales:
        raise SettingsError(f"setting 'locale.default': {default!r} is not one of account.locales")
    plugin_packages = find_service(config.registry, IPluginHooks).packages()
    folders = [str(Path(str(files(spec.partition(":")[0]))) / spec.partition(":")[2]) for spec in LIBRARY_CATALOGS]
    for package in [DOMAIN, *plugin_packages]:
        folder = catalog_folder(package)
        if folder is not None:
            folders.append(str(folder))
    if settings["theme.translations"]:
        folder = settings["theme.translations"]
        if not os.path.isdir(folder):
            raise SettingsError(f"theme.translations: {folder!r} is not a folder")
        folders.append(os.path.abspath(folder))
    _warn_uncompiled(folders)
    languages = Languages(locales, default, folders, [DOMAIN, *plugin_packages])
    config.register_service(languages, ILanguages)
    for locale, localizer in languages.localizers.items():
        config.registry.registerUtility(localizer, ILocalizer, name=locale)
    config.set_locale_negotiator(negotiate_locale)
    # After pyramid_jinja2 has built the environment (its actions run at lower orders).
    config.action(None, lambda: _install_in_templates(config.get_jinja2_environment(".html")), order=999)


def _warn_uncompiled(folders: list[str]) -> None:
    """Say so when a catalog has no compiled ``.mo`` (the site then shows its texts in English)."""
    for folder in folders:
        for po in Path(folder).glob("*/LC_MESSAGES/*.po"):
            if not po.with_suffix(".mo").is_file():
                log.warning("%s is not compiled (run `make mo`): its language shows in English", po)
