"""``/api/taskrun``: volunteers answer tasks; the answer's author, the project's owners and admins change it."""
from __future__ import annotations

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.api.related import task_run_related
from pybossa_core.errors import Forbidden, Unauthorized
from pybossa_core.models import TaskRun
from pybossa_core.models.meta import utcnow
from pybossa_core.security import owns, require_user
from pybossa_core.services.privacy import anonymize_ip


class TaskRunRules(Rules):
    def check_may_create(self, call: ApiCall) -> None:
        """Anyone may answer; whether anonymous answers are welcome is the project's choice."""

    def check_create(self, call: ApiCall, task_run: TaskRun) -> None:
        project = call.parent("project", task_run.project_id)
        if call.user is None and not project.allow_anonymous_contributors:
            raise Unauthorized("This project does not allow anonymous contributors")

    def prepare(self, call: ApiCall, task_run: TaskRun) -> None:
        # Who answered and when is the server's to say, never the client's.
        task_run.user_id = call.user.id if call.user is not None else None
        task_run.user_ip = None if call.user is not None else anonymize_ip(call.client_ip, call.settings["secret"])
        task_run.finish_time = utcnow()

    def validate(self, call: ApiCall, task_run: TaskRun) -> None:
        task = call.parent("task", task_run.task_id)
        if task.project_id != task_run.project_id:
            raise Forbidden("Invalid project_id")

    def check_update(self, call: ApiCall, task_run: TaskRun) -> None:
        user = require_user(call.user)
        if task_run.user_id != user.id and not owns(user, call.parent("project", task_run.project_id)):
            raise Forbidden()


RESOURCE = ApiResource(
    name="taskrun",
    model=TaskRun,
    rules=TaskRunRules(),
    reserved=frozenset({"id", "created", "user_id", "user_ip", "finish_time"}),
    parents=("project", "task"),
    uploads=True,
    owned_by="project_id",
    free_json=frozenset({"info"}),
    related=task_run_related,
)
