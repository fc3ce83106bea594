"""What the benchmarks share: seeding a server's database directly, and percentiles."""
from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Tasks inserted per executemany.
CHUNK = 10_000
#: Answers per transaction when seeding (see :func:`seed_site`).
RUNS_PER_COMMIT = 200


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile ``fraction`` (0..1) of ``values`` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Seeded:
    """What the seeding made: the project, its owner's key and the volunteers (user id, api key)."""

    project_id: int
    short_name: str
    owner_key: str
    volunteers: list[tuple[int, str]] = field(default_factory=list)


def seed_project(
    database_url: str,
    infos: Iterable[dict],
    *,
    label: str,
    n_answers: int = 30,
    sched: str | None = None,
    n_volunteers: int = 0,
) -> Seeded:
    """Insert an owner, volunteers, a published project and one task per ``infos`` item, straight into the database.

    The schema is created or upgraded first; ANALYZE runs last, because without fresh statistics
    PostgreSQL's planner takes the bulk-loaded tables for nearly empty ones (benchmarks/README.md).
    """
    import sqlalchemy as sa

    from pybossa_core.db import get_engine
    from pybossa_core.migrations import upgrade
    from pybossa_core.models import Project, Task, User
    from pybossa_core.models.meta import utcnow

    engine = get_engine({"database.url": database_url})
    upgrade(engine)
    tag = f"{label}_{uuid.uuid4().hex[:8]}"
    users, projects, tasks = User.__table__, Project.__table__, Task.__table__
    started, now = time.perf_counter(), utcnow()

    def user_row(name: str) -> dict:
        return {
            "name": name, "fullname": name, "email_addr": f"{name}@example.com", "api_key": str(uuid.uuid4()),
            "created": now, "locale": "en", "admin": False, "pro": False, "privacy_mode": True,
            "restrict": False, "info": {}, "user_pref": {},
        }

    owner = user_row(f"{tag}_owner")
    volunteer_rows = [user_row(f"{tag}_v{number}") for number in range(n_volunteers)]
    with engine.begin() as connection:
        connection.execute(sa.insert(users), [owner, *volunteer_rows])
        ids = dict(connection.execute(
            sa.select(users.c.name, users.c.id).where(users.c.name.in_([row["name"] for row in [owner, *volunteer_rows]]))
        ).all())
        owner_id = ids[owner["name"]]
        project_id = connection.execute(
            sa.insert(projects).values(
                name=f"Benchmark {tag}", short_name=tag, description=f"{label} benchmark", long_description="",
                created=now, updated=now, owner_id=owner_id, owners_ids=[owner_id], published=True,
                allow_anonymous_contributors=True, secret_key=str(uuid.uuid4()),
                info={"sched": sched} if sched else {},
            ).returning(projects.c.id)
        ).scalar_one()
        n_tasks, rows = 0, []
        for info in infos:
            rows.append({
                "project_id": project_id, "created": now, "state": "ongoing", "quorum": 0, "calibration": 0,
                "priority_0": 0.0, "n_answers": n_answers, "n_task_runs": 0, "fav_user_ids": [], "info": info,
            })
            if len(rows) == CHUNK:
                connection.execute(sa.insert(tasks), rows)
                n_tasks, rows = n_tasks + len(rows), []
        if rows:
            connection.execute(sa.insert(tasks), rows)
            n_tasks += len(rows)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"seeded project {project_id} ({tag}): {n_tasks} tasks, n_answers {n_answers}, {n_volunteers} volunteers,"
          f" in {time.perf_counter() - started:.1f} s ({database_url})")
    return Seeded(project_id, tag, owner["api_key"], [(ids[row["name"]], row["api_key"]) for row in volunteer_rows])


@dataclass
class Site:
    """What :func:`seed_site` made: the admin's key, a volunteer's key and the projects' short names."""

    admin_key: str
    volunteer_key: str
    short_names: list[str]


def seed_site_once(site_file: str | None, database_url: str, **sizes: int) -> Site:
    """:func:`seed_site`, or with ``site_file`` naming a file an earlier run wrote, the site it describes
    (seeding 2 000 000 task runs takes minutes: it can be done ahead, or once for several runs)."""
    import json
    import os

    if site_file and os.path.exists(site_file):
        with open(site_file) as saved:
            site = Site(**json.load(saved))
        print(f"reusing the site seeded earlier ({site_file})")
        return site
    site = seed_site(database_url, **sizes)
    if site_file:
        with open(site_file, "w") as saved:
            json.dump(site.__dict__, saved)
    return site


def seed_site(database_url: str, *, n_projects: int, n_tasks: int, n_task_runs: int, n_users: int,
              days: int = 10) -> Site:
    """Insert a whole site straight into the database: users, published projects, tasks and task runs.

    Tasks are spread evenly over the projects and task runs over the tasks (one answer per
    volunteer and task, a quarter of them anonymous), with ``created`` spread over the last
    ``days`` days so the weekly and 24-hour figures have something to count. Answers hold a
    number, not text, so the full-text index stays out of the way.
    """
    import datetime

    import sqlalchemy as sa

    from pybossa_core.db import get_engine
    from pybossa_core.migrations import upgrade
    from pybossa_core.models import Project, Task, TaskRun, User
    from pybossa_core.models.meta import utcnow

    engine = get_engine({"database.url": database_url})
    upgrade(engine)
    tag = uuid.uuid4().hex[:8]
    started, now = time.perf_counter(), utcnow()
    runs_per_task = -(-n_task_runs // n_tasks)
    if runs_per_task >= n_users:
        raise ValueError("every task run of a task needs a volunteer of its own: raise n_users")

    def when(number: int) -> datetime.datetime:
        return now - datetime.timedelta(seconds=(number * 7919) % (days * 86400))

    # Committed every chunk of tasks and every RUNS_PER_COMMIT answers, nearer a live site's one
    # answer per transaction: in one transaction, every answer's trigger adds a version of its
    # project's counter rows that no later one can prune, and PostgreSQL walks them all (the
    # 500 000-answer project was half seeded after 32 minutes in one transaction).
    with engine.connect() as connection:
        user_rows = [
            {"name": f"{tag}_u{number}", "fullname": f"User {number}", "email_addr": f"{tag}_u{number}@example.com",
             "api_key": str(uuid.uuid4()), "created": when(number), "locale": "en", "admin": number == 0,
             "pro": False, "privacy_mode": True, "restrict": False, "info": {}, "user_pref": {}}
            for number in range(n_users)
        ]
        for start in range(0, n_users, CHUNK):
            connection.execute(sa.insert(User.__table__), user_rows[start:start + CHUNK])
        user_ids = connection.scalars(
            sa.select(User.id).where(User.name.like(f"{tag}_u%")).order_by(User.id)).all()
        project_rows = [
            {"name": f"Project {tag} {number}", "short_name": f"{tag}_p{number}", "description": "benchmark",
             "long_description": "", "created": when(number), "updated": when(number), "owner_id": user_ids[number % n_users],
             "owners_ids": [user_ids[number % n_users]], "published": number % 10 != 0,
             "allow_anonymous_contributors": True, "secret_key": str(uuid.uuid4()),
             "info": {"task_presenter": "<p>benchmark</p>"}}
            for number in range(n_projects)
        ]
        connection.execute(sa.insert(Project.__table__), project_rows)
        project_ids = connection.scalars(
            sa.select(Project.id).where(Project.short_name.like(f"{tag}_p%")).order_by(Project.id)).all()
        tasks_done = runs_done = 0
        while tasks_done < n_tasks:
            size = min(CHUNK, n_tasks - tasks_done)
            task_rows = [
                {"project_id": project_ids[number % n_projects], "created": when(number), "state": "completed",
                 "quorum": 0, "calibration": 0, "priority_0": 0.0, "n_answers": runs_per_task,
                 "n_task_runs": 0, "fav_user_ids": [], "info": {"n": number}}
                for number in range(tasks_done, tasks_done + size)
            ]
            first_id = connection.execute(sa.insert(Task.__table__).returning(Task.id, sort_by_parameter_order=True),
                                          task_rows).scalars().all()
            run_rows = []
            for offset, task_id in enumerate(first_id):
                number = tasks_done + offset
                for run in range(runs_per_task):
                    if runs_done + len(run_rows) >= n_task_runs:
                        break
                    anonymous = (number + run) % 4 == 0
                    run_rows.append({
                        "project_id": task_rows[offset]["project_id"], "task_id": task_id,
                        "user_id": None if anonymous else user_ids[(number + run * 7) % n_users],
                        "user_ip": f"10.{run}.{number % 250}.{number // 250 % 250}" if anonymous else None,
                        "created": when(number + run), "finish_time": when(number + run), "info": {"answer": run},
                    })
            connection.commit()
            for start in range(0, len(run_rows), RUNS_PER_COMMIT):
                connection.execute(sa.insert(TaskRun.__table__), run_rows[start:start + RUNS_PER_COMMIT])
                connection.commit()
            runs_done += len(run_rows)
            tasks_done += size
        connection.execute(sa.update(Task.__table__).where(Task.project_id.in_(project_ids)).values(
            n_task_runs=sa.select(sa.func.count(TaskRun.id)).where(TaskRun.task_id == Task.id).scalar_subquery()))
        connection.commit()
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"seeded {n_users} users, {n_projects} projects, {n_tasks} tasks, {runs_done} task runs "
          f"in {time.perf_counter() - started:.1f} s ({database_url})")
    return Site(user_rows[0]["api_key"], user_rows[1]["api_key"], [row["short_name"] for row in project_rows])


def start_server(database_url: str, port: int, log_path: str, **settings: str):
    """Start ``pybossa serve`` on ``port`` (rate limits off, ``settings`` as PYBOSSA_* variables) and wait
    until it answers; return the process."""
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    import requests

    # The server refuses to start without a secret of its own (issue 21).
    environ = {"PYBOSSA_SECRET": secrets.token_urlsafe(32), **os.environ, "PYBOSSA_DATABASE_URL": database_url,
               "PYBOSSA_PORT": str(port), "PYBOSSA_RATELIMIT_ENABLED": "false",
               **{f"PYBOSSA_{name.upper()}": value for name, value in settings.items()}}
    pybossa = Path(sys.executable).with_name("pybossa")
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(pybossa), "serve"], env=environ, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/category?limit=1", timeout=2)
            return server
        except requests.ConnectionError:
            if server.poll() is not None:
                sys.exit(f"the server stopped: see {log_path}")
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"the server did not answer on port {port}: see {log_path}")


def time_get(session, url: str, **params) -> float:
    """GET ``url`` as JSON and return its latency in seconds; stop the benchmark on an error answer."""
    import sys

    started = time.perf_counter()
    response = session.get(url, params=params, headers={"Accept": "application/json"}, timeout=600)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"GET {response.url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


def report_pages(base: str, pages: dict[str, tuple[str, dict]], warm_requests: int, invalidate=None,
                 writes: int = 1) -> None:
    """Print, for each page, its cold latency (first request), its latency right after a write
    (``invalidate()``: the median and the worst of ``writes`` writes, each followed by one request),
    warm p50/p99 over ``warm_requests``, and the worst latency of a light request made by another
    client while each cold page was computed."""
    import threading

    import requests

    session, other = requests.Session(), requests.Session()
    print(f"{'page':44} {'cold ms':>9} {f'after {writes} writes p50/max':>24} {'warm p50':>9} {'warm p99':>9}"
          f" {'others max ms':>14}")
    for label, (path, params) in pages.items():
        url = f"{base}{path}"
        stop, beside = threading.Event(), []

        def light_requests() -> None:
            while not stop.is_set():
                beside.append(time_get(other, f"{base}/api/category", limit=1))

        watcher = threading.Thread(target=light_requests)
        watcher.start()
        cold = time_get(session, url, **params)
        stop.set()
        watcher.join()
        after_write = []
        for _ in range(writes if invalidate is not None else 0):
            invalidate()
            after_write.append(time_get(session, url, **params))
        after = f"{percentile(after_write, 0.5) * 1000:.1f} / {max(after_write, default=math.nan) * 1000:.1f}"
        warm = [time_get(session, url, **params) for _ in range(warm_requests)]
        print(f"{label:44} {cold * 1000:9.1f} {after:>24} {percentile(warm, 0.5) * 1000:9.2f} "
              f"{percentile(warm, 0.99) * 1000:9.2f} {max(beside, default=0) * 1000:14.1f}")


# -- server CPU ------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (0 when it is gone)."""
    import os

    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of proc(5), counted after the command name: utime and stime, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it (a server's workers)."""
    import os

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


class CpuMeter:
    """CPU seconds spent by a server's process tree and, on PostgreSQL, by the backends serving its database.

    ``sample()`` returns (server, database) seconds so far; the difference of two samples is what
    the site spent between them.  Backends are found in ``pg_stat_activity`` by database name at
    each sample; a backend that started and ended between two samples is missed (the server keeps
    its connections pooled, so there are few).
    """

    def __init__(self, server_pid: int | None, database_url: str):
        self.server_pid, self.database_url = server_pid, database_url
        self._engine, self._seen = None, {}
        if database_url.startswith("postgresql"):
            import sqlalchemy as sa

            from pybossa_core.db import get_engine

            self._engine = get_engine({"database.url": database_url})
            self._backends = sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")

    def sample(self) -> tuple[float | None, float | None]:
        server = None
        if self.server_pid is not None:
            server = sum(_cpu_seconds(pid) for pid in process_tree(self.server_pid))
        database = None
        if self._engine is not None:
            with self._engine.connect() as connection:
                pids = connection.execute(self._backends).scalars().all()
            for pid in pids:
                self._seen[pid] = _cpu_seconds(pid)
            # A backend that ended keeps its last reading: its CPU was spent.
            database = sum(self._seen.values())
        return server, database
