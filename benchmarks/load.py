#!/usr/bin/env python3
"""Issue 22's load: volunteers racing through the contribution loop, then readers mixing five pages,
with the server's CPU per operation.

    python benchmarks/load.py --url http://127.0.0.1:5000 --database-url sqlite:///var/pybossa.sqlite \\
        --server-pid PID

It seeds a new project (``--tasks`` 10 000 tasks, ``n_answers`` 3) and ``--volunteers`` signed-in
volunteers straight into the database, as ``contribute.py`` does, then runs two phases of
``--duration`` seconds each against the live server:

- *contribute*: each volunteer loops ``GET /api/<project_id>/newtask``, ``POST /api/taskrun``
  (``contribute.py``'s loop); the integrity check follows (no task over ``n_answers``, no
  duplicate answer, results right);
- *read*: ``--readers`` clients, each on its own kept-alive connection, loop over a task
  (``/api/task/<id>``, a random task of the project), the project's task runs
  (``/api/taskrun?project_id=P``), the project (``/api/project/P``), ``/stats/`` and the
  project's statistics page (``/project/<short_name>/stats``), the two pages as HTML.

For each phase it prints operations (cycles or reads), operations per second, p50/p95/p99
latency, and the CPU the site spent during the phase: the server's process tree
(``--server-pid``, every worker included, read from ``/proc/<pid>/stat``) and, on PostgreSQL, the
backends serving the database; divided by the operations, that is CPU per operation, the figure
to compare on a shared machine, where throughput moves with whatever else runs.

Start the server with its rate limit off (``PYBOSSA_RATELIMIT_ENABLED=false``): every client comes
from 127.0.0.1.  Exit status: 0 when all is well, 1 on an integrity fault, 2 on load errors.
"""
from __future__ import annotations

import argparse
import collections
import random
import sys
import threading
import time

import requests

from contribute import check_integrity, loopback_url, report_load, run_load
from lean_http import Connection
from seeding import CpuMeter, percentile, seed_project

GRACE = 5.0


def read_paths(project_id: int, short_name: str, task_ids: list[int]) -> list[tuple[str, object]]:
    """The read mix: (kind, path or a function giving a path), taken in turn by each reader."""
    return [
        ("task", lambda: f"/api/task/{random.choice(task_ids)}"),
        ("taskruns", f"/api/taskrun?project_id={project_id}"),
        ("project", f"/api/project/{project_id}"),
        ("stats", "/stats/"),
        ("project stats", f"/project/{short_name}/stats"),
    ]


def reader(url: str, paths, number: int, start: threading.Event, deadline_box: list[float],
           latencies: dict[str, list[float]], errors: collections.Counter) -> None:
    connection = Connection(url)
    clock = time.perf_counter
    turn = number
    start.wait()
    deadline = deadline_box[0]
    try:
        while True:
            began = clock()
            if began >= deadline:
                break
            kind, path = paths[turn % len(paths)]
            turn += 1
            try:
                response = connection.get(path() if callable(path) else path, timeout=deadline + GRACE - began)
            except OSError as error:
                errors[(kind, type(error).__name__)] += 1
                continue
            if response.status_code != 200:
                errors[(kind, f"HTTP {response.status_code}")] += 1
                continue
            latencies[kind].append((clock() - began) * 1000)
    finally:
        connection.close()


def run_reads(url: str, paths, n_readers: int, duration: float):
    start, deadline_box = threading.Event(), [0.0]
    latencies = [collections.defaultdict(list) for _ in range(n_readers)]
    errors = [collections.Counter() for _ in range(n_readers)]
    threads = [threading.Thread(target=reader, args=(url, paths, number, start, deadline_box, latencies[number],
                                                     errors[number]), daemon=True) for number in range(n_readers)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline_box[0] = began + duration
    start.set()
    for thread in threads:
        thread.join(timeout=duration + GRACE + 2)
    elapsed = time.perf_counter() - began
    merged, failed = collections.defaultdict(list), collections.Counter()
    for one in latencies:
        for kind, values in one.items():
            merged[kind].extend(values)
    for one in errors:
        failed.update(one)
    return merged, failed, elapsed


def line(name: str, values: list[float]) -> str:
    return (f"{name:<14} p50 {percentile(values, 0.5):8.1f} ms   p95 {percentile(values, 0.95):8.1f} ms   "
            f"p99 {percentile(values, 0.99):8.1f} ms   ({len(values)} calls)")


def report_cpu(label: str, before, after, operations: int, elapsed: float, generator: float) -> None:
    """Print the site's CPU over a phase: seconds, cores used, and milliseconds per operation; then
    the load generator's own (``generator`` seconds), which the site's could not use on this machine."""
    parts = []
    for name, first, last in (("server", before[0], after[0]), ("PostgreSQL", before[1], after[1])):
        if first is None:
            continue
        spent = last - first
        per_op = spent * 1000 / operations if operations else float("nan")
        parts.append(f"{name} {spent:.2f} s CPU ({spent / elapsed:.2f} cores), {per_op:.2f} ms per {label}")
    if before[0] is not None and before[1] is not None and operations:
        total = (after[0] - before[0]) + (after[1] - before[1])
        parts.append(f"together {total * 1000 / operations:.2f} ms per {label}")
    print("CPU: " + ("; ".join(parts) if parts else "give --server-pid to see the server's CPU"))
    print(f"load generator: {generator:.2f} s CPU ({generator / elapsed:.2f} cores)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running server, on loopback")
    parser.add_argument("--database-url", default="sqlite:///var/pybossa.sqlite",
                        help="the server's database, to seed and (PostgreSQL) to find its backends")
    parser.add_argument("--server-pid", type=int, help="the server's process id (its workers are counted too)")
    parser.add_argument("--volunteers", type=int, default=50)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30, help="seconds of each phase (default: %(default)s)")
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--n-answers", type=int, default=3)
    parser.add_argument("--phases", default="contribute,read", help="contribute, read or both (default: %(default)s)")
    args = parser.parse_args(argv)
    url = loopback_url(args.url)
    if url is None:
        parser.error(f"--url must be an http(s) URL on a loopback address, not {args.url!r}")
    phases = set(args.phases.split(","))
    if not phases or phases - {"contribute", "read"}:
        parser.error("--phases takes contribute, read or contribute,read")
    for name in ("volunteers", "readers", "tasks", "n_answers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < args.duration <= 3600:
        parser.error("--duration must be between 0 and 3600 seconds")

    infos = ({"n": number, "url": f"https://example.com/images/{number}.png"} for number in range(args.tasks))
    site = seed_project(args.database_url, infos, label="load", n_answers=args.n_answers, n_volunteers=args.volunteers)
    meter = CpuMeter(args.server_pid, args.database_url)
    status = 0
    if "contribute" in phases:
        print(f"contribute: {args.volunteers} volunteers for {args.duration:g} s on {url}")
        before, generator = meter.sample(), time.process_time()
        tallies, elapsed = run_load(url, site, args.duration)
        after, generator = meter.sample(), time.process_time() - generator
        accepted, errors, unknown = report_load(tallies, elapsed, args.duration)
        report_cpu("cycle", before, after, accepted, elapsed, generator)
        faults = check_integrity(url, site, accepted, unknown)
        for fault in faults:
            print(f"  INTEGRITY FAULT: {fault}")
        print("INTEGRITY OK" if not faults else "INTEGRITY FAULTS")
        status = 1 if faults else (2 if errors else 0)
    if "read" in phases:
        session = requests.Session()
        session.trust_env = False
        task_ids = [task["id"] for task in session.get(
            f"{url}/api/task", params={"project_id": site.project_id, "limit": 100, "all": 1}, timeout=60).json()]
        paths = read_paths(site.project_id, site.short_name, task_ids)
        for _, path in paths:  # warm: the first view of a page computes what later views read
            session.get(url + (path() if callable(path) else path), timeout=600)
        print(f"read: {args.readers} readers for {args.duration:g} s on {url}")
        before, generator = meter.sample(), time.process_time()
        latencies, failed, elapsed = run_reads(url, paths, args.readers, args.duration)
        after, generator = meter.sample(), time.process_time() - generator
        reads = sum(len(values) for values in latencies.values())
        print(f"reads: {reads} in {elapsed:.2f} s: {reads / elapsed:.1f} reads/s")
        print(line("all", [value for values in latencies.values() for value in values]))
        for kind, _ in paths:
            print(line(kind, latencies.get(kind, [])))
        report_cpu("read", before, after, reads, elapsed, generator)
        if failed:
            print("errors:")
            for (kind, what), count in failed.most_common():
                print(f"  {count:6d}  {kind} {what}")
            status = status or 2
        else:
            print("errors: none")
    return status


if __name__ == "__main__":
    sys.exit(main())
