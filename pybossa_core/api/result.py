"""``/api/result``: anyone reads; results come from completed tasks, owners only annotate them."""
from __future__ import annotations

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.api.related import result_related
from pybossa_core.errors import Forbidden
from pybossa_core.models import Result
from pybossa_core.security import require_owner, require_user


class ResultRules(Rules):
    def check_may_create(self, call: ApiCall) -> None:
        require_user(call.user)
        raise Forbidden("results are created when a task is completed, not through the API")

    def check_update(self, call: ApiCall, result: Result) -> None:
        require_owner(call.user, call.parent("project", result.project_id))

    def check_delete(self, call: ApiCall, result: Result) -> None:
        require_user(call.user)
        raise Forbidden("results are deleted with their task")


RESOURCE = ApiResource(
    name="result",
    model=Result,
    rules=ResultRules(),
    reserved=frozenset({"id", "created", "project_id", "task_id", "task_run_ids", "last_version"}),
    parents=("project", "task"),
    free_json=frozenset({"info"}),
    related=result_related,
    embargoed=True,
)
