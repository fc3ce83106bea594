"""``info=key::words&fulltextsearch=1``: ranked, highlighted search in the first-level keys of ``info``."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.models import Announcement, Blogpost, HelpingMaterial, Page, User


def search(testapp, domain: str, info: str, status: int = 200, **params):
    return testapp.get(f"/api/{domain}", {"info": info, "fulltextsearch": "1", **params}, status=status).json


def ids(body) -> list[int]:
    return [item["id"] for item in body]


@pytest.fixture
def project(make):
    return make.project(make.user())


def test_finds_the_stemmed_word_in_the_key_with_headline_and_rank(testapp, make, project):
    runner = make.task(project, info={"name": "The dog runs in the park", "url": "https://example.com/1.png"})
    make.task(project, info={"name": "A cat sleeps"})
    body = search(testapp, "task", "name::running")
    assert ids(body) == [runner.id]
    assert body[0]["info"] == runner.info and body[0]["project_id"] == project.id
    assert "<b>runs</b>" in body[0]["headline"]
    assert body[0]["headline"].replace("<b>", "").replace("</b>", "") == "The dog runs in the park"
    assert isinstance(body[0]["rank"], float) and body[0]["rank"] > 0


def test_words_joined_by_an_escaped_ampersand_must_all_be_there(testapp, make, project):
    both = make.task(project, info={"name": "Lore ipsum delta bravo"})
    make.task(project, info={"name": "Lore ipsum delta"})
    body = testapp.get(f"/api/task?project_id={project.id}&info=name::ipsum%26bravo&fulltextsearch=1").json
    assert ids(body) == [both.id]
    assert "<b>ipsum</b>" in body[0]["headline"] and "<b>bravo</b>" in body[0]["headline"]


def test_several_keys_are_anded_and_the_first_key_gives_headline_and_rank(testapp, make, project):
    both = make.task(project, info={"name": "red apple", "kind": "fruit from the orchard"})
    make.task(project, info={"name": "red apple", "kind": "wax model"})
    make.task(project, info={"name": "green pear", "kind": "fruit"})
    body = search(testapp, "task", "name::apple|kind::fruit")
    assert ids(body) == [both.id]
    assert body[0]["headline"] == "red <b>apple</b>"
    assert search(testapp, "task", "name::apple|kind::fruit&orchard|name::red") == body
    assert search(testapp, "task", "name::apple|kind::banana") == []


def test_only_the_named_first_level_string_key_is_searched(testapp, make, project):
    make.task(project, info={"name": "plain", "other": "needle", "nested": {"name": "needle"}, "count": 7})
    make.task(project, info={"name": 7})
    make.task(project, info=["needle"])
    assert search(testapp, "task", "name::needle") == []
    assert search(testapp, "task", "nested::needle") == []
    assert search(testapp, "task", "count::7") == []
    assert search(testapp, "task", "name::7") == []
    assert len(search(testapp, "task", "other::needle")) == 1


def test_results_are_sorted_best_rank_first(testapp, make, project):
    weak = make.task(project, info={"text": "owl at night, then a long list of other birds: crow, jay, wren, finch, lark"})
    strong = make.task(project, info={"text": "owl owl owl"})
    body = search(testapp, "task", "text::owl")
    assert ids(body) == [strong.id, weak.id]
    assert body[0]["rank"] > body[1]["rank"] > 0


def test_a_phrase_between_ampersands_matches_its_words_in_order(testapp, make, project):
    in_order = make.task(project, info={"text": "the big red barn"})
    make.task(project, info={"text": "the red big barn"})
    assert ids(search(testapp, "task", "text::big red")) == [in_order.id]
    assert len(search(testapp, "task", "text::big&red")) == 2


def test_no_match_is_an_empty_list(testapp, make, project):
    make.task(project, info={"name": "something"})
    assert search(testapp, "task", "name::nothing") == []
    assert search(testapp, "task", "missing::something") == []
    assert search(testapp, "project", "name::something") == []


def test_other_filters_limit_offset_and_last_id_still_apply(testapp, make, project):
    # Adjacent repetitions rank higher on both back ends (ts_rank_cd ties one and two).
    tasks = [make.task(project, info={"text": "fox " * count}) for count in range(2, 8)]
    other = make.task(make.project(make.user()), info={"text": "fox " * 9})
    best_first = [task.id for task in reversed(tasks)]
    assert ids(search(testapp, "task", "text::fox", limit=100)) == [other.id, *best_first]
    assert ids(search(testapp, "task", "text::fox", project_id=project.id)) == best_first
    assert ids(search(testapp, "task", "text::fox", project_id=project.id, limit=2, offset=1)) == best_first[1:3]
    assert ids(search(testapp, "task", "text::fox", project_id=project.id, last_id=tasks[2].id)) == best_first[:3]
    assert ids(search(testapp, "task", "text::fox", project_id=project.id, state="completed")) == []


def test_others_drafts_are_not_found_but_the_owner_finds_his(testapp, make):
    owner, other = make.user(), make.user()
    draft = make.project(owner, published=False, info={"summary": "secret whales"})
    published = make.project(other, info={"summary": "public whales"})
    assert ids(search(testapp, "project", "summary::whales")) == [published.id]
    assert ids(search(testapp, "project", "summary::whales", api_key=other.api_key, all="1")) == [published.id]
    assert ids(search(testapp, "project", "summary::whales", api_key=owner.api_key)) == [draft.id]
    assert set(ids(search(testapp, "project", "summary::whales", api_key=make.admin().api_key, all="1"))) == {
        draft.id, published.id,
    }


def test_users_are_searched_by_admins_only(testapp, make):
    user = make.user(info={"bio": "Amateur astronomer"})
    error = search(testapp, "user", "bio::astronomy", status=415, api_key=make.user().api_key)
    assert error["exception_cls"] == "AttributeError"
    body = search(testapp, "user", "bio::astronomer", api_key=make.admin().api_key)
    assert ids(body) == [user.id] and body[0]["headline"] == "Amateur <b>astronomer</b>"


def test_deleted_and_changed_objects_are_searched_as_they_are_now(testapp, make, project, dbsession):
    gone = make.task(project, info={"name": "ephemeral mayfly"})
    changed = make.task(project, info={"name": "old caterpillar"})
    dbsession.delete(gone)
    changed.info = {"name": "new butterfly"}
    dbsession.flush()
    assert search(testapp, "task", "name::mayfly") == []
    assert search(testapp, "task", "name::caterpillar") == []
    assert ids(search(testapp, "task", "name::butterfly")) == [changed.id]


def test_deleting_through_the_api_and_by_cascade_removes_search_rows(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner, info={"summary": "moths"})
    task = make.task(project, info={"name": "moth at the lamp"})
    doomed = make.task(project, info={"name": "moth in the wardrobe"})
    run = make.task_run(task, make.user(), info={"answer": "a moth"})
    testapp.delete(f"/api/task/{doomed.id}?api_key={owner.api_key}", status=204)
    assert ids(search(testapp, "task", "name::moth")) == [task.id]
    assert ids(search(testapp, "taskrun", "answer::moth")) == [run.id]
    testapp.delete(f"/api/project/{project.id}?api_key={owner.api_key}", status=204)
    assert search(testapp, "task", "name::moth") == []
    assert search(testapp, "taskrun", "answer::moth") == []
    assert search(testapp, "project", "summary::moth") == []
    rows = dbsession.execute(sa.text("SELECT count(*) FROM search_text WHERE object_id IN (:a, :b, :c)"),
                             {"a": task.id, "b": doomed.id, "c": run.id}).scalar()
    assert rows == 0


def test_objects_created_and_updated_through_the_api_are_found(testapp, make, project, dbsession):
    owner_key = dbsession.get(User, project.owner_id).api_key
    created = testapp.post_json(f"/api/task?api_key={owner_key}", {"project_id": project.id, "info": {"q": "hummingbird"}}).json
    assert ids(search(testapp, "task", "q::hummingbird")) == [created["id"]]
    testapp.put_json(f"/api/task/{created['id']}?api_key={owner_key}", {"info": {"q": "kingfisher"}})
    assert search(testapp, "task", "q::hummingbird") == []
    assert ids(search(testapp, "task", "q::kingfisher")) == [created["id"]]


def _content(dbsession, model, **fields):
    obj = model(**fields)
    dbsession.add(obj)
    dbsession.flush()
    return obj


DOMAINS = ["project", "category", "task", "taskrun", "result", "blogpost", "helpingmaterial", "announcement", "page", "user"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_with_info_is_searchable(testapp, make, dbsession, domain):
    admin = make.admin()
    info = {"note": "Zebras were grazing"}
    project = make.project(admin)
    task = make.task(project)
    make_one = {
        "project": lambda: make.project(admin, info=info),
        "category": lambda: make.category(info=info),
        "task": lambda: make.task(project, info=info),
        "taskrun": lambda: make.task_run(task, admin, info=info),
        "result": lambda: make.result(task, [], info=info),
        "blogpost": lambda: _content(dbsession, Blogpost, project_id=project.id, title="t", info=info, published=True),
        "helpingmaterial": lambda: _content(dbsession, HelpingMaterial, project_id=project.id, info=info),
        "announcement": lambda: _content(dbsession, Announcement, title="t", info=info, published=True),
        "page": lambda: _content(dbsession, Page, project_id=project.id, slug="about", info=info),
        "user": lambda: make.user(info=info),
    }
    wanted = make_one[domain]()
    body = search(testapp, domain, "note::zebra&graze", api_key=admin.api_key, all="1")
    assert ids(body) == [wanted.id]
    assert body[0]["headline"] == "<b>Zebras</b> were <b>grazing</b>"
    assert body[0]["rank"] > 0


def test_stored_unicode_and_punctuation_are_searched(testapp, make, project):
    cafe = make.task(project, info={"text": "Un café à Zürich, s'il vous plaît"})
    tokyo = make.task(project, info={"text": "東京 タワー"})
    mail = make.task(project, info={"text": "write to ada@example.org"})
    assert ids(search(testapp, "task", "text::café")) == [cafe.id]
    assert ids(search(testapp, "task", "text::Zürich")) == [cafe.id]
    assert ids(search(testapp, "task", "text::東京")) == [tokyo.id]
    assert ids(search(testapp, "task", "text::ada@example.org")) == [mail.id]


@pytest.mark.parametrize(
    "info",
    [
        "name::fox&&dog", "name::&fox", "name::fox&", "name::fox|", "name::!fox", "name::fox:*", "name::fox*",
        'name::"fox', 'name::fox"', 'name::""fox""', "name::(fox", "name::fox)", "name::fox\\", "name::'fox'",
        "name::{fox}", "name::^fox", "name::-fox", "name::fox;", "name::!!!&fox&???",
    ],
)
def test_query_syntax_in_the_words_is_only_text(testapp, make, project, info):
    fox = make.task(project, info={"name": "The quick brown fox jumps over the lazy dog"})
    body = search(testapp, "task", info)
    assert ids(body) == [fox.id] and "<b>fox</b>" in body[0]["headline"]


@pytest.mark.parametrize(
    "info",
    [
        "name::fox | dog", 'name::"fox" OR "dog"', "name::fox NEAR dog", "name::NEAR(fox dog)", "name::fox OR dog", "name::fox AND",
        "name::NOT fox", "name::fox<->dog", "name::fox <2> dog", "name::fox:dog", "name::name:fox",
        "name::fox;DROP TABLE task", "name::%", "name::fox%00", "name::Ünïcödé ✓ 🦊", "name::the", "name::a&the&of",
        "name::" + "fox " * 150, "name::" + "&fox" * 16, "na'me::fox", 'na"me::fox', "name::fox::dog", "name::*",
        "name::" + "ﷺ" * 300, "name::\u0000", "name::\x00",
    ],
)
def test_malformed_searches_answer_a_list_or_a_clear_400(testapp, make, project, info):
    make.task(project, info={"name": "The quick brown fox jumps over the lazy dog"})
    response = testapp.get("/api/task", {"info": info, "fulltextsearch": "1"}, expect_errors=True)
    assert response.status_int in (200, 400), response.text
    if response.status_int == 200:
        assert isinstance(response.json, list)
    else:
        assert response.json["exception_cls"] == "BadRequest" and response.json["exception_msg"]


@pytest.mark.parametrize(
    "info, message",
    [
        ("name::", "no word"),
        ("name::&&", "no word"),
        ("name::!!! ***", "no word"),
        ("name::  ", "no word"),
        ("name", "key::words"),
        ("::fox", "key::words"),
        ("|", "needs info"),
        ("name::fox\x00", "NUL"),
        ("name::" + "x" * 1001, "longer than"),
        ("name::" + "&fox" * 17, "at most 16"),
        ("|".join(f"k{i}::fox" for i in range(11)), "at most 10 keys"),
    ],
)
def test_searches_without_words_or_too_large_are_a_clear_400(testapp, make, project, info, message):
    error = search(testapp, "task", info, status=400)
    assert error["status"] == "failed" and error["status_code"] == 400 and error["exception_cls"] == "BadRequest"
    assert message in error["exception_msg"]


def test_fulltextsearch_flag_must_be_boolean_and_off_means_exact_match(testapp, make, project):
    exact = make.task(project, info={"name": "fox"})
    make.task(project, info={"name": "the fox"})
    search(testapp, "task", "name::fox", status=400, fulltextsearch="maybe")
    body = testapp.get("/api/task", {"info": "name::fox", "fulltextsearch": "0"}).json
    assert ids(body) == [exact.id] and "headline" not in body[0]
    assert testapp.get("/api/task", {"fulltextsearch": "1", "project_id": project.id}).json[0].keys() == body[0].keys()


def test_search_with_related_keeps_headline_and_rank(testapp, make, project):
    task = make.task(project, info={"name": "heron"})
    body = search(testapp, "task", "name::heron", related="1")
    assert ids(body) == [task.id] and body[0]["headline"] == "<b>heron</b>" and "task_runs" in body[0]

