"""The site's own pages: home, global stats, the leaderboard, announcements and help.

Every view answers the spec's JSON (and, once templates exist, the HTML of the template it
names).  The home page, the stats and the leaderboard are kept in the site's cache
(``site`` namespace) until a write of users, projects, categories, tasks or task runs.
"""
from __future__ import annotations

from html import escape

from pyramid.i18n import TranslationString
from pyramid.view import view_config

from pybossa_core.i18n import _
from pybossa_core.interfaces import ICache, IStatsCalculators
from pybossa_core.models.figure_counts import hour_of
from pybossa_core.models.meta import utcnow
from pybossa_core.services import community, figures, stats
from pybossa_core.services.cache import SITE
from pybossa_core.sessions import csrf_token


def _cache(request):
    return request.find_service(ICache)


@view_config(route_name="site.home", renderer="/home/index.html", page_cache=True)
def home(request):
    session = request.dbsession

    def create():
        top = community.top_users(session, stats.HOME_TOP_USERS)
        return {**stats.home(session, [stats.leader_entry(entry) for entry in top]),
                "update_feed": community.update_feed(session)}

    return dict(_cache(request).get_or_create(SITE, "home", create, may_lag=True))


@view_config(route_name="site.stats", renderer="/stats/global.html", page_cache=True)
def global_stats(request):
    recompute = figures.calculator(request.find_service(IStatsCalculators), "site")
    if recompute is None:
        return {"title": _("Global Statistics"), **figures.not_computed("site"), "template": figures.NOT_COMPUTED_TEMPLATE}
    now = utcnow()
    # Cached per hour too: the 24-hour lists move with the hour, written to or not.
    site_figures = _cache(request).get_or_create(
        SITE, f"stats:{hour_of(now).isoformat()}", lambda: recompute(request.dbsession, now), may_lag=True)
    figures.show(request, "site", site_figures)
    # GeoIP is off: no locations of anonymous contributors (PYBOSSA sends them JSON-encoded).
    return {**site_figures, "title": _("Global Statistics"), "locs": "[]", "show_locs": False}


@view_config(route_name="site.leaderboard", renderer="/stats/index.html", page_cache=True)
@view_config(route_name="site.leaderboard.window", renderer="/stats/index.html", page_cache=True)
def leaderboard(request):
    window = int(request.matchdict.get("window", 0))
    top = community.leaderboard(request.dbsession, request.identity, cache=_cache(request), window=window)
    return {"title": _("Community Leaderboard"), "top_users": [stats.leader_entry(entry) for entry in top]}


@view_config(route_name="site.announcements", renderer="announcements/index.html")
def announcements(request):
    return {
        "title": _("Announcements"),
        "announcements": stats.published_announcements(request.dbsession),
        "csrf": csrf_token(request),
    }


# -- help -----------------------------------------------------------------------------------


def _page(request, *paragraphs: TranslationString) -> str:
    """Return a help text as simplified HTML in the page's language, the site's brand in place of ``${brand}``."""
    brand = escape(request.registry.settings["site.brand"])
    body = "".join(f"<p>{request.localizer.translate(paragraph, mapping={'brand': brand})}</p>" for paragraph in paragraphs)
    return f"<html><body>{body}</body></html>"


@view_config(route_name="site.help.api", renderer="help/api.html")
def help_api(request):
    return {"title": _("API Help"), "project_id": stats.example_project_id(request.dbsession)}


@view_config(route_name="site.help.privacy", renderer="help/privacy.html")
def help_privacy(request):
    content = _page(
        request,
        _("${brand} keeps what you give when you register (name, e-mail address, password hash) and the answers "
          "you contribute. Answers are shared with the projects' owners and may be published as their results."),
        _("The addresses of anonymous contributors are kept only in a one-way anonymised form."),
        _("You may change your profile, hide it with privacy mode, or ask the site's administrators to delete it."),
    )
    return {"title": _("Privacy Policy"), "content": content}


@view_config(route_name="site.help.cookies", renderer="help/cookies_policy.html")
def help_cookies(request):
    content = _page(
        request,
        _("${brand} sets one cookie: the session cookie that keeps you signed in and protects forms against "
          "cross-site requests. It is deleted when you sign out."),
        _("When you choose a language, a second cookie, lang, keeps your choice for a year."),
        _("No advertising or tracking cookies are set by the site itself."),
    )
    return {"title": _("Help: Cookies Policy"), "content": content}


@view_config(route_name="site.help.tos", renderer="help/tos.html")
def help_tos(request):
    content = _page(
        request,
        _("By contributing to ${brand} you agree that your answers may be used and published by the projects "
          "you contribute to."),
        _("Be respectful: do not submit answers meant to mislead a project, and do not try to disrupt the site."),
        _("The site is offered as is; its administrators may suspend accounts that break these terms."),
    )
    return {"title": _("Help: Terms of Use"), "content": content}


def includeme(config) -> None:
    config.add_route("site.home", "/")
    config.add_route("site.stats", "/stats{slash:/?}")
    # The first view in a new hour moves the 24-hour lists' window (figure_counts.advance_day): it
    # reads without SQLite's write lock, and takes it only then.
    config.mark_writing_route("site.stats", late=True)
    config.add_route("site.leaderboard", "/leaderboard{slash:/?}")
    config.add_route("site.leaderboard.window", r"/leaderboard/window/{window:\d+}{slash:/?}")
    config.add_route("site.announcements", "/announcements{slash:/?}")
    config.add_route("site.help.api", "/help/api{slash:/?}")
    config.add_route("site.help.privacy", "/help/privacy{slash:/?}")
    config.add_route("site.help.cookies", "/help/cookies-policy{slash:/?}")
    config.add_route("site.help.tos", "/help/terms-of-use{slash:/?}")
