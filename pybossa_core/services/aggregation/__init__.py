"""Results filled the moment a task completes, by the project's aggregator.

The aggregator (``info.aggregator``, default ``majority``) is an
:class:`~pybossa_core.plugin_api.AggregatorSpec` from the ``register_aggregators`` hook. It
sees the task's answers (``info.answer_key`` of each, or the whole answer) and returns the
answer and its confidence, written into the result's ``info`` beside the owner's own keys.
An aggregator that raises is logged and leaves the result as it was: an answer never fails
because of it.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from pybossa_core.events import TaskCompleted
from pybossa_core.interfaces import IAggregators
from pybossa_core.models import Project, Result, Task, TaskRun
from pybossa_core.models.task import is_gold
from pybossa_core.plugin_api import Aggregate, AggregatorSpec, Vote
from pybossa_core.services import contribution, quality, reliability
from pybossa_core.services.cache import project_data_changed
from pybossa_core.services.jobs import JobQueue

logger = logging.getLogger("pybossa_core.aggregation")

TASK_RUN, RESULT = TaskRun.__table__, Result.__table__
#: Task runs: what aggregators read of them, and the owner's verdict (``services/review.py``).
TASK_RUNS = sa.select(TASK_RUN.c.task_id, TASK_RUN.c.id, TASK_RUN.c.info, TASK_RUN.c.user_id, TASK_RUN.c.external_uid,
                      TASK_RUN.c.user_ip, TASK_RUN.c.review)
#: A task's task runs, in answer order.
RUNS = TASK_RUNS.where(TASK_RUN.c.task_id == sa.bindparam("task")).order_by(TASK_RUN.c.id)
SET_RESULT_INFO = sa.update(RESULT).where(RESULT.c.id == sa.bindparam("result")).values(info=sa.bindparam("info"))


def aggregator_for(aggregators: Mapping[str, AggregatorSpec], project: Project) -> AggregatorSpec:
    """The project's aggregator; ``majority`` when it names none, or one no longer installed."""
    return aggregators.get(quality.aggregator_name(project)) or aggregators[quality.DEFAULT_AGGREGATOR]


def answer_of(info: Any, key: str | None) -> Any:
    """The part of an answer that is aggregated: ``info[key]``, or the whole ``info`` without a key."""
    if key is None:
        return info
    return info.get(key) if isinstance(info, dict) else None


def _votes(session: Session, aggregator: AggregatorSpec, project: Project, rows) -> dict[int, list[Vote]]:
    """Task runs (rows of ``TASK_RUNS``) as each task's votes, in the order given, with their
    volunteers' reliability when the aggregator weighs it; without the answers an owner rejected
    and the volunteers under the project's ``info.min_reliability``."""
    key = quality.answer_key(project)
    answers = [
        (row.task_id, row.id, contribution.Caller(row.user_id, row.external_uid, row.user_ip).key, answer_of(row.info, key))
        for row in rows
        if row.review != "rejected"
    ]
    threshold = quality.min_reliability(project)
    known: dict[str, tuple[int, int]] = {}
    if aggregator.uses_reliability or threshold is not None:
        known = reliability.of_volunteers(session, project.id, {volunteer for _, _, volunteer, _ in answers})
    left_out = reliability.below(known, threshold) if threshold is not None else set()
    votes: dict[int, list[Vote]] = defaultdict(list)
    for task_id, run_id, volunteer, answer in answers:
        if volunteer not in left_out:
            n_gold, n_correct = known.get(volunteer, (0, 0))
            votes[task_id].append(Vote(run_id, volunteer, answer, reliability.smoothed(n_gold, n_correct), n_gold, n_correct))
    return votes


def score_answer(session: Session, aggregators: Mapping[str, AggregatorSpec], project: Project, task: Task,
                 task_run: TaskRun) -> None:
    """Score an answer to a gold task against its expected answer, for the volunteer's reliability."""
    key = quality.answer_key(project)
    reliability.score_gold(session, aggregator_for(aggregators, project), task,
                           contribution.caller_of_task_run(task_run).key, answer_of(task_run.info, key), key)


def aggregate(aggregator: AggregatorSpec, task: Mapping[str, Any], votes: list[Vote]) -> Aggregate | None:
    """Run ``aggregator``; None (logged) when it raises or returns something else than an Aggregate."""
    try:
        outcome = aggregator.aggregate(task, votes)
        if not isinstance(outcome, Aggregate):
            raise TypeError(f"returned {outcome!r}, not an Aggregate")
        return outcome
    except Exception:
        logger.exception("aggregator %s failed on task %s", aggregator.name, task["id"])
        return None


def result_info(existing: Any, aggregator: AggregatorSpec, outcome: Aggregate) -> dict[str, Any]:
    """The result's ``info``: the owner's keys kept, the aggregator's written over them."""
    kept = existing if isinstance(existing, dict) else {}
    confidence = min(max(float(outcome.confidence), 0.0), 1.0)
    return {**kept, **outcome.details, "answer": outcome.answer, "confidence": confidence, "aggregator": aggregator.name}


#: A task's ``info``, for the aggregator.
TASK_INFO = sa.select(Task.__table__.c.info).where(Task.__table__.c.id == sa.bindparam("task"))


def _aggregate_runs(session: Session, aggregator: AggregatorSpec, project: Project, task_id: int, runs,
                    task: Any = None) -> Aggregate | None:
    """The aggregate of the task's task runs ``runs`` (None when the aggregator failed); ``task`` is
    its row or object when the caller read it already."""
    # A task loaded in the session may carry an owner's change not flushed yet; otherwise its
    # info alone is read (the ORM load of the whole task was a fifth of a completing answer).
    loaded = task if task is not None else session.identity_map.get(identity_key(Task, task_id))
    info = loaded.info if loaded is not None else session.execute(TASK_INFO, {"task": task_id}).scalar_one()
    return aggregate(aggregator, {"id": task_id, "info": info}, _votes(session, aggregator, project, runs)[task_id])


def fill_result(session: Session, aggregators: Mapping[str, AggregatorSpec], project: Project, task_id: int,
                result_id: int, existing: Any = None) -> None:
    """Write the project's aggregate of the task's answers into its result ``result_id``, whose
    ``info`` is ``existing`` (after an owner's review changed what counts)."""
    aggregator = aggregator_for(aggregators, project)
    outcome = _aggregate_runs(session, aggregator, project, task_id, session.execute(RUNS, {"task": task_id}).all())
    if outcome is not None:
        session.execute(SET_RESULT_INFO, {"result": result_id, "info": result_info(existing, aggregator, outcome)})
        project_data_changed(session, project.id)


def complete_task(session: Session, aggregators: Mapping[str, AggregatorSpec], project: Project, task_id: int,
                  task: Any = None) -> TaskCompleted:
    """A task of ``project`` was just completed: make its result, filled with the aggregate of its
    answers, and return the event its caller emits (``events.emit_after_commit``: plugins and the
    webhook). Every way of completing a task calls this; ``task`` is its row when the caller read it."""
    aggregator = aggregator_for(aggregators, project)
    runs = session.execute(RUNS, {"task": task_id}).all()
    return _make_result(session, aggregator, project, task_id, runs,
                        _aggregate_runs(session, aggregator, project, task_id, runs, task))


def _make_result(session: Session, aggregator: AggregatorSpec, project: Project, task_id: int, runs,
                 outcome: Aggregate | None) -> TaskCompleted:
    """Make the result of the task just completed with ``runs``, holding ``outcome`` (nothing when
    the aggregator failed); return the event."""
    info = result_info(None, aggregator, outcome) if outcome is not None else None
    result_id = contribution.create_result(session, project.id, task_id, [run.id for run in runs], info)
    project_data_changed(session, project.id)
    return TaskCompleted(project_id=project.id, task_id=task_id, result_id=result_id, project=project)


# -- adaptive retirement --------------------------------------------------------------------

#: Complete a task at the answers it has: lowering ``n_answers`` to them is what makes any
#: answer racing this one find the task full (the row stays locked until this transaction ends).
RETIRE = (
    sa.update(Task.__table__)
    .where(Task.__table__.c.id == sa.bindparam("task"), Task.__table__.c.state != "completed")
    .values(n_answers=Task.__table__.c.n_task_runs, state="completed")
    .returning(Task.__table__.c.n_task_runs)
)


def record_answer(session: Session, aggregators: Mapping[str, AggregatorSpec], project: Project, task: Task,
                  task_run: TaskRun, *, allow_overfill: bool) -> TaskCompleted | None:
    """Count an answer (``contribution.record_answer``); under adaptive retirement also complete
    its task early when the aggregate of its answers is sure enough. When the answer completed
    the task, make its result (:func:`complete_task`) and return the event."""
    if contribution.record_answer(session, task_run, allow_overfill=allow_overfill):
        return complete_task(session, aggregators, project, task.id, task)
    rule = quality.retirement(project)
    if rule is None or is_gold(task):
        return None
    aggregator = aggregator_for(aggregators, project)
    runs = session.execute(RUNS, {"task": task.id}).all()
    votes = _votes(session, aggregator, project, runs)[task.id]
    if len(votes) < rule.min_answers:
        return None
    outcome = aggregate(aggregator, {"id": task.id, "info": task.info}, votes)
    if outcome is None or outcome.confidence < rule.confidence:
        return None
    if session.execute(RETIRE, {"task": task.id}).first() is None:
        return None
    loaded = session.identity_map.get(identity_key(Task, task.id))
    if loaded is not None:
        session.expire(loaded, ["n_answers", "n_task_runs", "state"])
    return _make_result(session, aggregator, project, task.id, runs, outcome)


def apply_max_answers(session: Session, aggregators: Mapping[str, AggregatorSpec],
                      project: Project) -> list[TaskCompleted]:
    """Make ``info.max_answers`` every open task's limit; the tasks that have as many answers
    already are completed with their results (the events returned, for the caller to emit)."""
    rule = quality.retirement(project)
    if rule is None or rule.max_answers is None:
        return []
    table = Task.__table__
    open_tasks = sa.and_(table.c.project_id == project.id, table.c.state != "completed")
    completing = session.scalars(sa.select(table.c.id).where(open_tasks, table.c.n_task_runs >= rule.max_answers)).all()
    session.execute(sa.update(table).where(open_tasks).values(
        n_answers=rule.max_answers,
        state=sa.case((table.c.n_task_runs >= rule.max_answers, "completed"), else_=table.c.state),
    ))
    project_data_changed(session, project.id)
    completed = [complete_task(session, aggregators, project, task_id) for task_id in completing]
    session.expire_all()
    return completed


# -- aggregating a whole project again --------------------------------------------------------


def reaggregate_project(session: Session, aggregators: Mapping[str, AggregatorSpec], project: Project) -> int:
    """Fill every last result of ``project`` again with its aggregator; return how many were filled.

    An aggregator with ``aggregate_project`` (Dawid-Skene) sees all the project's results' votes
    at once; the others each task's. The owner's own keys in a result's ``info`` are kept.
    """
    aggregator = aggregator_for(aggregators, project)
    results = session.execute(
        sa.select(RESULT.c.id, RESULT.c.task_id, RESULT.c.info)
        .where(RESULT.c.project_id == project.id, RESULT.c.last_version.is_(True))
    ).all()
    tasks = {row.task_id for row in results}
    runs = session.execute(TASK_RUNS.where(TASK_RUN.c.project_id == project.id).order_by(TASK_RUN.c.id)).all()
    votes = _votes(session, aggregator, project, [row for row in runs if row.task_id in tasks])
    infos = dict(session.execute(sa.select(Task.__table__.c.id, Task.__table__.c.info).where(
        Task.__table__.c.project_id == project.id)).all())
    if aggregator.aggregate_project is not None:
        try:
            outcomes = dict(aggregator.aggregate_project({task_id: votes.get(task_id, []) for task_id in tasks}))
        except Exception:
            logger.exception("aggregator %s failed on project %s", aggregator.name, project.id)
            return 0
    else:
        outcomes = {task_id: aggregate(aggregator, {"id": task_id, "info": infos[task_id]}, votes.get(task_id, []))
                    for task_id in tasks}
    filled = [
        {"result": row.id, "info": result_info(row.info, aggregator, outcomes[row.task_id])}
        for row in results
        if isinstance(outcomes.get(row.task_id), Aggregate)
    ]
    if filled:
        session.execute(SET_RESULT_INFO, filled)
        project_data_changed(session, project.id)
    return len(filled)


def reaggregate_job(context, project_id: int) -> None:
    """The job: aggregate project ``project_id``'s results again (``POST /api/project/<id>/aggregate``)."""
    aggregators = context.find_service(IAggregators)
    with context.dbsession() as session:
        project = session.get(Project, project_id)
        if project is not None:
            logger.info("aggregated %s results of project %s again",
                        reaggregate_project(session, aggregators, project), project_id)


def request_reaggregation(jobs: JobQueue, project: Project) -> None:
    """Aggregate ``project``'s results again in a background job, once the transaction of ``jobs`` commits."""
    jobs.enqueue(reaggregate_job, project.id, kind="aggregate", project_id=project.id)
