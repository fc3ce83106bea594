"""Import tasks from recent tweets with a hashtag or by a user, as PYBOSSA's ``twitter`` importer does.

The importer calls the X (Twitter) API v2 recent search (``GET /2/tweets/search/recent``, the
last seven days, following ``meta.next_token``) with the site's app bearer token: ``#tag``
searches the hashtag, ``@name`` the account's own tweets (``from:name``). Settings
(``plugin.importer-twitter.<key>``): ``bearer_token`` (required to import) and ``api_url``
(default ``https://api.twitter.com/2``, so tests can stand in for the API).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImportFailed, ImporterSpec, fetch_json, hookimpl, plugin_settings

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_twitter")

PLUGIN_ID = "importer-twitter"
DEFAULT_API_URL = "https://api.twitter.com/2"
SOURCE = "Twitter"
#: The tweet fields asked for; each becomes a field of the task's ``info``.
TWEET_FIELDS = "id,text,created_at,author_id,lang,conversation_id,public_metrics,entities"
#: The page sizes the recent search accepts.
MIN_PAGE, MAX_PAGE = 10, 100
DEFAULT_MAX_TWEETS = 200
MAX_TWEETS = 1000


class TwitterImportForm(colander.MappingSchema):
    """The import form: what to search (``#hashtag`` or ``@user``) and how many tweets at most."""

    source = colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(
            r"^(#\w{1,100}|@\w{1,15})$",
            _("Enter a hashtag like #birds or an account like @birdwatch."),
        ),
    )
    max_tweets = colander.SchemaNode(
        colander.Integer(),
        validator=colander.Range(1, MAX_TWEETS, min_err=_("Import at least 1 tweet."),
                                 max_err=_("Import at most ${max} tweets.")),
        missing=DEFAULT_MAX_TWEETS,
    )


def search_query(source: str) -> str:
    """Return the recent-search query for a form's ``source``."""
    return source if source.startswith("#") else f"from:{source[1:]}"


def explain_error(body: bytes) -> str | None:
    """Return the API's own explanation of an error answer (``errors[].message`` or ``detail``)."""
    try:
        problem = json.loads(body)
        messages = [error["message"] for error in problem.get("errors", [])] or [problem["detail"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return " ".join(str(message).rstrip(".") + "." for message in messages)


def tweet_pages(query: str, limit: int, *, bearer_token: str, api_url: str) -> Iterator[list[Any]]:
    """Yield the tweets of each page of the recent search for ``query`` until ``limit`` are seen."""
    params: dict[str, Any] = {"query": query, "tweet.fields": TWEET_FIELDS}
    seen = 0
    while seen < limit:
        params["max_results"] = min(max(limit - seen, MIN_PAGE), MAX_PAGE)
        answer = fetch_json(f"{api_url.rstrip('/')}/tweets/search/recent", source=SOURCE, params=params,
                            headers={"Authorization": f"Bearer {bearer_token}"}, explain=explain_error)
        if not isinstance(answer, dict) or not isinstance(answer.get("meta"), dict):
            raise ImportFailed(_("${source} answered with something that is not a search result.", mapping={"source": SOURCE}))
        # A search that finds nothing has no "data" at all.
        tweets = answer.get("data", [])
        if not isinstance(tweets, list) or not all(isinstance(tweet, dict) and "id" in tweet for tweet in tweets):
            raise ImportFailed(_("${source} answered with something that is not a list of tweets.", mapping={"source": SOURCE}))
        yield tweets
        seen += len(tweets)
        if not tweets or not answer["meta"].get("next_token"):
            return
        params["next_token"] = answer["meta"]["next_token"]


def tasks(
    data: Mapping[str, Any], *, bearer_token: str | None, api_url: str = DEFAULT_API_URL
) -> Iterator[dict[str, Any]]:
    """Yield a task for each tweet found for the validated form ``data``, newest first."""
    if not bearer_token:
        raise ImportFailed(
            _("This site has no Twitter bearer token: ask its administrator to set plugin.importer-twitter.bearer_token."))
    limit = data.get("max_tweets", DEFAULT_MAX_TWEETS)
    found = [tweet for page in tweet_pages(search_query(data["source"]), limit, bearer_token=bearer_token,
                                           api_url=api_url) for tweet in page][:limit]
    if not found:
        raise ImportFailed(_("${source} has no tweets from the last seven days for ${source2}.", mapping={"source": SOURCE, "source2": data['source']}))
    for tweet in found:
        yield {"info": tweet}


@hookimpl
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Register the ``twitter`` importer with the site's bearer token and endpoint."""
    own = plugin_settings(settings, PLUGIN_ID)
    return [
        ImporterSpec(
            name="twitter",
            title=_("Tweets"),
            schema_factory=TwitterImportForm,
            form_template="form.html",
            tasks=functools.partial(
                tasks, bearer_token=own.get("bearer_token"), api_url=own.get("api_url") or DEFAULT_API_URL
            ),
        )
    ]
