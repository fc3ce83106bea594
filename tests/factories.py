"""Small factories for the tests: one per model, bound to a session."""
from __future__ import annotations

import itertools

from pybossa_core.models import Category, Project, Result, Task, TaskRun, User

_numbers = itertools.count(1)


class Factories:
    """Create rows in ``session`` and flush them so they have ids."""

    def __init__(self, session):
        self.session = session

    def _add(self, obj):
        self.session.add(obj)
        self.session.flush()
        return obj

    def user(self, name: str | None = None, **fields) -> User:
        name = name or f"user{next(_numbers)}"
        fields.setdefault("fullname", name.title())
        fields.setdefault("email_addr", f"{name}@example.com")
        return self._add(User(name=name, **fields))

    def admin(self, name: str | None = None) -> User:
        return self.user(name, admin=True)

    def category(self, short_name: str | None = None, **fields) -> Category:
        short_name = short_name or f"category{next(_numbers)}"
        fields.setdefault("name", short_name.title())
        return self._add(Category(short_name=short_name, **fields))

    def project(self, owner: User, short_name: str | None = None, **fields) -> Project:
        short_name = short_name or f"project{next(_numbers)}"
        fields.setdefault("name", short_name.title())
        fields.setdefault("published", True)
        fields.setdefault("owners_ids", [owner.id])
        return self._add(Project(short_name=short_name, owner_id=owner.id, **fields))

    def task(self, project: Project, **fields) -> Task:
        fields.setdefault("info", {})
        return self._add(Task(project_id=project.id, **fields))

    def task_run(self, task: Task, user: User | None = None, **fields) -> TaskRun:
        fields.setdefault("user_ip", None if user else f"anon-test-{next(_numbers)}")
        task.n_task_runs += 1
        return self._add(
            TaskRun(project_id=task.project_id, task_id=task.id, user_id=user.id if user else None, **fields)
        )

    def result(self, task: Task, task_runs: list[TaskRun], **fields) -> Result:
        return self._add(
            Result(project_id=task.project_id, task_id=task.id, task_run_ids=[run.id for run in task_runs], **fields)
        )


class Committing(Factories):
    """Factories whose rows are committed on leaving the ``with`` block (for live servers)."""

    def __init__(self, live_server):
        self.live_server = live_server

    def __enter__(self):
        self.manager, session = self.live_server.session()
        self.manager.begin()
        super().__init__(session)
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is None:
            self.manager.commit()
        else:
            self.manager.abort()
