#!/usr/bin/env python3
"""The CPU and statements of each request of ``load.py``'s mix, in-process, without a network.

    python benchmarks/hot_path.py --database-url sqlite:////tmp/hot_path/site.sqlite

It seeds a project (``--tasks`` tasks, ``n_answers`` 3) and ``--volunteers`` volunteers with
``seeding.seed_project``, builds the site's WSGI application on that database (rate limits off,
as ``load.py``'s server, unless ``--ratelimit``) and sends it, through WebTest, ``--cycles`` contribution cycles
(``GET /api/<project_id>/newtask`` then ``POST /api/taskrun``, volunteers in turn) and
``--reads`` requests of each read of the mix (``newtask`` alone, volunteers in turn; a task, the project's task runs, the project,
``/stats/``, the project's statistics page, the home page ``/`` and the project's page, in the
language of ``--language`` when given). Every request commits for real, as on a live site.

It prints, per kind, the median and mean CPU of one request (``time.process_time``) and the SQL
statements it sent. CPU per request is the figure to compare on a busy machine: the load on
other cores moves it much less than it moves throughput. ``--profile FILE`` writes a
pyinstrument profile of the whole run (HTML; ``.txt`` for text), ``--cprofile FILE`` a cProfile
one (``python -m pstats FILE``). ``--assign-every N`` assigns every Nth task to the first
volunteer, so newtask runs the schedulers' assignment test (a project that assigns nothing skips it).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import sqlalchemy as sa

from seeding import seed_project

KINDS = ("cycle", "newtask", "task", "taskruns", "project", "stats", "project stats", "home", "project page")


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.count += 1


def build_site(database_url: str, uploads_dir: str, redis_url: str | None, ratelimit: bool = False):
    from pybossa_core.config import configure

    settings = {
        "database.url": database_url,
        "secret": "hot-path-benchmark-secret-0123456789",
        "uploads.dir": uploads_dir,
        "ratelimit.enabled": "true" if ratelimit else "false",
        "ratelimit.limit": str(10**9),
        "shared_state.path": os.path.join(uploads_dir, "shared_state.sqlite"),
    }
    if redis_url:
        settings["redis.url"] = redis_url
    return configure(settings, environ={}).make_wsgi_app()


def site_engine(wsgi):
    """The site's database engine: found by interface since issue 20, a registry key before (kept
    so that this script measures older commits too, as its before-and-after tables do)."""
    try:
        from pybossa_core.interfaces import IDBEngine, find_service
    except ImportError:
        return wsgi.registry["dbengine"]
    return find_service(wsgi.registry, IDBEngine)


def assign_tasks(database_url: str, site, every: int) -> None:
    """Assign every ``every``-th task of the project to its first volunteer (``services/assignments.py``)."""
    from pybossa_core.db import get_engine
    from pybossa_core.models import Project, Task, TaskAssignment

    engine = get_engine({"database.url": database_url})
    with engine.begin() as connection:
        volunteer = site.volunteers[0][0]
        task_ids = connection.scalars(sa.select(Task.id).where(Task.project_id == site.project_id).order_by(Task.id)).all()
        connection.execute(sa.insert(TaskAssignment), [{"task_id": task_id, "user_id": volunteer} for task_id in task_ids[::every]])
        connection.execute(sa.update(Project).where(Project.id == site.project_id).values(assigns_tasks=True))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--redis-url", help="serve with this Redis (default: none)")
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--volunteers", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--reads", type=int, default=300, help="requests of each read kind")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"what to run, of {', '.join(KINDS)}")
    parser.add_argument("--language", help="ask the pages in this language (Accept-Language; default: none, English)")
    parser.add_argument("--assign-every", type=int, default=0,
                        help="assign every Nth task to the first volunteer (default 0: the project assigns nothing)")
    parser.add_argument("--ratelimit", action="store_true",
                        help="with rate limits on (a limit no request reaches), to see what counting costs")
    parser.add_argument("--no-settle", action="store_true",
                        help="leave startup's objects to the garbage collector (pybossa serve takes them out: cli.settle_heap)")
    parser.add_argument("--profile", help="write a pyinstrument profile of the timed requests here")
    parser.add_argument("--cprofile", help="write a cProfile profile of the timed requests here")
    parser.add_argument("--callgrind", action="store_true",
                        help="under valgrind --tool=callgrind --instr-atstart=no: count instructions of the timed requests only")
    args = parser.parse_args(argv)
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    if set(kinds) - set(KINDS):
        parser.error(f"--kinds takes {', '.join(KINDS)}")

    import webtest

    scratch = tempfile.mkdtemp(prefix="hot_path_")
    database_url = args.database_url or f"sqlite:///{scratch}/site.sqlite"
    infos = ({"n": number} for number in range(args.tasks))
    site = seed_project(database_url, infos, label="hot", n_answers=3, n_volunteers=args.volunteers)
    if args.assign_every:
        assign_tasks(database_url, site, args.assign_every)
    wsgi = build_site(database_url, scratch, args.redis_url, args.ratelimit)
    counter = StatementCounter(site_engine(wsgi))
    app = webtest.TestApp(wsgi, extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"})
    if not args.no_settle:
        from pybossa_core.cli import settle_heap

        settle_heap()  # as each serving process does once its site is built
    task_ids = [task["id"] for task in app.get("/api/task", {"project_id": site.project_id, "limit": 100, "all": 1}).json]

    def cycle(turn: int) -> None:
        key = site.volunteers[turn % len(site.volunteers)][1]
        task = app.get(f"/api/{site.project_id}/newtask", {"api_key": key}).json
        app.post_json(f"/api/taskrun?api_key={key}",
                      {"project_id": site.project_id, "task_id": task["id"], "info": {"answer": turn % 3}})

    page_headers = {"Accept-Language": args.language} if args.language else {}

    # One function per kind, so that a profile's stacks say which request they belong to.
    def newtask(turn: int) -> None:
        app.get(f"/api/{site.project_id}/newtask", {"api_key": site.volunteers[turn % len(site.volunteers)][1]})

    def read_task(turn: int) -> None:
        app.get(f"/api/task/{random.choice(task_ids)}")

    def read_taskruns(turn: int) -> None:
        app.get(f"/api/taskrun?project_id={site.project_id}")

    def read_project(turn: int) -> None:
        app.get(f"/api/project/{site.project_id}")

    def read_stats(turn: int) -> None:
        app.get("/stats/", headers=page_headers)

    def read_project_stats(turn: int) -> None:
        app.get(f"/project/{site.short_name}/stats", headers=page_headers)

    def read_home(turn: int) -> None:
        app.get("/", headers=page_headers)

    def read_project_page(turn: int) -> None:
        app.get(f"/project/{site.short_name}/", headers=page_headers)

    reads = {"newtask": newtask, "task": read_task, "taskruns": read_taskruns, "project": read_project,
             "stats": read_stats,
             "project stats": read_project_stats, "home": read_home, "project page": read_project_page}
    runs = {"cycle": (cycle, args.cycles), **{kind: (call, args.reads) for kind, call in reads.items()}}
    # Answers first, as in load.py's read phase (a project without answers has a cheaper statistics page).
    for turn in range(30):
        cycle(turn)
    # Warm each kind (the first view of a page computes and caches what later views read).
    for kind in kinds:
        for turn in range(3):
            runs[kind][0](turn + 30)

    profiler = None
    if args.profile:
        import pyinstrument

        profiler = pyinstrument.Profiler(interval=0.0005)
    elif args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
    if profiler is not None:
        profiler.enable() if args.cprofile else profiler.start()
    figures = {}
    for kind in kinds:
        call, times = runs[kind]
        spent, statements_before = [], counter.count
        clock = time.process_time
        if args.callgrind:
            subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
        for turn in range(times):
            began = clock()
            call(turn + 33)
            spent.append(clock() - began)
        if args.callgrind:
            # One dump per kind: its total instructions (callgrind_annotate) divided by the requests.
            subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], check=True, capture_output=True)
            subprocess.run(["callgrind_control", "--dump=" + kind.replace(" ", "_"), str(os.getpid())],
                           check=True, capture_output=True)
        figures[kind] = (spent, (counter.count - statements_before) / times)
    if profiler is not None:
        if args.cprofile:
            profiler.disable()
            profiler.dump_stats(args.cprofile)
        else:
            profiler.stop()
            with open(args.profile, "w") as output:
                output.write(profiler.output_text(unicode=True, show_all=False) if args.profile.endswith(".txt")
                             else profiler.output_html())
    print(f"{'request':<14} {'median ms':>10} {'mean ms':>9} {'statements':>11}   ({database_url})")
    for kind, (spent, statements) in figures.items():
        print(f"{kind:<14} {statistics.median(spent) * 1000:10.3f} {statistics.fmean(spent) * 1000:9.3f}"
              f" {statements:11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
