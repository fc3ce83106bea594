"""Task schedulers: which tasks newtask hands to a caller.

A scheduler is a :class:`~pybossa_core.plugin_api.SchedulerSpec` whose ``pick``
receives a :class:`TaskRequest` and returns tasks; the core then records the
handouts.  The bundled schedulers (``builtin``) are registered through the
``register_schedulers`` hook like any plugin's.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.models import Project, Task
from pybossa_core.services.contribution import Caller, answered_by, in_flight


def scheduler_for(schedulers: Mapping[str, Any], project: Project) -> Any:
    """Return the scheduler named in the project's ``info.sched``, the default one when unknown."""
    return schedulers.get((project.info or {}).get("sched") or "default") or schedulers["default"]


@dataclass(frozen=True)
class TaskRequest:
    """What a newtask call asks for: the scheduler's whole input."""

    session: Session
    project: Project
    caller: Caller
    now: datetime.datetime
    limit: int = 1
    offset: int = 0
    #: A task column to order by first (the query's ``orderby``), or None for the scheduler's own order.
    orderby: str | None = None
    desc: bool = False

    def open_tasks(self, *, include_completed: bool = False) -> sa.Select:
        """Tasks of the project the caller has not answered (and, by default, not completed)."""
        query = sa.select(Task).where(Task.project_id == self.project.id, ~answered_by(self.caller))
        if not include_completed:
            query = query.where(Task.state != "completed")
        return query

    def with_room(self, query: sa.Select) -> sa.Select:
        """Keep tasks whose answers plus others' live handouts still leave room for one more answer."""
        return query.where(Task.n_task_runs + in_flight(self.caller, self.now) < Task.n_answers)

    def ordered(self, query: sa.Select, *default_order: Any) -> sa.Select:
        """Order by the caller's ``orderby`` if given, else ``default_order``; ``id`` breaks ties."""
        if self.orderby is not None:
            column = Task.__table__.c[self.orderby]
            query = query.order_by(column.desc() if self.desc else column.asc())
        return query.order_by(*default_order, Task.id)

    def fetch(self, query: sa.Select) -> list[Task]:
        return list(self.session.scalars(query.offset(self.offset).limit(self.limit)))
