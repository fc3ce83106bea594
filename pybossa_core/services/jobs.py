"""Background jobs: work a request hands off, run once its transaction commits.

A job is a plain importable function whose first argument is a
:class:`JobContext` (the site's settings, its database, and its services, found by
interface as a request finds them) and whose other arguments are plain values (they
travel through Redis).  A request queues jobs through its :class:`JobQueue`
(``request.find_service(IJobQueue)``), bound to its transaction.  Each job has a *kind* (``mail``, ``webhook``, ``dashboard``,
or its function's path), shown to admins and naming its timeout (``jobs.timeouts``).
Two runners:

- :class:`InlineRunner` (the default): runs the job in the request's thread
  right after its transaction commits; a failing job is retried at once up to
  ``jobs.retries`` times, then logged and kept in a short list of failures.
- :class:`RQRunner` (when ``redis.url`` is set): enqueues it on the RQ queue
  ``jobs.queue``; ``pybossa worker`` (a :class:`SiteWorker`) runs it under its kind's
  timeout, with ``jobs.retries`` retries ``jobs.retry_interval`` seconds apart, and
  RQ's failed-job registry keeps it once they are spent.

Delivery is at least once.  A job whose worker died (killed, out of memory, a lost
container) stays in RQ's started-job registry with a heartbeat that is no longer
renewed; ``jobs.abandoned_after`` seconds after its last heartbeat, the maintenance
every live worker runs (at start-up and every third of that time) hands it to RQ's
own retry (one of its tries) or, with none left, to the failed jobs with the error
"worker died".  So a job may run twice: jobs mark the steps they finished
(:meth:`JobContext.mark_done`) and skip them when run again.

Admins see every job's fate in ``pybossa jobs`` and at ``/admin/jobs`` (:meth:`RQRunner.jobs`).
"""
from __future__ import annotations

import collections
import contextlib
import contextvars
import ctypes
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import redis
import rq
import transaction
from rq.exceptions import AbandonedJobError
from sqlalchemy.orm import Session

from pybossa_core.interfaces import IJobQueue, IJobRunner, IRedisClient, ISessionFactory, find_service
from pybossa_core.models.meta import utcnow

log = logging.getLogger(__name__)

#: How many failures the inline runner remembers, and how many jobs of each state admins are shown.
JOBS_LISTED = 100
#: What admins read as the last error of a job whose worker died while running it.
WORKER_DIED = "worker died"


class JobContext:
    """What a job is given: the site's settings, its database, and its services.

    ``registry`` is the site's configured registry: the server's own for inline jobs,
    the one ``pybossa worker`` configures at its start for RQ jobs.
    """

    def __init__(self, settings: Mapping[str, Any], registry=None):
        self.settings = settings
        self._registry = registry

    def find_service(self, iface, name: str = "") -> Any:
        """Return the site's service registered under ``iface``, as ``request.find_service`` does."""
        if self._registry is None:
            raise LookupError(f"this job context has no site to find {iface.__name__} in")
        return find_service(self._registry, iface, name)

    @property
    def session_factory(self):
        return self.find_service(ISessionFactory)

    @contextlib.contextmanager
    def dbsession(self) -> Iterator[Session]:
        """Yield a session in a transaction of its own, committed when the block ends without error.

        Its own transaction manager, not the thread's: an inline job runs while
        the request's transaction is finishing its commit.
        """
        from pybossa_core.db import get_tm_session, without_statement_timeout

        manager = transaction.TransactionManager(explicit=True)
        with manager:
            session = get_tm_session(self.session_factory, manager)
            # An inline job shares the server's engine, whose statements have a deadline.
            without_statement_timeout(session)
            yield session

    def done(self, step: str) -> bool:
        """Tell whether an earlier run of this RQ job already did ``step`` (never, inline)."""
        job = rq.get_current_job()
        return job is not None and step in job.meta.get("done", ())

    def mark_done(self, step: str) -> None:
        """Record that this job did ``step``, so a run after its worker died skips it."""
        job = rq.get_current_job()
        if job is not None:
            job.meta["done"] = [*job.meta.get("done", ()), step]
            job.save_meta()


@dataclass(frozen=True)
class JobInfo:
    """One job as admins see it: not its arguments, which may carry private values (a mailed reset link)."""

    id: str
    state: str  # queued, scheduled (waiting for a retry), requeued (after its worker died), running, done, failed
    kind: str
    project_id: int | None
    tries: int
    last_error: str | None
    worker: str | None
    at: str | None  # when it was queued, started or ended, by its state

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class JobRunner(Protocol):
    settings: Mapping[str, Any]
    #: Whether jobs run in other processes (RQ), so a request that queues one does not wait for it.
    background: bool

    def enqueue_after_commit(self, transaction_manager, function: Callable[..., Any], *args: Any,
                             kind: str | None = None, project_id: int | None = None,
                             min_timeout: float = 0) -> None:
        """Run ``function(context, *args)`` in the background once the current transaction commits.

        ``kind`` names the job for admins and its timeout (default: the function's path);
        ``project_id`` the project it works for; ``min_timeout`` the seconds it needs at least.
        """

    def jobs(self) -> list[JobInfo]:
        """Return the jobs admins are shown: queued, running, failed and lately done, newest first by state."""


@dataclass(frozen=True)
class JobQueue:
    """The site's job runner bound to one transaction: what is queued runs once it commits, never if it aborts."""

    runner: JobRunner
    transaction_manager: Any

    @property
    def settings(self) -> Mapping[str, Any]:
        return self.runner.settings

    @property
    def background(self) -> bool:
        return self.runner.background

    def enqueue(self, function: Callable[..., Any], *args: Any, kind: str | None = None,
                project_id: int | None = None, min_timeout: float = 0) -> None:
        """Run ``function(context, *args)`` in the background once the transaction commits (see
        :meth:`JobRunner.enqueue_after_commit`)."""
        self.runner.enqueue_after_commit(self.transaction_manager, function, *args, kind=kind,
                                         project_id=project_id, min_timeout=min_timeout)


def function_path(function: Callable[..., Any]) -> str:
    """Return ``module:name`` of an importable job function."""
    return f"{function.__module__}:{function.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class InlineRunner:
    """Runs jobs in this process, after the transaction commits: the embedded site and tests."""

    background = False

    def __init__(self, context: JobContext, retries: int):
        self.context, self.retries = context, retries
        self.settings = context.settings
        self._failures: collections.deque[JobInfo] = collections.deque(maxlen=JOBS_LISTED)
        self._lock = threading.Lock()
        self._numbers = iter(range(1, 2**63))

    def enqueue_after_commit(self, transaction_manager, function: Callable[..., Any], *args: Any,
                             kind: str | None = None, project_id: int | None = None,
                             min_timeout: float = 0) -> None:
        def after_commit(committed: bool) -> None:
            if committed:
                self.run(function, *args, kind=kind, project_id=project_id)

        transaction_manager.get().addAfterCommitHook(after_commit)

    def run(self, function: Callable[..., Any], *args: Any, kind: str | None = None, project_id: int | None = None) -> None:
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
                    self._failures.appendleft(JobInfo(
                        str(next(self._numbers)), "failed", kind or function_path(function), project_id,
                        attempt + 1, _error(error), None, utcnow().isoformat(),
                    ))

    def jobs(self) -> list[JobInfo]:
        with self._lock:
            return list(self._failures)


#: The context of the job a ``pybossa worker`` is running (set around each job by :class:`SiteWorker`).
_worker_context: contextvars.ContextVar[JobContext] = contextvars.ContextVar("pybossa_job_context")


def perform(path: str, *args: Any) -> Any:
    """Run job ``path`` with the worker's context: the function RQ calls for every job of the site."""
    job = rq.get_current_job()
    job.meta["tries"] = job.meta.get("tries", 0) + 1
    job.save_meta()
    return resolve(path)(_worker_context.get(), *args)


def note_failure(job: rq.job.Job, connection, kind: type[BaseException], error: BaseException, traceback) -> None:
    """RQ's failure callback: keep the last error on the job, as admins see it before its last try."""
    abandoned = issubclass(kind, AbandonedJobError)
    job.meta["last_error"] = WORKER_DIED if abandoned else _error(error)
    if abandoned:
        job.meta["abandoned"] = job.meta.get("abandoned", 0) + 1
    job.save_meta()


def timeout_for(settings: Mapping[str, Any], kind: str, min_timeout: float = 0) -> int:
    """Return the seconds a job of ``kind`` may run: ``jobs.timeouts``' entry, else ``jobs.timeout``."""
    return int(max(settings["jobs.timeouts"].get(kind, settings["jobs.timeout"]), min_timeout))


class RQRunner:
    """Enqueues jobs on an RQ queue in Redis, for ``pybossa worker`` processes to run."""

    background = True

    def __init__(self, client: redis.Redis, settings: Mapping[str, Any]):
        self.settings = settings
        self.queue = rq.Queue(settings["jobs.queue"], connection=client)
        self.retries, self.retry_interval = settings["jobs.retries"], settings["jobs.retry_interval"]

    def enqueue(self, function: Callable[..., Any], *args: Any, kind: str | None = None,
                project_id: int | None = None, min_timeout: float = 0) -> rq.job.Job:
        """Enqueue a job now (the worker may run it before the caller's transaction commits)."""
        path = function_path(function)
        kind = kind or path
        retry = rq.Retry(max=self.retries, interval=self.retry_interval) if self.retries else None
        # The description is what RQ's tools show: not the arguments, which may be private.
        return self.queue.enqueue(
            perform, path, *args, retry=retry, description=path, on_failure=rq.Callback(note_failure),
            job_timeout=timeout_for(self.settings, kind, min_timeout),
            meta={"kind": kind, "project_id": project_id, "tries": 0},
        )

    def enqueue_after_commit(self, transaction_manager, function: Callable[..., Any], *args: Any,
                             kind: str | None = None, project_id: int | None = None,
                             min_timeout: float = 0) -> None:
        def after_commit(committed: bool) -> None:
            if not committed:
                return
            try:
                self.enqueue(function, *args, kind=kind, project_id=project_id, min_timeout=min_timeout)
            except redis.RedisError:
                log.exception("could not enqueue job %s", function_path(function))

        transaction_manager.get().addAfterCommitHook(after_commit)

    def jobs(self) -> list[JobInfo]:
        queue = self.queue
        listed = [
            ("running", queue.started_job_registry.get_job_ids(cleanup=False)[:JOBS_LISTED]),
            ("queued", queue.get_job_ids(0, JOBS_LISTED)),
            ("scheduled", queue.scheduled_job_registry.get_job_ids(0, JOBS_LISTED - 1, cleanup=False)),
            ("failed", queue.failed_job_registry.get_job_ids(0, JOBS_LISTED - 1, desc=True, cleanup=False)),
            ("done", queue.finished_job_registry.get_job_ids(0, JOBS_LISTED - 1, desc=True, cleanup=False)),
        ]
        found = []
        for state, ids in listed:
            found.extend(_info(job, state) for job in rq.job.Job.fetch_many(ids, connection=queue.connection) if job)
        return found


def _info(job: rq.job.Job, state: str) -> JobInfo:
    meta = job.meta
    last_error = meta.get("last_error")
    if state == "failed":
        result = job.latest_result()
        text = result.exc_string if result is not None else ""
        last_error = WORKER_DIED if "AbandonedJobError" in (text or "") else (last_error or _last_line(text))
    if state in ("queued", "scheduled") and meta.get("abandoned"):
        state = "requeued"
    moment = {"running": job.started_at, "failed": job.ended_at, "done": job.ended_at}.get(state, job.enqueued_at)
    return JobInfo(
        job.id, state, meta.get("kind") or job.description, meta.get("project_id"), meta.get("tries", 0),
        last_error, job.worker_name if state == "running" else None, moment.isoformat() if moment else None,
    )


#: prctl(2)'s request to be sent a signal when the parent dies (Linux).
PR_SET_PDEATHSIG = 1


def _dying_with_parent() -> Callable[[], None]:
    """Return what a process the worker forks (its work horse, its scheduler) runs first: be killed with the worker.

    The C function is looked up here, before any fork: loading it in the child could
    wait forever on a lock another thread of the worker held at the fork.
    """
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

    def in_child() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the worker died before the line above
            os._exit(1)

    return in_child


class SiteWorker(rq.Worker):
    """An RQ worker that hands each job the site's :class:`JobContext` and finds abandoned jobs quickly.

    A job's heartbeat lasts ``abandoned_after`` seconds and is renewed every third of
    it; maintenance (RQ's cleaning of the registries, which retries or fails abandoned
    jobs) runs as often, idle or busy.  Every process the worker forks dies with it, so
    a killed worker leaves no orphaned work horse or scheduler behind.
    """

    def __init__(self, *args: Any, context: JobContext, abandoned_after: int, **kwargs: Any):
        beat = max(1, abandoned_after // 3)
        super().__init__(*args, job_monitoring_interval=beat, maintenance_interval=beat, **kwargs)
        self.context, self.abandoned_after = context, abandoned_after

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker wakes up for maintenance (RQ would wait for jobs worker_ttl - 15 s).
        return self.maintenance_interval

    def get_heartbeat_ttl(self, job: rq.job.Job, working_time: float = 0.0) -> int:
        return self.abandoned_after

    def work(self, *args: Any, **kwargs: Any) -> bool:
        os.register_at_fork(after_in_child=_dying_with_parent())
        return super().work(*args, **kwargs)

    def subscribe(self) -> None:
        """Listen for RQ's commands as RQ does, but wake up every second: stopping the worker waits for
        the listening thread, which RQ lets block for a minute."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        token = _worker_context.set(self.context)
        try:
            return super().perform_job(*args, **kwargs)
        finally:
            _worker_context.reset(token)

    def handle_work_horse_killed(self, job: rq.job.Job, retpid, ret_val, rusage) -> None:
        job.meta["last_error"] = f"work horse killed (status {ret_val})"
        job.save_meta()
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)


def runner_for(settings: Mapping[str, Any], client: redis.Redis | None, registry=None) -> JobRunner:
    """Return the site's job runner: RQ when it has a Redis client, else inline."""
    if client is not None:
        return RQRunner(client, settings)
    return InlineRunner(JobContext(settings, registry), settings["jobs.retries"])


def worker_for(settings: Mapping[str, Any], client: redis.Redis, registry) -> SiteWorker:
    """Return a worker for the site's queue whose jobs get the site's settings and services (``registry``)."""
    return SiteWorker([settings["jobs.queue"]], connection=client, context=JobContext(settings, registry),
                      abandoned_after=settings["jobs.abandoned_after"])


def includeme(config) -> None:
    runner = runner_for(config.get_settings(), find_service(config.registry, IRedisClient), config.registry)
    config.register_service(runner, IJobRunner)
    config.register_service_factory(lambda context, request: JobQueue(request.find_service(IJobRunner), request.tm),
                                    IJobQueue)
