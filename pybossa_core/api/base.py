"""The one generic REST resource: list, get, create, update and delete any domain object.

Each domain module declares an :class:`ApiResource` (its model, the keys a
client may not set, its parents for the HATEOAS links, its :class:`Rules`) and
registers it with ``config.add_api_resource``; everything else is here, so
every domain filters, pages, links and fails the same way.
"""
from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import colander
import sqlalchemy as sa
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.orm import Session

from pybossa_core.content_types import FORM_TYPES
from pybossa_core.errors import (
    AlreadyExists,
    BadRequest,
    InvalidValue,
    NotFound,
    UnknownAttribute,
)
from pybossa_core.interfaces import IUploads
from pybossa_core.models import Project, Task, User
from pybossa_core.models.meta import integer_bounds
from pybossa_core.schemas.api import body_schema, first_error
from pybossa_core.schemas.query import ListParams
from pybossa_core.security import (
    embargoed_projects, hidden_projects, may_see_project, owned_projects, require_user, under_embargo,
)
from pybossa_core.services import cache
from pybossa_core.services import search as fulltext


ALL_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
#: HATEOAS keys a client sends back with an object it read; never stored.
LINK_KEYS = ("link", "links")
PARENT_MODELS: dict[str, type] = {"project": Project, "task": Task, "user": User}


@functools.cache
def _by_id(model: type, rows: bool = False) -> sa.Select:
    entity = model.__table__.columns if rows else (model,)
    return sa.select(*entity).where(model.__table__.c.id == sa.bindparam("id"))


def load(session: Session, model: type, object_id: int, *, row: bool = False) -> Any:
    """Return ``model``'s object ``object_id`` or None, through a statement built once.

    A third cheaper than ``Session.get``, which builds its query on every call.  With ``row``,
    a read-only row (every column, by attribute) instead of an ORM object: a third of the cost again.
    An id beyond SQL's integers names nothing (the driver would fail on it).
    """
    if not 0 <= object_id <= integer_bounds(model.__table__.c.id.type)[1]:
        return None
    if row:
        # Core statement, Core execution: the session's ORM execution costs more than the read.
        return session.connection().execute(_by_id(model, True), {"id": object_id}).one_or_none()
    return session.execute(_by_id(model), {"id": object_id}).scalar_one_or_none()


@functools.cache
def _with_project(model: type) -> tuple[sa.Select, Callable, Callable]:
    """One statement for ``model``'s row by id and its project's row, and the two row makers."""
    table, projects = model.__table__, Project.__table__
    statement = (
        sa.select(*table.columns, *(column.label(f"project__{column.key}") for column in projects.columns))
        .select_from(table.outerjoin(projects, projects.c.id == table.c.project_id))
        .where(table.c.id == sa.bindparam("id"))
    )
    return (statement, result_tuple([column.key for column in table.columns]),
            result_tuple([column.key for column in projects.columns]))


def load_with_project(session: Session, model: type, object_id: int) -> tuple[Any, Any]:
    """Return the row of ``model``'s object ``object_id`` and the row of its project, as :func:`load`
    with ``row`` would give each, in one statement (a task read needs its project's privacy)."""
    if not 0 <= object_id <= integer_bounds(model.__table__.c.id.type)[1]:
        return None, None
    statement, make_row, make_project = _with_project(model)
    found = session.connection().execute(statement, {"id": object_id}).one_or_none()
    if found is None:
        return None, None
    width = len(model.__table__.columns)
    return make_row(found[:width]), (make_project(found[width:]) if found[width] is not None else None)


@dataclass
class ApiCall:
    """Who calls and with what: handed to the rules instead of the request."""

    session: Session
    user: User | None
    client_ip: str
    #: The request, for its services (:meth:`find_service`) and events (``events.emit_after_commit``).
    request: Any
    #: The query string, for the few rules that read more than the filters (``external_uid``).
    params: Mapping[str, str] = field(default_factory=dict)
    #: The ``Authorization`` header when it is not an API key (a project's Bearer JWT).
    authorization: str | None = None
    #: The request's cookies, for the unlocking of password-protected projects.
    cookies: Mapping[str, str] = field(default_factory=dict)
    _parents: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.request.registry.settings

    def find_service(self, iface, name: str = "") -> Any:
        """Return the site's service registered under ``iface`` (``pybossa_core.interfaces``)."""
        return self.request.find_service(iface, name=name)

    def keep_parent(self, name: str, row: Any) -> None:
        """Keep ``row`` as parent ``name``, read with its child in one statement (:func:`load_with_project`)."""
        self._parents[(name, row.id)] = row

    def parent(self, name: str, parent_id: int | None) -> Any:
        """Return parent ``name`` by id as a read-only row (every column, by attribute), loading
        each one once per request: rules only read their parents, and a row costs a third of an
        ORM object (the project and the task of every answer)."""
        if parent_id is None:
            return None
        key = (name, parent_id)
        if key not in self._parents:
            if name == "task":
                # A task comes with its project's row, in one statement: an answer's rules read both.
                row, project = load_with_project(self.session, Task, parent_id)
                if project is not None:
                    self._parents.setdefault(("project", project.id), project)
            else:
                row = load(self.session, PARENT_MODELS[name], parent_id, row=True)
            self._parents[key] = row
        return self._parents[key]


class Rules:
    """Who may read and change a resource's objects; the defaults suit public, admin-written data."""

    def readable(self, call: ApiCall, query: sa.Select) -> sa.Select:
        """Restrict a listing to the objects ``call`` may read."""
        return query

    def can_read(self, call: ApiCall, obj: Any) -> bool:
        return True

    def filterable(self, call: ApiCall, columns: frozenset[str]) -> frozenset[str]:
        """Return the columns ``call`` may filter and order by."""
        return columns

    def list_conditions(self, call: ApiCall, params: Mapping[str, str]) -> list[Any]:
        """Return SQL conditions for the resource's own query keys (``ApiResource.list_keys``)."""
        return []

    def present(self, call: ApiCall, obj: Any, data: dict[str, Any]) -> dict[str, Any]:
        """Return what ``call`` may see of ``obj`` (``data`` is every column, with links)."""
        return data

    def prepare(self, call: ApiCall, obj: Any) -> None:
        """Set the attributes the server decides on a new object (its owner, its author)."""

    def check_may_create(self, call: ApiCall) -> None:
        """Raise unless ``call`` may create objects of this kind at all; checked before the body is read."""
        require_user(call.user)

    def check_create(self, call: ApiCall, obj: Any) -> None:
        """Raise unless ``call`` may create this very object (in its project, say)."""

    def check_update(self, call: ApiCall, obj: Any) -> None:
        """Raise unless ``call`` may change ``obj``; called before and after the change is applied."""
        require_user(call.user)

    def check_delete(self, call: ApiCall, obj: Any) -> None:
        self.check_update(call, obj)

    def validate(self, call: ApiCall, obj: Any) -> None:
        """Raise if the new state of ``obj`` breaks a rule of its domain."""

    def created(self, call: ApiCall, obj: Any) -> None:
        """Act on a new object, inside the transaction that stored it (counters, events)."""

    def updated(self, call: ApiCall, obj: Any) -> None:
        """Act on a changed object, inside the transaction that stored it."""

    def deleted(self, call: ApiCall, obj: Any) -> None:
        """Act on a deleted object, inside the transaction that deleted it."""


@dataclass(frozen=True)
class ApiResource:
    """A domain object served under ``/api/<name>``."""

    name: str
    model: type
    rules: Rules
    #: Keys a body may not set (a PUT may repeat their current value, as clients echo what they read).
    reserved: frozenset[str] = frozenset({"id", "created"})
    #: Keys a POST sets and a PUT may not change (a task run's task: moving it would dodge the loop's rules).
    set_once: frozenset[str] = frozenset()
    #: Required columns the server fills on create (see Rules.prepare).
    server_set: frozenset[str] = frozenset()
    #: Parent objects, linked as ``<link rel='parent' title='project' .../>`` from ``project_id``.
    parents: tuple[str, ...] = ()
    methods: frozenset[str] = ALL_METHODS
    #: Accept multipart bodies with a ``file`` stored by the uploader (``media_url``).
    uploads: bool = False
    #: Column matched against the caller's projects when a signed-in listing omits ``all=1``.
    owned_by: str | None = None
    #: Unique columns, checked on create and update to answer PYBOSSA's DBIntegrityError.
    unique: tuple[str, ...] = ()
    #: JSON columns that may hold any JSON value, not only an object.
    free_json: frozenset[str] = frozenset()
    validators: Mapping[str, Callable] = field(default_factory=dict)
    #: Query keys of the resource's own, read by ``Rules.list_conditions`` (``participated`` on tasks).
    list_keys: frozenset[str] = frozenset()
    #: Create with one Core ``INSERT ... RETURNING`` instead of the ORM's flush (a task run, the hot
    #: path: the flush was a quarter of a contribution cycle). ``Rules.created`` then gets the
    #: stored row, read-only, and the response shows it.
    insert_row: bool = False
    #: ``related=True``: adds related objects to a page of serialized objects.
    related: Callable[[ApiCall, list[Any], list[dict]], None] | None = None
    #: The rules ``Rules.validate`` checks that JSON Schema can say (``if``/``then``), for the
    #: bodies of ``/api/openapi.json``.
    body_rules: tuple[Mapping[str, Any], ...] = ()
    #: Its objects are a project's answers or results: hidden from outsiders while the project is
    #: under embargo (``security.under_embargo``).
    embargoed: bool = False

    @functools.cached_property
    def project_column(self) -> str | None:
        """The column naming the project an object belongs to (a private project hides its objects)."""
        if self.model is Project:
            return "id"
        return "project_id" if "project" in self.parents else None

    @functools.cached_property
    def columns(self) -> frozenset[str]:
        return frozenset(column.key for column in self.model.__table__.columns)

    @functools.cached_property
    def parent_keys(self) -> tuple[tuple[str, str], ...]:
        """Each parent and the column naming it (``("project", "project_id")``)."""
        return tuple((parent, f"{parent}_id") for parent in self.parents)

    @functools.cached_property
    def writable(self) -> list[str]:
        return sorted(self.columns - self.reserved)

    @functools.cached_property
    def schema_for(self) -> Callable[[tuple[str, ...], bool, bool], colander.SchemaNode]:
        """``schema_for(fields, creating, from_text)``: the schema of a body setting ``fields``, built
        once per set of fields and kept (schemas are only read; one built per answer was 4 % of it)."""
        @functools.lru_cache(maxsize=256)
        def build(fields: tuple[str, ...], creating: bool, from_text: bool) -> colander.SchemaNode:
            return body_schema(self.model, fields, creating=creating, from_text=from_text, server_set=self.server_set,
                               free_json=self.free_json, validators=self.validators)

        return build


def api_call(request) -> ApiCall:
    """Return the :class:`ApiCall` for ``request``: what the rules may know of it."""
    authorization = request.headers.get("Authorization")
    return ApiCall(
        session=request.dbsession,
        user=request.identity,
        client_ip=request.client_ip,
        request=request,
        params=request.GET,
        authorization=authorization if authorization and authorization.lower().startswith("bearer ") else None,
        cookies=request.cookies,
    )


# -- serialization -------------------------------------------------------------------------


def format_value(value: Any) -> Any:
    """Return a column value as PYBOSSA's JSON shows it (timestamps without a zone, with microseconds)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="microseconds")
    return value


@functools.cache
def _fields(table: sa.Table) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The column keys of ``table`` in order, and those holding timestamps."""
    keys = tuple(column.key for column in table.columns)
    return keys, tuple(column.key for column in table.columns if isinstance(column.type, sa.DateTime))


def to_dict(obj: Any, model: type | None = None) -> dict[str, Any]:
    """Return every column of ``obj`` as JSON-ready values: an ORM object, or a row of every
    column of ``model``'s table (``load(..., row=True)``, listings), in the table's order.

    Read from the object's loaded state, or the row's values, with the column lists built once:
    the ORM's attribute access per column cost more than the rest of a small request's serialisation.
    """
    if isinstance(obj, sa.Row):
        keys, times = _fields(model.__table__)
        data = dict(zip(keys, obj))
    else:
        keys, times = _fields(obj.__table__)
        state = obj.__dict__
        # An attribute expired by an UPDATE (a task's count) is read again through the ORM.
        data = {key: state[key] if key in state else getattr(obj, key) for key in keys}
    for key in times:
        value = data[key]
        if value is not None:
            data[key] = value.isoformat(timespec="microseconds")
    return data


def link(base_url: str, rel: str, title: str, object_id: int) -> str:
    return f"<link rel='{rel}' title='{title}' href='{base_url}/api/{title}/{object_id}'/>"


def serialize(
    call: ApiCall, resource: ApiResource, obj: Any, base_url: str, hit: fulltext.Hit | None = None
) -> dict[str, Any]:
    """Return what ``call`` may see of ``obj``, with its links, and its ``headline`` and ``rank`` if searched."""
    data = to_dict(obj, resource.model)
    data["link"] = link(base_url, "self", resource.name, data["id"])
    if resource.parents:
        data["links"] = [
            link(base_url, "parent", parent, data[key]) for parent, key in resource.parent_keys if data[key] is not None
        ]
    data = resource.rules.present(call, obj, data)
    if hit is not None:
        data.update(headline=hit.headline, rank=hit.rank)
    return data


# -- reading requests ----------------------------------------------------------------------


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


@dataclass
class Body:
    """A POST or PUT body: its attributes, and the uploaded file of a form."""

    fields: dict[str, Any]
    upload: Any = None
    #: Form values are all text: numbers, booleans and JSON are parsed from it.
    from_form: bool = False


def read_body(request, resource: ApiResource) -> Body:
    """Return the body of ``request``: a JSON object, or a form (for resources taking uploads).

    The form itself was parsed by the site's body check (``pybossa_core.content_types``).
    """
    limit = request.registry.settings["api.max_body_size"]
    if (request.content_length or 0) > limit:
        raise BadRequest(f"the request body is larger than {limit} bytes")
    if request.content_type in FORM_TYPES:
        if not resource.uploads:
            raise BadRequest(f"{resource.name} takes a JSON body, not a form")
        fields = {key: value for key, value in request.POST.items() if isinstance(value, str)}
        _refuse_nul(fields.values())
        upload = request.POST.get("file")
        if upload is not None and not hasattr(upload, "file"):
            raise BadRequest("file must be an uploaded file")
        return Body(fields, upload, from_form=True)
    raw = request.body
    if len(raw) > limit:
        raise BadRequest(f"the request body is larger than {limit} bytes")
    try:
        text = raw.decode("utf-8")
    except ValueError as error:
        raise BadRequest(f"malformed JSON body: {error}") from None
    _refuse_nul([text])
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"malformed JSON body: {error}") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return Body(data)


def _refuse_nul(texts: Iterable[str]) -> None:
    """Refuse NUL characters, raw or escaped in JSON text (a form's JSON fields, a JSON body):
    PostgreSQL cannot store them, so every back end refuses them alike."""
    if any("\x00" in text or "\\u0000" in text for text in texts):
        raise BadRequest("NUL characters are not allowed")


def _clean_body(
    resource: ApiResource, data: dict[str, Any], existing: Any | None
) -> dict[str, Any]:
    """Drop links, and reserved keys echoed unchanged on update; refuse unknown and reserved keys."""
    model_name = resource.model.__name__
    cleaned = {}
    for key, value in data.items():
        if key in LINK_KEYS:
            continue
        if key not in resource.columns:
            raise UnknownAttribute(f"type object '{model_name}' has no attribute '{key}'")
        fixed = key in resource.reserved or (existing is not None and key in resource.set_once)
        if fixed:
            if existing is not None and format_value(getattr(existing, key)) == value:
                continue
            raise UnknownAttribute(f"Reserved keys in payload: {key}")
        cleaned[key] = value
    return cleaned


def _validated(resource: ApiResource, data: dict[str, Any], *, creating: bool, from_text: bool) -> dict:
    fields = tuple(name for name in resource.writable if name in data or creating)
    schema = resource.schema_for(fields, creating, from_text)
    try:
        return schema.deserialize(data)
    except colander.Invalid as error:
        raise InvalidValue(first_error(error)) from None


# -- the operations ------------------------------------------------------------------------


@functools.cache
def _inserting(model: type) -> sa.Insert:
    table = model.__table__
    return sa.insert(table).returning(*table.columns)


def _insert_row(session: Session, model: type, obj: Any) -> sa.Row:
    """Store the new, transient ``obj`` with one statement; return the stored row (defaults filled).

    The cached values it makes stale are dropped first: that needs none of the database's locks,
    and on SQLite the INSERT takes the site's one write lock until the commit."""
    state = obj.__dict__
    cache.rows_inserted(session, model, state.get("project_id"))
    return session.execute(_inserting(model), {key: state[key] for key in _fields(model.__table__)[0] if key in state}).one()


@functools.cache
def _selecting(model: type, rows: bool) -> sa.Select:
    """Every column of ``model``'s table, or its ORM objects: built once, as each column's coercion
    into the statement cost more than the filters added to it per request."""
    return sa.select(*model.__table__.columns) if rows else sa.select(model)


def _hidden_projects_conditions(model: type, project_column: str | None, embargoed: bool, session,
                                user: User | None) -> list[sa.ColumnElement[bool]]:
    """The conditions leaving out of a listing of ``model`` what belongs to projects ``user`` may
    not see, or (``embargoed``) whose answers are under embargo for them."""
    conditions = []
    hidden = hidden_projects(session, user) if project_column else None
    if hidden is not None:
        conditions.append(getattr(model, project_column).not_in(hidden))
    embargo = embargoed_projects(session, user) if embargoed else None
    if embargo is not None:
        conditions.append(getattr(model, project_column).not_in(embargo))
    return conditions


@functools.cache
def _hidden_from_anonymous(model: type, project_column: str | None, embargoed: bool) -> tuple[sa.ColumnElement[bool], ...]:
    """:func:`_hidden_projects_conditions` for anonymous callers, built once: they name no user,
    and building them cost a sixth of an anonymous listing."""
    return tuple(_hidden_projects_conditions(model, project_column, embargoed, None, None))


class ResourceService:
    """The five operations on one resource, given an :class:`ApiCall`."""

    def __init__(self, resource: ApiResource):
        self.resource = resource

    def get_or_404(self, call: ApiCall, object_id: int) -> Any:
        obj = load(call.session, self.resource.model, object_id)
        if obj is None:
            raise NotFound()
        return obj

    def _listing(self, call: ApiCall, params: ListParams, *, rows: bool = True) -> sa.Select:
        """Select the objects ``call`` may read that pass the filters of ``params``, in no order:
        rows of every column (what a listing serialises), or ORM objects without ``rows``."""
        resource, model = self.resource, self.resource.model
        query = resource.rules.readable(call, _selecting(model, rows)).where(*params.conditions)
        query = query.where(*resource.rules.list_conditions(call, call.params))
        shape = (model, resource.project_column, resource.embargoed)
        if call.user is None:
            query = query.where(*_hidden_from_anonymous(*shape))
        else:
            query = query.where(*_hidden_projects_conditions(*shape, call.session, call.user))
        if resource.owned_by and call.user is not None and not params.all:
            query = query.where(getattr(model, resource.owned_by).in_(owned_projects(call.session, call.user)))
        return query

    def list(self, call: ApiCall, params: ListParams) -> list[Any]:
        model = self.resource.model
        query = self._listing(call, params)
        if params.last_id is not None and params.orderby == "id":
            # Keyset paging: an indexed range scan, as cheap at the last page as at the first.
            if params.desc:
                query = query.where(model.id < params.last_id).order_by(model.id.desc())
            else:
                query = query.where(model.id > params.last_id).order_by(model.id)
        else:
            if params.last_id is not None:
                query = query.where(model.id > params.last_id)
            column = model.__table__.c[params.orderby]
            query = query.order_by(column.desc() if params.desc else column.asc())
            if params.orderby != "id":
                query = query.order_by(model.id)
            query = query.offset(params.offset)
        # Rows through the session's connection: the ORM's execution (its context, its loading of
        # plain rows) cost a fifth of a listing, and a GET has nothing to flush.
        return call.session.connection().execute(query.limit(params.limit)).all()

    def search(self, call: ApiCall, params: ListParams) -> list[tuple[Any, fulltext.Hit]]:
        """List the objects matching ``params.search``, best rank first, each with its headline and rank."""
        model, language = self.resource.model, call.settings["fulltextsearch.language"]
        matches = fulltext.ranked_matches(call.session, model, params.search, language)
        query = self._listing(call, params, rows=False).join(matches, matches.c.id == model.id).add_columns(matches.c.rank)
        if params.last_id is not None:
            query = query.where(model.id > params.last_id)
        query = query.order_by(matches.c.rank.desc(), model.id).offset(params.offset).limit(params.limit)
        return fulltext.hits(call.session, model, params.search, call.session.execute(query).all(), language)

    def read(self, call: ApiCall, object_id: int) -> Any:
        """Return the row of object ``object_id`` (read-only: never an ORM object) if ``call`` may read it."""
        if self.resource.project_column == "project_id":
            # The object and its project (whose privacy decides) in one statement.
            row, project = load_with_project(call.session, self.resource.model, object_id)
            if project is not None:
                call.keep_parent("project", project)
        else:
            row = load(call.session, self.resource.model, object_id, row=True)
        if row is None or not (self._in_visible_project(call, row) and self.resource.rules.can_read(call, row)):
            raise NotFound()
        return row

    def _in_visible_project(self, call: ApiCall, obj: Any) -> bool:
        column = self.resource.project_column
        if column is None:
            return True
        project = obj if column == "id" else call.parent("project", getattr(obj, column))
        if project is None:
            return True
        return may_see_project(call.user, project) and not (self.resource.embargoed and under_embargo(call.user, project))

    def create(self, call: ApiCall, body: Body) -> Any:
        resource = self.resource
        resource.rules.check_may_create(call)
        values = _validated(resource, _clean_body(resource, body.fields, None), creating=True, from_text=body.from_form)
        obj = resource.model(**values)
        self._check_parents(call, obj)
        resource.rules.check_create(call, obj)
        resource.rules.prepare(call, obj)
        self._check_unique(call, obj)
        resource.rules.validate(call, obj)
        if body.upload is not None:
            self._attach(call, obj, body.upload)
        if resource.insert_row:
            obj = _insert_row(call.session, resource.model, obj)
        else:
            call.session.add(obj)
            call.session.flush()
        resource.rules.created(call, obj)
        return obj

    def update(self, call: ApiCall, object_id: int, body: Body) -> Any:
        resource = self.resource
        obj = self.get_or_404(call, object_id)
        resource.rules.check_update(call, obj)
        values = _validated(resource, _clean_body(resource, body.fields, obj), creating=False, from_text=body.from_form)
        # No autoflush while the new state is checked: a refused change must never reach the database.
        with call.session.no_autoflush:
            for key, value in values.items():
                setattr(obj, key, value)
            self._check_parents(call, obj)
            # Checked again on the new state: moving an object into a project needs that project's ownership.
            resource.rules.check_update(call, obj)
            self._check_unique(call, obj)
            resource.rules.validate(call, obj)
        if body.upload is not None:
            self._attach(call, obj, body.upload)
        call.session.flush()
        resource.rules.updated(call, obj)
        return obj

    def delete(self, call: ApiCall, object_id: int) -> Any:
        obj = self.get_or_404(call, object_id)
        self.resource.rules.check_delete(call, obj)
        call.session.delete(obj)
        call.session.flush()
        self.resource.rules.deleted(call, obj)
        return obj

    def _check_parents(self, call: ApiCall, obj: Any) -> None:
        # The nearest parent first: a task's row brings its project's (ApiCall.parent).
        for parent in reversed(self.resource.parents):
            parent_id = getattr(obj, f"{parent}_id")
            if parent_id is not None and call.parent(parent, parent_id) is None:
                raise NotFound(f"{parent} {parent_id} does not exist")

    def _check_unique(self, call: ApiCall, obj: Any) -> None:
        model = self.resource.model
        for name in self.resource.unique:
            query = sa.select(model.id).where(getattr(model, name) == getattr(obj, name))
            if obj.id is not None:
                query = query.where(model.id != obj.id)
            if call.session.scalar(query) is not None:
                raise AlreadyExists(f"{self.resource.name} {name} {getattr(obj, name)!r} already exists")

    def _attach(self, call: ApiCall, obj: Any, upload: Any) -> None:
        """Store an uploaded file and point the object at it; the file goes if the transaction aborts."""
        container = f"user_{call.user.id}" if call.user is not None else "anonymous"
        stored = call.find_service(IUploads).store(container, upload.filename, upload.file)
        obj.media_url = stored.url
        info = dict(obj.info) if isinstance(obj.info, dict) else {}
        info.update(container=stored.container, file_name=stored.file_name)
        obj.info = info
