"""``/api/taskrun``: a volunteer's answer to a task it was handed; the server says who and when."""
from __future__ import annotations

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.api.callers import caller_for
from pybossa_core.api.related import task_run_related
from pybossa_core.errors import Forbidden
from pybossa_core.events import TaskRunCreated, emit_after_commit
from pybossa_core.interfaces import IAggregators, ISchedulers
from pybossa_core.models import TaskRun
from pybossa_core.models.meta import utcnow
from pybossa_core.models.task import is_gold
from pybossa_core.security import owns, require_user
from pybossa_core.services import aggregation, contribution, quality
from pybossa_core.services.scheduling import scheduler_for


class TaskRunRules(Rules):
    def check_may_create(self, call: ApiCall) -> None:
        """Anyone may answer; whether anonymous answers are welcome is the project's choice."""

    def check_create(self, call: ApiCall, task_run: TaskRun) -> None:
        project = call.parent("project", task_run.project_id)
        task = call.parent("task", task_run.task_id)
        if task.project_id != project.id:
            raise Forbidden("Invalid project_id")
        caller = caller_for(call, project, task_run.external_uid or call.params.get("external_uid"))
        contribution.submit_answer(call.session, project, task_run, caller, utcnow())

    def created(self, call: ApiCall, task_run: TaskRun) -> None:
        project = call.parent("project", task_run.project_id)
        scheduler = scheduler_for(call.find_service(ISchedulers), project)
        task = call.parent("task", task_run.task_id)
        # Gold tasks handed out at a gold rate take every volunteer's answer (see scheduling.pick_tasks).
        gold_overfill = is_gold(task) and quality.gold_rate(project) > 0
        aggregators = call.find_service(IAggregators)
        # Scored first, so that the result of a gold task this answer completes weighs it.
        if is_gold(task):
            aggregation.score_answer(call.session, aggregators, project, task, task_run)
        completed = aggregation.record_answer(
            call.session, aggregators, project, task, task_run, allow_overfill=scheduler.allows_overfill or gold_overfill
        )
        emit_after_commit(call.request, TaskRunCreated(
            project_id=project.id, task_id=task_run.task_id, task_run_id=task_run.id, user_id=task_run.user_id,
        ))
        if completed is not None:
            emit_after_commit(call.request, completed)

    def deleted(self, call: ApiCall, task_run: TaskRun) -> None:
        contribution.forget_answer(call.session, task_run.task_id)

    def check_update(self, call: ApiCall, task_run: TaskRun) -> None:
        """Owners change any answer; a volunteer changes their own only where the project allows it
        (``info.allow_taskrun_edit``) and while its task is not completed."""
        user = require_user(call.user)
        project = call.parent("project", task_run.project_id)
        if owns(user, project):
            return
        if task_run.user_id != user.id:
            raise Forbidden()
        if not (project.info or {}).get("allow_taskrun_edit"):
            raise Forbidden("This project does not let volunteers change their answers")
        if call.parent("task", task_run.task_id).state == "completed":
            raise Forbidden("The task is completed: its answers can no longer change")


RESOURCE = ApiResource(
    name="taskrun",
    model=TaskRun,
    rules=TaskRunRules(),
    # An answer's review is the owners', given on the review page.
    reserved=frozenset({"id", "created", "user_id", "user_ip", "finish_time", "review", "review_note"}),
    set_once=frozenset({"project_id", "task_id", "external_uid"}),
    parents=("project", "task"),
    insert_row=True,
    uploads=True,
    owned_by="project_id",
    free_json=frozenset({"info"}),
    related=task_run_related,
    embargoed=True,
)
