"""``/api/task``: anyone reads (as PYBOSSA, also a draft project's); project owners write."""
from __future__ import annotations

import colander

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.api.related import task_related
from pybossa_core.models import Task
from pybossa_core.security import require_owner


class ProjectOwnersWrite(Rules):
    """Anyone reads; the owners of the object's project write (tasks, helping materials, pages)."""

    def check_create(self, call: ApiCall, obj) -> None:
        require_owner(call.user, call.parent("project", obj.project_id))

    def check_update(self, call: ApiCall, obj) -> None:
        require_owner(call.user, call.parent("project", obj.project_id))


RESOURCE = ApiResource(
    name="task",
    model=Task,
    rules=ProjectOwnersWrite(),
    reserved=frozenset({"id", "created", "state", "fav_user_ids", "n_task_runs"}),
    parents=("project",),
    owned_by="project_id",
    validators={
        "n_answers": colander.Range(min=1),
        "quorum": colander.Range(min=0),
        "calibration": colander.Range(min=0),
    },
    related=task_related,
)
