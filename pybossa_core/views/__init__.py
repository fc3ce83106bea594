"""The web views: each returns a context dict and names its template (see ``pybossa_core.renderers``)."""
from __future__ import annotations

import re

from pybossa_core.contexts import AccountContext
from pybossa_core.interfaces import IAuthProviders, find_service


def includeme(config) -> None:
    providers = sorted(find_service(config.registry, IAuthProviders))
    config.add_route("account.index", "/account{slash:/?}")
    config.add_route("account.index.page", r"/account/page/{page:\d+}{slash:/?}")
    for name, path in (
        ("register", "register"),
        ("register_confirmation", "register/confirmation"),
        ("signin", "signin"),
        ("signout", "signout"),
        ("forgot_password", "forgot-password"),
        ("reset_password", "reset-password"),
        ("my_profile", "profile"),
        ("newsletter", "newsletter"),
        ("confirm_email", "confirm-email"),
        ("email_undo", "email-undo"),
    ):
        config.add_route(f"account.{name}", f"/account/{path}{{slash:/?}}")
    # Without providers the routes exist for the scanned views but match nothing ((?!) never matches).
    names = "|".join(re.escape(name) for name in providers) or "(?!)"
    config.add_route("account.auth.login", f"/account/{{provider:{names}}}/")
    config.add_route("account.auth.callback", f"/account/{{provider:{names}}}/oauth-authorized")
    config.add_route("account.projects", "/account/{name}/projects{slash:/?}")
    # The account's user manages it (or an admin): its context carries that rule.
    config.add_route("account.update", "/account/{name}/update{slash:/?}", factory=AccountContext)
    config.add_route("account.resetapikey", "/account/{name}/resetapikey{slash:/?}", factory=AccountContext)
    config.add_route("account.profile", "/account/{name}{slash:/?}")
    config.scan("pybossa_core.views")
