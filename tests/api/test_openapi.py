"""/api/openapi.json: a valid OpenAPI 3.1 description of every /api route, true to what the API accepts."""
from __future__ import annotations

import json
import re

import colander
import hypothesis
import jsonschema
import pytest
import schemathesis
from openapi_spec_validator import validate
from pyramid.config import Configurator

from pybossa_core.api import ResourceViews
from pybossa_core.api.describe import ref, simple_get
from pybossa_core.api.openapi import build_document
from pybossa_core.services.projects import RESERVED_SHORT_NAMES
from pybossa_core.models import Project, TaskRun
from pybossa_core.schemas.api import body_schema
from pybossa_core.schemas.jsonschema import UntranslatableNode, node_schema, validator_schema
from pybossa_core.schemas.query import CONTROL_KEYS


@pytest.fixture
def document(testapp) -> dict:
    return testapp.get("/api/openapi.json").json


def schema_validator(document: dict, component: str) -> jsonschema.Draft202012Validator:
    """Return a validator for the document's schema ``component`` (its references resolved in the document)."""
    return jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{component}", "components": document["components"]})


def conforms(document: dict, component: str, instance) -> bool:
    return schema_validator(document, component).is_valid(instance)


def assert_conforms(document: dict, component: str, instance) -> None:
    schema_validator(document, component).validate(instance)


def api_routes(app) -> dict[str, str]:
    """Every route the application registers under /api, by name, as an OpenAPI path."""
    routes = {}
    for entry in app.registry.introspector.get_category("routes"):
        route = entry["introspectable"]
        if route["pattern"] == "/api" or route["pattern"].startswith("/api/"):
            path = route["pattern"].replace("{slash:/?}", "")
            routes[route["name"]] = re.sub(r"\{(\w+):[^{}]*\}", r"{\1}", path)
    return routes


def api_resources(app) -> list:
    """The generic resources the application serves (found from their views)."""
    found = {}
    for entry in app.registry.introspector.get_category("views"):
        owner = getattr(entry["introspectable"]["callable"], "__self__", None)
        if isinstance(owner, ResourceViews):
            found[owner.resource.name] = owner.resource
    return list(found.values())


class Volunteer(colander.MappingSchema):
    name = colander.SchemaNode(
        colander.String(), validator=colander.All(colander.Length(min=3, max=20), colander.Regex(r"^[a-z]+$"))
    )
    age = colander.SchemaNode(colander.Integer(), validator=colander.Range(min=0, max=150), missing=colander.drop)
    score = colander.SchemaNode(colander.Float(), missing=colander.drop)
    active = colander.SchemaNode(colander.Boolean(), default=True, missing=colander.drop)
    joined = colander.SchemaNode(colander.DateTime(), missing=colander.drop, description="when they joined")
    level = colander.SchemaNode(colander.String(), validator=colander.OneOf(["new", "expert"]), missing=colander.drop)
    tags = colander.SchemaNode(
        colander.Sequence(), colander.SchemaNode(colander.String()), validator=colander.Length(max=5), missing=colander.drop
    )


def test_colander_nodes_translate_to_json_schema():
    assert node_schema(Volunteer()) == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 3, "maxLength": 20, "pattern": "^[a-z]+$"},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "score": {"type": "number"},
            "active": {"type": "boolean", "default": True},
            "joined": {"type": "string", "format": "date-time", "description": "when they joined"},
            "level": {"type": "string", "enum": ["new", "expert"]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        },
        "additionalProperties": True,
        "required": ["name"],
    }


def test_tighter_bound_wins_and_both_patterns_apply():
    validator = colander.All(colander.Range(min=1), colander.Range(min=-5, max=9), colander.Regex("a"), colander.Regex("b"))
    assert validator_schema(validator, "integer") == {
        "minimum": 1, "maximum": 9, "allOf": [{"pattern": "a"}, {"pattern": "b"}],
    }


class Colour(colander.SchemaType):
    """A type the translator was never taught."""


def test_unknown_types_fail_loudly_and_unknown_validators_are_reported():
    with pytest.raises(UntranslatableNode):
        node_schema(colander.SchemaNode(Colour()))
    assert validator_schema(lambda node, value: None, "string") is None


def test_document_is_valid_openapi_3_1_with_or_without_trailing_slash(testapp, document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert testapp.get("/api/openapi.json/").json == document


def test_every_api_route_the_app_registers_is_described(app, document):
    routes = api_routes(app)
    assert {"api.project", "api.newtask", "api.project.newtask", "api.vmcp", "api.auth.project_token"} <= set(routes)
    undescribed = {name: path for name, path in routes.items() if path not in document["paths"]}
    assert undescribed == {}
    without_operations = [path for path in routes.values() if not set(document["paths"][path]) - {"parameters"}]
    assert without_operations == []


def test_a_view_declares_its_own_description_next_to_its_route():
    config = Configurator()
    config.include("pybossa_core.api.describe")
    pong = {"type": "object", "properties": {"pong": {"const": True}}, "required": ["pong"]}

    def ping(request):
        """Answer a ping."""
        return {"pong": True}

    config.add_route("api.ping", "/api/ping{slash:/?}")
    config.add_view(ping, route_name="api.ping", renderer="json", describe=simple_get(ref("Pong"), "meta", schemas={"Pong": pong}))
    config.commit()
    document = build_document(config.registry.introspector)

    operation = document["paths"]["/api/ping"]["get"]
    assert (operation["operationId"], operation["summary"]) == ("api_ping", "Answer a ping.")
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == ref("Pong")
    assert document["components"]["schemas"]["Pong"] == pong


def test_every_list_control_key_is_a_parameter_or_the_api_key_scheme(app, document):
    schemes = document["components"]["securitySchemes"]
    assert (schemes["apiKeyQuery"]["in"], schemes["apiKeyQuery"]["name"]) == ("query", "api_key")
    assert (schemes["apiKeyHeader"]["in"], schemes["apiKeyHeader"]["name"]) == ("header", "Authorization")
    for resource in api_resources(app):
        parameters = {p["name"] for p in document["paths"][f"/api/{resource.name}"]["get"]["parameters"]}
        assert CONTROL_KEYS - {"api_key"} <= parameters
        assert resource.list_keys <= parameters
        # Anonymous callers filter users by public fields only.
        assert ("info" in parameters) is (resource.name != "user")


def test_every_validator_a_resource_uses_has_a_json_schema(app):
    resources = api_resources(app)
    assert len(resources) >= 10
    unknown = [
        (resource.name, field)
        for resource in resources
        for field, validator in resource.validators.items()
        if validator_schema(validator, "string") is None
    ]
    assert unknown == []


def test_every_operation_answers_errors_as_the_pybossa_error_object(testapp, document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                assert operation["responses"]["4XX"] == {"$ref": "#/components/responses/Error"}, (method, path)
    error = testapp.get("/api/project/999999", status=404).json
    assert_conforms(document, "Error", error)
    assert not conforms(document, "Error", {**error, "status_code": "404"})


def test_objects_the_api_serves_match_their_schemas(testapp, make, document):
    owner = make.user()
    project = make.project(owner, webhook="https://example.org/hook")
    task = make.task(project, info={"question": "why?"})
    task_run = make.task_run(task, owner, info=["free", "json"])
    make.result(task, [task_run], info={"answer": 42})
    signed_in = {"api_key": owner.api_key, "related": "1"}
    for name, component in (("project", "Project"), ("task", "Task"), ("taskrun", "TaskRun"), ("result", "Result"), ("user", "User")):
        for params in ({}, signed_in):
            items = testapp.get(f"/api/{name}", {"all": "1", **params}).json
            assert items, name
            for item in items:
                assert_conforms(document, component, item)
    assert_conforms(document, "GlobalStats", testapp.get("/api/globalstats").json)
    assert_conforms(document, "UserProgress", testapp.get(f"/api/project/{project.id}/userprogress").json)


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"name": "Birds", "short_name": "birds"}, True),
        ({"name": "Birds", "short_name": "birds", "info": {"sound": "tweet"}, "webhook": None}, True),
        ({"name": "Birds", "short_name": "two words"}, False),
        ({"name": "", "short_name": "birds"}, False),
        ({"name": "Birds"}, False),
        ({"name": "Birds", "short_name": "birds", "info": ["not", "an", "object"]}, False),
        ({"name": "Birds", "short_name": "birds", "zip_download": "yes"}, False),
        ({"name": "Birds", "short_name": "birds", "webhook": "ftp://example.org"}, False),
        ({"name": "Birds", "short_name": "birds", "published": True}, False),
        ({"name": "Birds", "short_name": "b" * 256}, False),
    ],
)
def test_the_schema_and_the_api_agree_on_project_bodies(testapp, make, document, body, valid):
    owner = make.user()
    assert conforms(document, "ProjectNew", body) is valid
    response = testapp.post_json("/api/project", body, headers={"Authorization": owner.api_key}, expect_errors=True)
    assert response.status_code == (200 if valid else 415), response.json
    if not valid:
        assert_conforms(document, "Error", response.json)


def test_project_bodies_generated_from_the_schema_are_accepted(testapp, make, dbsession, document):
    owner = make.user()
    category = make.category()
    operation = schemathesis.openapi.from_dict(document)["/api/project"]["POST"]

    @hypothesis.settings(
        max_examples=30, deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck)
    )
    @hypothesis.given(case=operation.as_strategy(media_type="application/json"))
    def post_generated_body(case):
        body = dict(case.body)
        # Domain rules the schema cannot say: the category must exist, the webhook's host be one
        # the site calls, the embargo be a real day, and the short name not be one of the site's own words.
        if "category_id" in body:
            body["category_id"] = category.id
        if body.get("webhook"):
            body["webhook"] = "https://example.org/hook"
        # A day must exist in the calendar (2027-02-30 does not), which a pattern cannot say.
        if body.get("embargo_until") is not None:
            body["embargo_until"] = "2031-05-17"
        hypothesis.assume(body["short_name"].lower() not in RESERVED_SHORT_NAMES)
        # Each example on a clean slate: unique names never collide with an earlier example's.
        example = dbsession.begin_nested()
        try:
            response = testapp.post_json("/api/project", body, headers={"Authorization": owner.api_key}, expect_errors=True)
            assert response.status_code == 200, (body, response.json)
            assert_conforms(document, "Project", response.json)
            stored = dbsession.get(Project, response.json["id"])
            assert (stored.name, stored.short_name) == (body["name"], body["short_name"])
        finally:
            example.rollback()

    post_generated_body()


def test_docs_page_serves_swagger_ui_from_this_site(testapp):
    page = testapp.get("/api/docs")
    assert page.content_type == "text/html"
    assert '"/api/openapi.json"' in page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(sources) == 3
    for source in sources:
        assert source.startswith("http://localhost:5000/static/vendor/swagger-ui/")
        asset = testapp.get(source.removeprefix("http://localhost:5000"))
        assert len(asset.body) > 500
    assert "validatorUrl: null" in page.text
    assert testapp.get("/static/vendor/swagger-ui/LICENSE").text.lstrip().startswith("Apache License")


def test_integers_beyond_the_documented_ranges_are_refused_not_failed(testapp, make, document):
    """Found by Schemathesis: these answered 500 (SQLite overflow, PostgreSQL "integer out of range")."""
    owner = make.user()
    project = make.project(owner)
    key = {"Authorization": owner.api_key}
    assert document["components"]["schemas"]["TaskNew"]["properties"]["n_answers"]["maximum"] == 2**31 - 1
    for too_big in (2**31, 2**63, 10**30):
        assert testapp.get(f"/api/project/{too_big}", status=404).json["exception_cls"] == "NotFound"
        testapp.delete(f"/api/favorites/{too_big}", headers=key, status=404)
        testapp.get(f"/api/{too_big}/newtask", status=404)
        assert testapp.get("/api/project", {"category_id": too_big}, status=400).json["exception_cls"] == "BadRequest"
        testapp.get("/api/project", {"last_id": too_big}, status=400)
        refused = testapp.post_json("/api/task", {"project_id": project.id, "n_answers": too_big}, headers=key, status=415).json
        assert refused["exception_cls"] == "ValueError"
        testapp.get("/api/task", {"participated": "1", "external_uid": "x", "project_id": str(too_big)}, status=400)
    testapp.get("/api/project", {"offset": 10**30}, status=400)


def test_null_in_a_nullable_text_column_with_a_length_is_accepted(document):
    """Found by Schemathesis: colander's Length validator was run on null and failed with a TypeError."""
    schema = body_schema(TaskRun, ["external_uid"], creating=False, from_text=False)
    assert schema.deserialize({"external_uid": None}) == {"external_uid": None}
    # A PUT leaves a task run's external_uid as it was (set once): its POST body says it.
    external_uid = document["components"]["schemas"]["TaskRunNew"]["properties"]["external_uid"]
    jsonschema.Draft202012Validator(external_uid).validate(None)


def test_a_webhook_host_that_is_no_host_name_is_refused(testapp, make):
    """Found by Schemathesis: a host IDNA cannot encode failed the webhook check with a UnicodeError."""
    owner = make.user()
    body = {"name": "Birds", "short_name": "birds", "webhook": "http://b\x89d/hook"}
    refused = testapp.post_json("/api/project", body, headers={"Authorization": owner.api_key}, status=415).json
    assert refused["exception_msg"].startswith("webhook: The webhook's host")


@pytest.mark.parametrize("path, described, allowed", [
    ("/api/project", "/api/project", "GET, POST"),
    ("/api/project/1", "/api/project/{id}", "GET, PUT, DELETE"),
    ("/api/globalstats", "/api/globalstats", "GET"),
    ("/api/1/newtask", "/api/{project_id}/newtask", "GET"),
    ("/api/openapi.json", "/api/openapi.json", "GET"),
])
def test_a_405_names_the_methods_the_document_declares(testapp, document, path, described, allowed):
    answer = testapp.request(path, method="TRACE", status=405)
    assert answer.json["exception_cls"] == "MethodNotAllowed"
    assert answer.headers["Allow"] == allowed
    declared = [method.upper() for method in document["paths"][described] if method != "parameters"]
    assert sorted(allowed.split(", ")) == sorted(declared)


def test_the_description_says_what_the_api_takes(testapp, make, document):
    """Rules schemathesis found the description did not state (issue 23), each checked both ways."""
    owner = make.user()
    project = make.project(owner)
    key = {"api_key": owner.api_key}
    # JSON Schema's integers include 3.0: the API takes it as 3.
    body = {"project_id": project.id, "info": {}, "n_answers": 3.0}
    assert conforms(document, "TaskNew", body)
    assert testapp.post_json(f"/api/task?api_key={owner.api_key}", body).json["n_answers"] == 3
    # A gold task needs its answers.
    gold = {"project_id": project.id, "info": {}, "calibration": 1}
    assert not conforms(document, "TaskNew", gold)
    testapp.post_json(f"/api/task?api_key={owner.api_key}", gold, status=415)
    assert conforms(document, "TaskNew", {**gold, "gold_answers": {"answer": 1}})
    # A PUT cannot move a task run (set once): its body does not offer the key.
    assert "task_id" not in document["components"]["schemas"]["TaskRunChange"]["properties"]
    # A form has no null: every field of a multipart body is text.
    form = document["components"]["schemas"]["TaskRunNewForm"]["properties"]
    assert not any("null" in json.dumps(field) for name, field in form.items() if name != "info")
    # info filters: key::value pairs with a word, as long as full-text search takes them.
    info = next(p for p in document["paths"]["/api/task"]["get"]["parameters"] if p["name"] == "info")["schema"]
    for value, valid in (("name::fox", True), ("", False), ("name", False), ("name::?!", False),
                         ("name::" + "x" * 2000, False)):
        assert jsonschema.Draft202012Validator(info, format_checker=None).is_valid(value) is valid, value
        status = 200 if valid else 400
        testapp.get("/api/task", {"info": value, "fulltextsearch": "1", **key}, status=status)
