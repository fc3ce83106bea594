"""Signing in with a provider (Twitter, Facebook, Google): the OAuth round trip for any auth plugin.

``/account/<provider>/`` asks the plugin where to send the visitor and keeps
what it needs in an encrypted cookie; ``/account/<provider>/oauth-authorized``
is where the provider sends them back.  The plugin turns that answer into a
profile; the core finds or creates the account and signs it in.
"""
from __future__ import annotations

import logging
import secrets

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config

from pybossa_core import sessions
from pybossa_core.i18n import _
from pybossa_core.interfaces import IAuthProviders
from pybossa_core.plugin_api import PluginError
from pybossa_core.renderers import redirect
from pybossa_core.services import link_keys, oauth_signin
from pybossa_core.web import safe_next

log = logging.getLogger(__name__)

COOKIE_NAME = "pybossa_oauth"
#: How long a visitor may take at the provider.
ROUND_TRIP_SECONDS = 600


def _provider(request):
    spec = request.find_service(IAuthProviders).get(request.matchdict["provider"])
    if spec is None or not spec.enabled or spec.start is None or spec.finish is None:
        raise HTTPNotFound()
    return spec


def _keys(request) -> link_keys.LinkKeys:
    return link_keys.LinkKeys(request.registry.settings["secret"])


@view_config(route_name="account.auth.login")
def login(request):
    """Send the visitor to the provider, remembering the state and where to go afterwards."""
    spec = _provider(request)
    state = secrets.token_urlsafe(24)
    callback_url = request.route_url("account.auth.callback", provider=spec.name)
    try:
        authorize_url, stash = spec.start(callback_url, state)
    except PluginError as error:
        log.warning("%s sign-in could not start: %s", spec.name, error)
        return HTTPFound(location=request.route_path("account.signin", slash=""))
    cookie = _keys(request).make(
        "oauth-round-trip",
        {"provider": spec.name, "state": state, "stash": stash, "next": safe_next(request.GET.get("next"))},
    )
    response = HTTPFound(location=authorize_url)
    response.set_cookie(
        COOKIE_NAME, cookie, max_age=ROUND_TRIP_SECONDS, path="/account/", httponly=True,
        secure=request.registry.settings["session.secure_cookie"], samesite="lax",
    )
    return response


ROUND_TRIP_LOST = _("Your sign-in took too long or was not started here. Please try again.")


def _forget_round_trip(request) -> None:
    request.add_response_callback(lambda request, response: response.delete_cookie(COOKIE_NAME, path="/account/"))


def _failed(request, message: str):
    _forget_round_trip(request)
    return redirect(request.route_path("account.signin", slash=""), status="error", flash=message)


@view_config(route_name="account.auth.callback", renderer="account/signin.html")
def callback(request):
    """Finish the round trip: check it is ours, get the profile, sign the account in."""
    spec = _provider(request)
    try:
        trip = _keys(request).load("oauth-round-trip", request.cookies.get(COOKIE_NAME, ""), max_age=ROUND_TRIP_SECONDS)
    except link_keys.BadKey:
        return _failed(request, ROUND_TRIP_LOST)
    params = dict(request.GET.items())
    if trip.get("provider") != spec.name or (spec.checks_state and params.get("state") != trip.get("state")):
        return _failed(request, ROUND_TRIP_LOST)
    if "error" in params or "denied" in params:
        return _failed(request, _("You denied the request to sign in with ${provider}.", mapping={"provider": spec.title}))
    try:
        profile = spec.finish(params, trip.get("stash") or {}, request.route_url("account.auth.callback", provider=spec.name))
    except PluginError as error:
        log.warning("%s sign-in failed: %s", spec.name, error)
        return _failed(request, _("Sorry, ${provider} did not let you sign in. Please try again.", mapping={"provider": spec.title}))
    user, problem = oauth_signin.sign_in_with_profile(request.dbsession, profile)
    if user is None:
        return _failed(request, problem)
    sessions.start_session(request, user)
    _forget_round_trip(request)
    return redirect(trip.get("next") or "/", status="success", flash=_("Welcome back ${fullname}", mapping={"fullname": user.fullname}))
