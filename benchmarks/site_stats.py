#!/usr/bin/env python3
"""Time the site's statistics pages on a site of the spec's size, cold and warm.

    python benchmarks/site_stats.py --database-url sqlite:////tmp/site.sqlite

Seeds 1 000 projects, 500 000 tasks and 2 000 000 task runs by 20 000
users straight into the database, starts ``pybossa serve`` on it, and prints for ``/stats/``,
``/leaderboard/`` (anonymous, and signed in with a rank and a window), ``/`` and
``/admin/dashboard/``: the first request's latency (cold cache), the latency right after a
volunteer's answer (the median and worst of ``--writes`` answers, each completing a new task),
warm p50/p99, and the worst latency another client saw on a light request while the cold page
was computed (a cold page must not block the others).  ``--site-file`` keeps what the seeding
made, so a later run on the same database skips it.
The dashboard's figures come from its job: the first view starts it, ``--dashboard-wait``
seconds later the warm figures are read.
"""
from __future__ import annotations

import argparse
import time

import requests

from seeding import report_pages, seed_site_once, start_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--projects", type=int, default=1_000)
    parser.add_argument("--tasks", type=int, default=500_000)
    parser.add_argument("--task-runs", type=int, default=2_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--warm", type=int, default=200, help="warm requests per page")
    parser.add_argument("--writes", type=int, default=7, help="answers, each followed by one request per page")
    parser.add_argument("--site-file", help="a JSON file keeping the seeded site's keys: reused when it exists")
    parser.add_argument("--log", default="/tmp/site_stats_server.log")
    parser.add_argument("--page", action="append", help="measure only this page (its label, e.g. /); repeatable")
    args = parser.parse_args(argv)

    site = seed_site_once(args.site_file, args.database_url, n_projects=args.projects, n_tasks=args.tasks,
                          n_task_runs=args.task_runs, n_users=args.users)
    server = start_server(args.database_url, args.port, args.log)
    base = f"http://127.0.0.1:{args.port}"
    try:
        admin, volunteer = {"api_key": site.admin_key}, {"api_key": site.volunteer_key}
        # Every seeded task is completed: each write answers a new one-answer task of a published project.
        project_id = requests.get(f"{base}/api/project", params={"short_name": site.short_names[1], "all": 1, **admin},
                                  timeout=60).json()[0]["id"]

        def invalidate() -> None:
            requests.post(f"{base}/api/task", params=admin, json={"project_id": project_id, "n_answers": 1,
                                                                 "info": {"new": 1}}, timeout=60).raise_for_status()
            task = requests.get(f"{base}/api/{project_id}/newtask", params=volunteer, timeout=60).json()
            requests.post(f"{base}/api/taskrun", params=volunteer, timeout=60,
                          json={"project_id": project_id, "task_id": task["id"], "info": {"answer": 1}}).raise_for_status()

        pages = {
            "/stats/": ("/stats/", {}),
            "/leaderboard/": ("/leaderboard/", {}),
            "/leaderboard/ (signed in)": ("/leaderboard/", {"api_key": site.volunteer_key}),
            "/leaderboard/window/3 (signed in)": ("/leaderboard/window/3", {"api_key": site.volunteer_key}),
            "/": ("/", {}),
            "/admin/dashboard/": ("/admin/dashboard/", admin),
        }
        pages = {label: page for label, page in pages.items() if not args.page or label in args.page}
        if "/admin/dashboard/" in pages:
            # The dashboard's first view starts its job (inline: it runs once that request is done).
            started = time.perf_counter()
            requests.get(f"{base}/admin/dashboard/", params=admin, headers={"Accept": "application/json"}, timeout=600)
            print(f"dashboard job requested and run in {time.perf_counter() - started:.2f} s (first view + inline job)")
        report_pages(base, pages, args.warm, invalidate, args.writes)
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
