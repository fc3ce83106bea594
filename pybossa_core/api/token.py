"""``/api/token`` and ``/api/token/<provider>``: the signed-in user's own OAuth tokens."""
from __future__ import annotations

from pybossa_core.api.describe import simple_get
from pybossa_core.errors import MethodNotAllowed, NotFound
from pybossa_core.interfaces import IAuthProviders
from pybossa_core.security import require_user

#: PYBOSSA's providers; a sign-in plugin's provider is served too.
PROVIDERS = ("twitter", "facebook", "google")


def user_tokens(info, providers) -> dict[str, dict[str, str]]:
    """Return ``{"<provider>_token": {"oauth_token": ..., ["oauth_token_secret": ...]}}`` from a user's info."""
    info = info if isinstance(info, dict) else {}
    tokens = {}
    for provider in providers:
        value = info.get(f"{provider}_token")
        if isinstance(value, dict) and value.get("oauth_token"):
            token = {"oauth_token": value["oauth_token"]}
            if value.get("oauth_token_secret"):
                token["oauth_token_secret"] = value["oauth_token_secret"]
            tokens[f"{provider}_token"] = token
    return tokens


def token_view(request):
    if request.method != "GET":
        raise MethodNotAllowed(target="token")
    user = require_user(request.identity)
    providers = dict.fromkeys([*PROVIDERS, *request.find_service(IAuthProviders)])
    tokens = user_tokens(user.info, providers)
    provider = request.matchdict.get("provider")
    if provider is None:
        return tokens
    name = f"{provider}_token"
    if name not in tokens:
        raise NotFound(target="token")
    return {name: tokens[name]}


#: Each provider's OAuth tokens, by provider.
TOKENS = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "properties": {"oauth_token": {"type": "string"}, "oauth_token_secret": {"type": "string"}},
        "required": ["oauth_token"],
        "additionalProperties": False,
    },
}


def includeme(config) -> None:
    config.add_route("api.token", "/api/token{slash:/?}")
    config.add_route("api.token.provider", "/api/token/{provider}{slash:/?}")
    config.add_view(token_view, route_name="api.token", renderer="json", describe=simple_get(TOKENS, "auth"))
    config.add_view(token_view, route_name="api.token.provider", renderer="json", describe=simple_get(TOKENS, "auth"))
