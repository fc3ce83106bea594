"""Background jobs: work a request hands off, run once its transaction commits.

A job is a plain importable function whose first argument is a
:class:`JobContext` (the site's settings, and the database session factory and
mailer built from them) and whose other arguments are plain values (they travel
through Redis).  Two runners:

- :class:`InlineRunner` (the default): runs the job in the request's thread
  right after its transaction commits; a failing job is retried at once up to
  ``jobs.retries`` times, then logged and kept in a short list of failures.
- :class:`RQRunner` (when ``redis.url`` is set): enqueues it on the RQ queue
  ``jobs.queue``; ``pybossa worker`` runs it with ``jobs.retries`` retries
  ``jobs.retry_interval`` seconds apart, and RQ's failed-job registry keeps it
  once they are spent.  A worker killed mid-job leaves the job in RQ's started
  registry; when its heartbeat runs out, the next worker's maintenance retries
  it (or marks it failed once its retries are spent), so no job is lost.

Admins see failed jobs in ``pybossa jobs`` and at ``/admin/jobs``.
"""
from __future__ import annotations

import collections
import contextlib
import contextvars
import importlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import redis
import rq
import transaction
from rq.registry import FailedJobRegistry
from sqlalchemy.orm import Session

from pybossa_core.models.meta import utcnow

log = logging.getLogger(__name__)

#: How many failures the inline runner remembers.
INLINE_FAILURES_KEPT = 100


class JobContext:
    """What a job is given: the site's settings, and its database and mailer, built on first use."""

    def __init__(self, settings: Mapping[str, Any], registry: Mapping[str, Any] | None = None):
        self.settings = settings
        self._registry = registry

    @cached_property
    def session_factory(self):
        if self._registry is not None:
            return self._registry["dbsession_factory"]
        from pybossa_core.db import get_engine, get_session_factory

        return get_session_factory(get_engine(dict(self.settings)))

    @cached_property
    def mail(self):
        if self._registry is not None:
            return self._registry["mail"]
        from pybossa_core.services.mail import MailService

        return MailService(self.settings)

    @contextlib.contextmanager
    def dbsession(self) -> Iterator[Session]:
        """Yield a session in a transaction of its own, committed when the block ends without error.

        Its own transaction manager, not the thread's: an inline job runs while
        the request's transaction is finishing its commit.
        """
        from pybossa_core.db import get_tm_session

        manager = transaction.TransactionManager(explicit=True)
        with manager:
            yield get_tm_session(self.session_factory, manager)


@dataclass(frozen=True)
class FailedJob:
    """A job that failed on every attempt, as admins see it."""

    id: str
    function: str
    args: list[Any]
    error: str
    failed_at: str | None

    def to_json(self) -> dict[str, Any]:
        """Return what admins see: not the arguments, which may carry private values (a mailed reset link)."""
        return {"id": self.id, "function": self.function, "error": self.error, "failed_at": self.failed_at}


class JobRunner(Protocol):
    def enqueue_after_commit(self, transaction_manager, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(context, *args)`` in the background once the current transaction commits."""

    def failed(self) -> list[FailedJob]:
        """Return the jobs that failed after their retries, newest first."""


def function_path(function: Callable[..., Any]) -> str:
    """Return ``module:name`` of an importable job function."""
    return f"{function.__module__}:{function.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class InlineRunner:
    """Runs jobs in this process, after the transaction commits: the embedded site and tests."""

    def __init__(self, context: JobContext, retries: int):
        self.context, self.retries = context, retries
        self._failures: collections.deque[FailedJob] = collections.deque(maxlen=INLINE_FAILURES_KEPT)
        self._lock = threading.Lock()
        self._numbers = iter(range(1, 2**63))

    def enqueue_after_commit(self, transaction_manager, function: Callable[..., Any], *args: Any) -> None:
        def after_commit(committed: bool) -> None:
            if committed:
                self.run(function, *args)

        transaction_manager.get().addAfterCommitHook(after_commit)

    def run(self, function: Callable[..., Any], *args: Any) -> None:
        """Run a job now, retrying it; a job that still fails is logged and listed, never raised."""
        for attempt in range(self.retries + 1):
            try:
                function(self.context, *args)
                return
            except Exception as error:  # a job's failure must not reach the request that queued it
                if attempt < self.retries:
                    log.warning("job %s failed (%s), retrying", function_path(function), error)
                    continue
                log.exception("job %s failed after %d attempts", function_path(function), attempt + 1)
                with self._lock:
                    failure = FailedJob(
                        str(next(self._numbers)), function_path(function), list(args),
                        f"{type(error).__name__}: {error}", utcnow().isoformat(),
                    )
                    self._failures.appendleft(failure)

    def failed(self) -> list[FailedJob]:
        with self._lock:
            return list(self._failures)


#: The context of the job a ``pybossa worker`` is running (set around each job by :class:`SiteWorker`).
_worker_context: contextvars.ContextVar[JobContext] = contextvars.ContextVar("pybossa_job_context")


def perform(path: str, *args: Any) -> Any:
    """Run job ``path`` with the worker's context: the function RQ calls for every job of the site."""
    return resolve(path)(_worker_context.get(), *args)


class RQRunner:
    """Enqueues jobs on an RQ queue in Redis, for ``pybossa worker`` processes to run."""

    def __init__(self, client: redis.Redis, queue: str, retries: int, retry_interval: int):
        self.queue = rq.Queue(queue, connection=client)
        self.retries, self.retry_interval = retries, retry_interval

    def enqueue(self, function: Callable[..., Any], *args: Any) -> rq.job.Job:
        """Enqueue a job now (the worker may run it before the caller's transaction commits)."""
        path = function_path(function)
        retry = rq.Retry(max=self.retries, interval=self.retry_interval) if self.retries else None
        # The description is what RQ's tools show: not the arguments, which may be private.
        return self.queue.enqueue(perform, path, *args, retry=retry, description=path)

    def enqueue_after_commit(self, transaction_manager, function: Callable[..., Any], *args: Any) -> None:
        def after_commit(committed: bool) -> None:
            if not committed:
                return
            try:
                self.enqueue(function, *args)
            except redis.RedisError:
                log.exception("could not enqueue job %s", function_path(function))

        transaction_manager.get().addAfterCommitHook(after_commit)

    def failed(self) -> list[FailedJob]:
        registry = FailedJobRegistry(queue=self.queue)
        jobs = [job for job in rq.job.Job.fetch_many(registry.get_job_ids(), connection=self.queue.connection) if job]
        jobs.sort(key=lambda job: job.ended_at or job.enqueued_at or utcnow(), reverse=True)
        failures = []
        for job in jobs:
            path, *args = job.args
            result = job.latest_result()
            failures.append(FailedJob(
                job.id, path, list(args), _last_line(result.exc_string if result is not None else ""),
                job.ended_at.isoformat() if job.ended_at else None,
            ))
        return failures


class SiteWorker(rq.Worker):
    """An RQ worker that hands each job the site's :class:`JobContext`."""

    def __init__(self, *args: Any, context: JobContext, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.context = context

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        token = _worker_context.set(self.context)
        try:
            return super().perform_job(*args, **kwargs)
        finally:
            _worker_context.reset(token)


def runner_for(settings: Mapping[str, Any], client: redis.Redis | None, registry: Mapping[str, Any] | None = None) -> JobRunner:
    """Return the site's job runner: RQ when it has a Redis client, else inline."""
    if client is not None:
        return RQRunner(client, settings["jobs.queue"], settings["jobs.retries"], settings["jobs.retry_interval"])
    return InlineRunner(JobContext(settings, registry), settings["jobs.retries"])


def worker_for(settings: Mapping[str, Any], client: redis.Redis) -> SiteWorker:
    """Return a worker for the site's queue whose jobs get the site's settings."""
    return SiteWorker([settings["jobs.queue"]], connection=client, context=JobContext(settings))


def includeme(config) -> None:
    config.registry["jobs"] = runner_for(config.get_settings(), config.registry["redis"], config.registry)
