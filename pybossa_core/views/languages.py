"""The language switcher's choice (docs/i18n.md): every page's menu posts here.

Anonymous visitors' menu links to the same page with ``?lang=xx`` (the negotiator keeps it in
the ``lang`` cookie). A signed-in user's language is their profile's ``locale``, which wins over
``lang``: their menu is a small POST form (with the CSRF token, as any change of stored state)
that stores the choice in the profile, then goes back to the page. A language the site does not
offer changes nothing.
"""
from __future__ import annotations

from pyramid.view import view_config

from pybossa_core.i18n import LANG_COOKIE, LANG_COOKIE_MAX_AGE
from pybossa_core.interfaces import ILanguages
from pybossa_core.renderers import redirect
from pybossa_core.web import form_data, safe_next


# The template only lets a browser's redirect become a 302 (renderers.redirect_answer).
@view_config(route_name="site.language", renderer="base.html")
def choose_language(request):
    """POST ``locale`` (one of ``account.locales``) and ``next`` (a path of this site); a GET only
    goes back to ``next``."""
    data = form_data(request) if request.method == "POST" else dict(request.GET)
    back = safe_next(str(data.get("next") or "") or None)
    chosen = request.find_service(ILanguages).find(str(data.get("locale") or ""))
    if chosen is None or request.method != "POST":
        return redirect(back)
    if request.identity is not None:
        request.identity.locale = chosen
    request.add_response_callback(lambda request, response: response.set_cookie(
        LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, path="/", samesite="Lax"))
    return redirect(back)


def includeme(config) -> None:
    config.add_route("site.language", "/language")
