#!/usr/bin/env python3
"""Time a big project's statistics and task browser pages, cold and warm.

    python benchmarks/project_stats.py --database-url sqlite:////tmp/project.sqlite

Seeds one published project with 100 000 tasks and 500 000 task runs (2 000 volunteers, a
quarter of the answers anonymous) straight into the database, starts ``pybossa serve`` on it,
and prints for ``/project/<short_name>/stats``, ``/project/<short_name>/tasks/browse/`` and its
last page: the first request's latency (cold cache), the latency right after a volunteer's
answer (the median and worst of ``--writes`` answers, each to a new task), warm p50/p99, and the
worst latency another client saw on a light request while the cold page was computed.
``--site-file`` keeps what the seeding made, so a later run on the same database skips it.
"""
from __future__ import annotations

import argparse

import requests

from seeding import report_pages, seed_site_once, start_server

#: Tasks per page of the task browser.
BROWSE_PAGE = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=5078)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--task-runs", type=int, default=500_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--warm", type=int, default=200, help="warm requests per page")
    parser.add_argument("--writes", type=int, default=7, help="answers, each followed by one request per page")
    parser.add_argument("--site-file", help="a JSON file keeping the seeded site's keys: reused when it exists")
    parser.add_argument("--log", default="/tmp/project_stats_server.log")
    parser.add_argument("--page", action="append", help="measure only this page (its label, e.g. stats); repeatable")
    args = parser.parse_args(argv)

    site = seed_site_once(args.site_file, args.database_url, n_projects=1, n_tasks=args.tasks,
                          n_task_runs=args.task_runs, n_users=args.users)
    [short_name] = site.short_names
    server = start_server(args.database_url, args.port, args.log)
    base = f"http://127.0.0.1:{args.port}"
    try:
        owner = {"api_key": site.admin_key}
        project_id = requests.get(f"{base}/api/project", params={"short_name": short_name, **owner},
                                  timeout=60).json()[0]["id"]

        def invalidate() -> None:
            # Every seeded task is completed: each write answers a new one-answer task (the project
            # is a draft, as the seeding's first project is: its admin answers).
            requests.post(f"{base}/api/task", params=owner, json={"project_id": project_id, "n_answers": 1,
                                                                 "info": {"new": 1}}, timeout=60).raise_for_status()
            task = requests.get(f"{base}/api/{project_id}/newtask", params=owner, timeout=60).json()
            requests.post(f"{base}/api/taskrun", params=owner, timeout=60,
                          json={"project_id": project_id, "task_id": task["id"], "info": {"answer": 1}}).raise_for_status()

        last_page = -(-args.tasks // BROWSE_PAGE)
        pages = {
            "stats": (f"/project/{short_name}/stats", owner),
            "tasks/browse/ (page 1)": (f"/project/{short_name}/tasks/browse/", owner),
            f"tasks/browse/{last_page} (last page)": (f"/project/{short_name}/tasks/browse/{last_page}", owner),
        }
        report_pages(base, {label: page for label, page in pages.items() if not args.page or label in args.page},
                     args.warm, invalidate, args.writes)
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
