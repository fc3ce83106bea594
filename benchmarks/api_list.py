#!/usr/bin/env python3
"""List every task of a project through the REST API, page by page with ``last_id``, and time it.

    python benchmarks/api_list.py --url http://127.0.0.1:5000 --project-id 1

Each page is ``GET /api/task?project_id=P&limit=100&last_id=L&all=1`` on one
``requests.Session`` (one kept-alive connection); the next page starts after
the last id received (keyset paging).  The script prints the number of tasks
and pages (the last, empty page included), pages per second, p50/p99 page latency, and the p50 of the first
10% of pages against the last 10%: keyset pages should cost the same at the
end of the table as at its start (OFFSET paging grows with the offset).

``--seed N`` first creates a user, a published project and N tasks straight in
the server's database (``--database-url``; tasks inserted in bulk with
SQLAlchemy core, 10 000 rows per executemany, then ANALYZE), prints the
project id and then lists it.  The schema is created or upgraded first, as
``pybossa db upgrade`` does.
"""
from __future__ import annotations

import argparse
import sys
import time

import requests

from seeding import percentile, seed_project


def seed(database_url: str, n_tasks: int) -> int:
    """Create a user, a published project and ``n_tasks`` tasks; return the project's id."""
    infos = ({"n": number, "url": f"https://example.com/images/{number}.png"} for number in range(n_tasks))
    seeded = seed_project(database_url, infos, label="list")
    print(f"project id: {seeded.project_id} (owner's API key: {seeded.owner_key})")
    return seeded.project_id


def list_tasks(url: str, project_id: int, limit: int, api_key: str | None) -> tuple[int, list[float], float]:
    """Page through the project's tasks; return (number of tasks, page latencies in s, elapsed s)."""
    session = requests.Session()
    params = {"project_id": project_id, "limit": limit, "all": 1}
    if api_key:
        params["api_key"] = api_key
    latencies: list[float] = []
    n_tasks, last_id = 0, None
    started = time.perf_counter()
    while True:
        page_params = dict(params) if last_id is None else {**params, "last_id": last_id}
        before = time.perf_counter()
        response = session.get(f"{url.rstrip('/')}/api/task", params=page_params, timeout=60)
        latencies.append(time.perf_counter() - before)
        if response.status_code != 200:
            sys.exit(f"GET {response.url} answered {response.status_code}: {response.text[:500]}")
        page = response.json()
        if not isinstance(page, list):
            sys.exit(f"GET {response.url} did not answer a list: {str(page)[:500]}")
        ids = [task["id"] for task in page]
        if ids != sorted(set(ids)) or (last_id is not None and ids and ids[0] <= last_id):
            sys.exit(f"GET {response.url} answered ids out of order or repeated: {ids[:5]}...")
        if any(task["project_id"] != project_id for task in page):
            sys.exit(f"GET {response.url} answered another project's tasks")
        if not page:  # the end (a short page is not: the server may cap limit below ours)
            break
        n_tasks += len(page)
        last_id = ids[-1]
    elapsed = time.perf_counter() - started
    session.close()
    return n_tasks, latencies, elapsed


def report(n_tasks: int, latencies: list[float], elapsed: float, limit: int) -> None:
    ms = [latency * 1000 for latency in latencies]
    tenth = max(1, len(ms) // 10)
    first, last = percentile(ms[:tenth], 0.5), percentile(ms[-tenth:], 0.5)
    print(f"tasks: {n_tasks}")
    print(f"pages: {len(ms)} (limit {limit})")
    print(f"elapsed: {elapsed:.2f} s, {len(ms) / elapsed:.1f} pages/s, {n_tasks / elapsed:.0f} tasks/s")
    print(f"latency p50: {percentile(ms, 0.5):.2f} ms, p99: {percentile(ms, 0.99):.2f} ms")
    print(
        f"p50 first 10% of pages ({tenth}): {first:.2f} ms; "
        f"p50 last 10% of pages ({tenth}): {last:.2f} ms; last/first: {last / first:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running server (default: %(default)s)")
    parser.add_argument("--api-key", help="list as this user (the listing uses all=1 either way)")
    parser.add_argument("--project-id", type=int, help="the project whose tasks to list (required without --seed)")
    parser.add_argument("--limit", type=int, default=100, help="tasks per page (default: %(default)s)")
    parser.add_argument("--seed", type=int, metavar="N", help="first create a published project with N tasks")
    parser.add_argument(
        "--database-url", default="sqlite:///var/pybossa.sqlite",
        help="with --seed: the server's database (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.seed is None and args.project_id is None:
        parser.error("--project-id is required unless --seed N is given")
    if args.seed is not None and args.seed < 1:
        parser.error("--seed N needs N >= 1")
    if args.limit < 1:
        parser.error("--limit must be at least 1")

    project_id = args.project_id
    if args.seed is not None:
        project_id = seed(args.database_url, args.seed)
    n_tasks, latencies, elapsed = list_tasks(args.url, project_id, args.limit, args.api_key)
    report(n_tasks, latencies, elapsed, args.limit)
    if args.seed is not None and n_tasks != args.seed:
        print(f"expected {args.seed} tasks, listed {n_tasks}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
