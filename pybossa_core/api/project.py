"""``/api/project``: anyone reads published projects; signed-in users create; owners change theirs."""
from __future__ import annotations

import colander
import sqlalchemy as sa

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.models import Category, Project
from pybossa_core.schemas.api import http_url, short_name
from pybossa_core.security import PASSWORD_KEY, VIEW, ProjectRule, is_admin, is_creator, owned_projects, owns, require_owner, user_permits
from pybossa_core.errors import Forbidden, InvalidValue
from pybossa_core.events import ProjectCreated, emit_after_commit
from pybossa_core.interfaces import IAggregators
from pybossa_core.services import aggregation, quality, quiz, webhooks
from pybossa_core.services.projects import RESERVED_SHORT_NAMES

class ProjectRules(Rules):
    def readable(self, call: ApiCall, query: sa.Select) -> sa.Select:
        # Drafts are listed only to their owners and admins.
        if is_admin(call.user):
            return query
        if call.user is None:
            return query.where(Project.published.is_(True))
        return query.where(
            sa.or_(Project.published.is_(True), Project.id.in_(owned_projects(call.session, call.user)))
        )

    def can_read(self, call: ApiCall, project: Project) -> bool:
        # Its privacy (SEE) was checked already; a draft is viewed only by those who manage it.
        return bool(user_permits(call.user, ProjectRule(project), VIEW))

    def filterable(self, call: ApiCall, columns: frozenset[str]) -> frozenset[str]:
        # Filtering by secret_key would let anyone test a guessed key.
        return columns if is_admin(call.user) else columns - {"secret_key"}

    def present(self, call: ApiCall, project: Project, data: dict) -> dict:
        if not owns(call.user, project):
            del data["secret_key"]
            del data["invited_ids"]
            if isinstance(data.get("info"), dict):
                data["info"] = {key: value for key, value in data["info"].items() if key != PASSWORD_KEY}
        return data

    def prepare(self, call: ApiCall, project: Project) -> None:
        project.owner_id = call.user.id
        project.owners_ids = [call.user.id]
        if project.category_id is None:
            # As PYBOSSA: a project without a category goes to the first one.
            project.category_id = call.session.scalar(sa.select(Category.id).order_by(Category.id).limit(1))

    def created(self, call: ApiCall, project: Project) -> None:
        emit_after_commit(call.request, ProjectCreated(project_id=project.id, owner_id=project.owner_id))

    def check_update(self, call: ApiCall, project: Project) -> None:
        require_owner(call.user, project)

    def updated(self, call: ApiCall, project: Project) -> None:
        for completed in aggregation.apply_max_answers(call.session, call.find_service(IAggregators), project):
            emit_after_commit(call.request, completed)

    def check_delete(self, call: ApiCall, project: Project) -> None:
        # Co-owners manage a project; only its owner (or an admin) deletes it.
        require_owner(call.user, project)
        if not is_creator(call.user, project):
            raise Forbidden("Only the project's owner may delete it")

    def validate(self, call: ApiCall, project: Project) -> None:
        if project.short_name.lower() in RESERVED_SHORT_NAMES:
            raise InvalidValue(f"short_name: {project.short_name!r} is reserved")
        try:
            history = sa.inspect(project).attrs.info.history
            previous = (history.deleted or history.unchanged or [{}])[0] or {}
            quality.check_settings(project.info or {}, call.find_service(IAggregators), previous)
        except quality.InvalidSetting as invalid:
            raise InvalidValue(f"info.{invalid}") from None
        try:
            # Only a new quiz: gold tasks deleted later do not lock the project's other changes.
            if (project.info or {}).get("quiz") != previous.get("quiz"):
                quiz.check_settings(call.session, project.id, (project.info or {}).get("quiz"))
        except quiz.InvalidQuiz as invalid:
            raise InvalidValue(f"info.quiz: {invalid}") from None
        if project.category_id is not None and call.session.get(Category, project.category_id) is None:
            raise InvalidValue(f"category_id: category {project.category_id} does not exist")
        # Only a new URL: a project whose webhook a later setting refuses may still change its other fields.
        if project.webhook and sa.inspect(project).attrs.webhook.history.added:
            try:
                webhooks.check_url(project.webhook, call.settings)
            except webhooks.RefusedURL as refusal:
                raise InvalidValue(f"webhook: {refusal}") from None


RESOURCE = ApiResource(
    name="project",
    model=Project,
    rules=ProjectRules(),
    reserved=frozenset(
        {"id", "created", "updated", "contacted", "published", "featured", "secret_key", "owner_id", "owners_ids",
         "invited_ids", "assigns_tasks"}
    ),
    server_set=frozenset({"owner_id"}),
    owned_by="id",
    unique=("name", "short_name"),
    validators={
        "name": colander.Length(min=1),
        "short_name": colander.All(colander.Length(min=1), short_name),
        "webhook": http_url,
    },
)
