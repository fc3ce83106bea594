"""The Twitter importer against a stand-in for the X API v2 recent search (answers as documented)."""

from __future__ import annotations

import colander
import pytest
from pybossa_importer_twitter import TwitterImportForm, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import load_plugins

SEARCH = "/2/tweets/search/recent"


def tweet(number: int) -> dict:
    return {"id": f"17871{number:05d}", "text": f"A robin in the garden #birds {number}",
            "created_at": "2024-05-01T10:00:00.000Z", "author_id": "2244994945", "lang": "en",
            "conversation_id": f"17871{number:05d}", "edit_history_tweet_ids": [f"17871{number:05d}"],
            "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": 4, "quote_count": 0,
                               "bookmark_count": 0, "impression_count": 30},
            "entities": {"hashtags": [{"start": 22, "end": 28, "tag": "birds"}]}}


def page(tweets: list[dict], next_token: str | None = None) -> dict:
    """A recent-search answer: ``data`` (absent when empty) and ``meta``."""
    meta = {"result_count": len(tweets)}
    if tweets:
        meta.update(newest_id=tweets[0]["id"], oldest_id=tweets[-1]["id"])
    if next_token:
        meta["next_token"] = next_token
    return {"data": tweets, "meta": meta} if tweets else {"meta": meta}


def serve_search(server, query: str) -> None:
    server.add(SEARCH, page([tweet(n) for n in range(1, 11)], "b26v89c19zqg8o3fo"), query={"query": query})
    server.add(SEARCH, page([tweet(n) for n in range(11, 16)]), query={"query": query, "next_token": "b26v89c19zqg8o3fo"})


def run(server, source="#birds", max_tweets=200, bearer_token="AAAAT0k3n"):
    return list(tasks({"source": source, "max_tweets": max_tweets}, bearer_token=bearer_token,
                      api_url=server.url + "/2"))


def test_entry_point_registers_the_twitter_importer():
    assert "twitter" in [importer.name for importer in load_plugins({}).register_importers()]


def test_a_hashtag_search_pages_through_the_tweets(pybossa_web_service):
    serve_search(pybossa_web_service, "#birds")

    found = run(pybossa_web_service)

    assert [task["info"]["id"] for task in found] == [f"17871{n:05d}" for n in range(1, 16)]
    assert found[0] == {"info": tweet(1)}
    [(_, first, headers), (_, second, _)] = pybossa_web_service.requests
    assert headers["Authorization"] == "Bearer AAAAT0k3n"
    assert (first["max_results"], first["tweet.fields"]) == ("100", "id,text,created_at,author_id,lang,"
                                                             "conversation_id,public_metrics,entities")
    assert second["next_token"] == "b26v89c19zqg8o3fo"


def test_an_account_search_asks_for_its_tweets_and_stops_at_the_maximum(pybossa_web_service):
    serve_search(pybossa_web_service, "from:birdwatch")

    found = run(pybossa_web_service, source="@birdwatch", max_tweets=3)

    assert [task["info"]["id"] for task in found] == ["1787100001", "1787100002", "1787100003"]
    [(_, query, _)] = pybossa_web_service.requests
    assert query["max_results"] == "10"


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
         "Twitter answered with HTTP error 401: Unauthorized."),
        (429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
         "Twitter answered with HTTP error 429: Too Many Requests."),
        (400, {"errors": [{"parameters": {"query": ["#"]}, "message": "There were errors processing your request: "
                                                                      "Illegal character '#' at position 1"}],
               "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
               "type": "https://api.twitter.com/2/problems/invalid-request"},
         "Twitter answered with HTTP error 400: There were errors processing your request: "
         "Illegal character '#' at position 1."),
        (200, page([]), "Twitter has no tweets from the last seven days for #birds."),
        (200, {"meta": {"result_count": 0, "next_token": "b26v89c19zqg8o3fo"}},
         "Twitter has no tweets from the last seven days for #birds."),
        (200, {"data": [{"text": "no id"}], "meta": {"result_count": 1}},
         "Twitter answered with something that is not a list of tweets."),
        (200, ["not", "a", "result"], "Twitter answered with something that is not a search result."),
    ],
)
def test_what_twitter_refuses_or_garbles_fails_with_a_message(pybossa_web_service, status, answer, message):
    pybossa_web_service.add(SEARCH, answer, status=status)

    with pytest.raises(ImportFailed) as failure:
        run(pybossa_web_service)

    assert failure.value.message == message


def test_a_site_without_bearer_token_says_who_must_set_it(pybossa_web_service):
    with pytest.raises(ImportFailed, match="ask its administrator to set plugin.importer-twitter.bearer_token"):
        run(pybossa_web_service, bearer_token=None)
    assert pybossa_web_service.requests == []


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"source": "birds"}, {"source": "Enter a hashtag like #birds or an account like @birdwatch."}),
        ({"source": "@a_name_far_too_long"}, {"source": "Enter a hashtag like #birds or an account like @birdwatch."}),
        ({"source": "#birds OR #cats"}, {"source": "Enter a hashtag like #birds or an account like @birdwatch."}),
        ({"source": "#birds", "max_tweets": "0"}, {"max_tweets": "Import at least 1 tweet."}),
        ({"source": "#birds", "max_tweets": "5000"}, {"max_tweets": "Import at most 1000 tweets."}),
    ],
)
def test_form_refuses_bad_input(form, errors):
    with pytest.raises(colander.Invalid) as failure:
        TwitterImportForm().deserialize(form)

    assert failure.value.asdict() == errors


def test_form_defaults_to_200_tweets():
    assert TwitterImportForm().deserialize({"source": "@birdwatch"}) == {"source": "@birdwatch", "max_tweets": 200}


@pytest.fixture
def pybossa_settings(pybossa_web_service):
    """The test site's settings: the importer calls the stand-in, which the site may reach."""
    return {
        "outbound.allowed_internal_hosts": pybossa_web_service.host,
        "plugin.importer-twitter.bearer_token": "AAAAT0k3n",
        "plugin.importer-twitter.api_url": pybossa_web_service.url + "/2",
    }


def test_importing_tweets_through_the_view_creates_their_tasks(pybossa_web_service, owner):
    serve_search(pybossa_web_service, "#birds")

    body = owner.import_tasks({"type": "twitter", "source": "#birds", "max_tweets": "12"})

    assert body["flash"] == "12 new tasks were imported successfully"
    assert owner.task_infos()[11] == tweet(12)
