#!/usr/bin/env python3
"""Load the contribution loop (newtask, then taskrun) with concurrent volunteers, then check integrity.

    python benchmarks/contribute.py --url http://127.0.0.1:5000 --database-url sqlite:///var/pybossa.sqlite

The script first seeds the server's database (``--database-url``) directly with
SQLAlchemy core: V volunteers with API keys, one owner, a published project
whose ``info.sched`` is ``--sched`` (a new project, with a unique short name,
on every run), and T tasks with ``n_answers`` N, inserted 10 000 rows per
executemany; on PostgreSQL it then runs ANALYZE.  The schema is created or
upgraded first, as ``pybossa db upgrade`` does.

Then V threads, one per volunteer, each on its own kept-alive connection
(``lean_http.Connection``, which leaves the server the CPU ``requests`` would take), loop for D seconds::

    GET  /api/<project_id>/newtask?api_key=K          -> a task, or {} when none is left
    POST /api/taskrun?api_key=K  {"project_id", "task_id", "info": {"answer": ...}}

A volunteer answered ``{}`` stops.  A cycle counts when both calls answer 200.
A 403 is a refusal, counted by its ``exception_msg`` ("This task already has
all the answers it needs" is an expected, rare race with the default
scheduler; any other message is an error); a 5xx, a timeout or a connection
error is an error.  The script prints cycles, cycles per second, the
p50/p95/p99 latency of newtask, taskrun and whole cycles (successful calls
only), and the refusals and errors.

Last it checks the outcome through the API, as the owner (``all=1``, keyset
paging with ``last_id``, 100 per page): no volunteer answered a task twice; no
task has more runs than ``n_answers``; every completed task has exactly
``n_answers`` runs (and every task with ``n_answers`` runs is completed); every
completed task has exactly one result with ``last_version`` true, whose
``task_run_ids`` are the task's runs; the project holds as many runs as the
server accepted.  It prints ``INTEGRITY OK`` or the faults.

Exit status: 0 when all is well, 1 on an integrity fault, 2 when the integrity
holds but the load met errors (5xx, timeouts, connection errors, unexpected
refusals).  The load ends by itself after the duration (every request's timeout
is cut to end at most a few seconds after it), and only a loopback ``--url`` is
accepted.  All volunteers come from one address: start the server with its API
rate limit off (``PYBOSSA_RATELIMIT_ENABLED=false``), or it answers 429 after
300 requests.
"""
from __future__ import annotations

import argparse
import collections
import ipaddress
import json
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import requests

from lean_http import Connection, Response
from seeding import Seeded, percentile, seed_project
#: How long after the end of the duration a request still in progress may take.
GRACE = 5.0
PAGE = 100
EXPECTED_REFUSAL = "This task already has all the answers it needs"
SCHEDULERS = ("default", "depth_first", "breadth_first", "locked")
ANSWERS = ("yes", "no", "maybe")


def seed(database_url: str, n_volunteers: int, n_tasks: int, n_answers: int, sched: str) -> Seeded:
    """Insert the volunteers, the owner, a published project and its tasks straight into the database."""
    infos = ({"n": number, "url": f"https://example.com/images/{number}.png"} for number in range(n_tasks))
    return seed_project(database_url, infos, label="contrib", n_answers=n_answers, sched=sched, n_volunteers=n_volunteers)


# -- the load --------------------------------------------------------------------------------


@dataclass
class Tally:
    """One volunteer's figures (merged after the run: no lock on the hot path)."""

    cycles: int = 0
    newtask_ms: list[float] = field(default_factory=list)
    taskrun_ms: list[float] = field(default_factory=list)
    cycle_ms: list[float] = field(default_factory=list)
    refusals: collections.Counter = field(default_factory=collections.Counter)  # (call, status, message)
    errors: collections.Counter = field(default_factory=collections.Counter)  # (call, what)
    finished: bool = False  # newtask answered {}
    stopped_at: float = 0.0


def _message(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.content.decode("utf-8", "replace")[:120]
    if isinstance(body, dict) and "exception_msg" in body:
        return str(body["exception_msg"])
    return json.dumps(body)[:120]


def volunteer(url: str, project_id: int, api_key: str, number: int, start: threading.Event,
              deadline_box: list[float], tally: Tally) -> None:
    connection = Connection(url)
    newtask_target = f"/api/{project_id}/newtask?api_key={api_key}"
    taskrun_target = f"/api/taskrun?api_key={api_key}"
    answer = ANSWERS[number % len(ANSWERS)]
    start.wait()
    deadline = deadline_box[0]
    clock = time.perf_counter
    try:
        while True:
            began = clock()
            if began >= deadline:
                break
            # Every request ends at most GRACE seconds after the deadline.
            timeout = deadline + GRACE - began
            try:
                response = connection.get(newtask_target, timeout=timeout)
            except TimeoutError:
                tally.errors[("newtask", "timeout")] += 1
                continue
            except OSError as error:
                tally.errors[("newtask", type(error).__name__)] += 1
                time.sleep(0.05)
                continue
            got = clock()
            status = response.status_code
            if status != 200:
                if status >= 500:
                    tally.errors[("newtask", f"HTTP {status}")] += 1
                else:
                    tally.refusals[("newtask", status, _message(response))] += 1
                time.sleep(0.05)  # no tight loop against a server that refuses
                continue
            tally.newtask_ms.append((got - began) * 1000)
            content = response.content
            if content.strip() == b"{}":
                tally.finished = True
                break
            task = json.loads(content)
            if isinstance(task, list):  # only with limit > 1; we never ask for it
                task = task[0]
            body = json.dumps({"project_id": project_id, "task_id": task["id"], "info": {"answer": answer}})
            try:
                response = connection.post(taskrun_target, body.encode(), "application/json",
                                           timeout=max(0.5, deadline + GRACE - got))
            except TimeoutError:
                tally.errors[("taskrun", "timeout")] += 1
                continue
            except OSError as error:
                tally.errors[("taskrun", type(error).__name__)] += 1
                time.sleep(0.05)
                continue
            done = clock()
            status = response.status_code
            if status == 200:
                tally.cycles += 1
                tally.taskrun_ms.append((done - got) * 1000)
                tally.cycle_ms.append((done - began) * 1000)
            elif status >= 500:
                tally.errors[("taskrun", f"HTTP {status}")] += 1
            else:
                tally.refusals[("taskrun", status, _message(response))] += 1
    finally:
        tally.stopped_at = clock()
        connection.close()


def run_load(url: str, site: Seeded, duration: float) -> tuple[list[Tally], float]:
    """Run one thread per volunteer for ``duration`` seconds; return their tallies and the elapsed time."""
    start = threading.Event()
    deadline_box = [0.0]
    tallies = [Tally() for _ in site.volunteers]
    threads = [
        threading.Thread(
            target=volunteer, args=(url, site.project_id, key, number, start, deadline_box, tallies[number]),
            name=f"volunteer-{number}", daemon=True,
        )
        for number, (_, key) in enumerate(site.volunteers)
    ]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline_box[0] = began + duration
    start.set()
    for thread in threads:
        thread.join(timeout=max(0.1, deadline_box[0] + GRACE + 2 - time.perf_counter()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck:
        print(f"warning: {len(stuck)} volunteer threads still running after the grace period", file=sys.stderr)
    ended = max((tally.stopped_at for tally in tallies), default=began)
    if stuck:
        ended = time.perf_counter()
    return tallies, ended - began


def report_load(tallies: list[Tally], elapsed: float, duration: float) -> tuple[int, int, int]:
    """Print the figures; return (cycles, errors incl. unexpected refusals, taskrun calls with no answer)."""
    cycles = sum(tally.cycles for tally in tallies)
    newtask = [ms for tally in tallies for ms in tally.newtask_ms]
    taskrun = [ms for tally in tallies for ms in tally.taskrun_ms]
    cycle = [ms for tally in tallies for ms in tally.cycle_ms]
    refusals: collections.Counter = collections.Counter()
    errors: collections.Counter = collections.Counter()
    for tally in tallies:
        refusals.update(tally.refusals)
        errors.update(tally.errors)
    finished = sum(tally.finished for tally in tallies)

    def line(name: str, values: list[float]) -> str:
        return (f"{name:<8} p50 {percentile(values, 0.5):8.1f} ms   p95 {percentile(values, 0.95):8.1f} ms   "
                f"p99 {percentile(values, 0.99):8.1f} ms   ({len(values)} calls)")

    print(f"cycles: {cycles} in {elapsed:.2f} s (duration {duration:g} s): {cycles / elapsed:.1f} cycles/s")
    print(f"volunteers told no task is left ({{}}): {finished} of {len(tallies)}")
    print(line("newtask", newtask))
    print(line("taskrun", taskrun))
    print(line("cycle", cycle))
    unexpected = 0
    if refusals:
        print("4xx:")
        for (call, status, message), count in refusals.most_common():
            expected = call == "taskrun" and status == 403 and message == EXPECTED_REFUSAL
            if not expected:
                unexpected += count
            print(f"  {count:6d}  {call} {status} {message!r}{'' if expected else '  (error)'}")
        if any(status == 429 for _, status, _ in refusals):
            print("  (429: the server's API rate limit is on; start it with PYBOSSA_RATELIMIT_ENABLED=false)")
    else:
        print("4xx: none")
    if errors:
        print("5xx and connection errors:")
        for (call, what), count in errors.most_common():
            print(f"  {count:6d}  {call} {what}")
    else:
        print("5xx and connection errors: none")
    taskrun_lost = sum(count for (call, _), count in errors.items() if call == "taskrun")
    return cycles, unexpected + sum(errors.values()), taskrun_lost


# -- the integrity check ---------------------------------------------------------------------


def fetch_all(session: requests.Session, url: str, resource: str, project_id: int, api_key: str) -> list[dict]:
    """Every object of ``resource`` in the project, by keyset paging with ``last_id``."""
    params = {"project_id": project_id, "all": 1, "limit": PAGE, "api_key": api_key}
    objects: list[dict] = []
    last_id = None
    while True:
        page_params = params if last_id is None else {**params, "last_id": last_id}
        response = session.get(f"{url}/api/{resource}", params=page_params, timeout=60)
        if response.status_code == 429:
            raise RuntimeError(f"GET {response.url} answered 429: the rate limit is on (PYBOSSA_RATELIMIT_ENABLED=false)")
        if response.status_code != 200:
            raise RuntimeError(f"GET {response.url} answered {response.status_code}: {response.text[:300]}")
        page = response.json()
        if not isinstance(page, list):
            raise RuntimeError(f"GET {response.url} did not answer a list: {str(page)[:300]}")
        if not page:
            return objects
        objects.extend(page)
        last_id = page[-1]["id"]


def check_integrity(url: str, site: Seeded, accepted: int, taskrun_unknown: int) -> list[str]:
    """Return the faults found in the project's tasks, task runs and results."""
    session = requests.Session()
    session.trust_env = False
    try:
        tasks = fetch_all(session, url, "task", site.project_id, site.owner_key)
        runs = fetch_all(session, url, "taskrun", site.project_id, site.owner_key)
        results = fetch_all(session, url, "result", site.project_id, site.owner_key)
    finally:
        session.close()
    faults: list[str] = []
    volunteer_ids = {user_id for user_id, _ in site.volunteers}
    task_by_id = {task["id"]: task for task in tasks}
    runs_of: dict[int, list[int]] = collections.defaultdict(list)
    pairs = collections.Counter()
    for run in runs:
        pairs[(run["task_id"], run.get("user_id"))] += 1
        runs_of[run["task_id"]].append(run["id"])
        if run["task_id"] not in task_by_id:
            faults.append(f"task run {run['id']} is for task {run['task_id']}, not a task of the project")
        if run.get("user_id") not in volunteer_ids:
            faults.append(f"task run {run['id']} has user_id {run.get('user_id')!r}, not a volunteer")
    twice = {pair: count for pair, count in pairs.items() if count > 1}
    if twice:
        sample = ", ".join(f"task {t} user {u} x{c}" for (t, u), c in list(twice.items())[:10])
        faults.append(f"{len(twice)} (task_id, user_id) pairs answered more than once: {sample}")

    over = [(task_id, len(ids)) for task_id, ids in runs_of.items()
            if task_id in task_by_id and len(ids) > task_by_id[task_id]["n_answers"]]
    completed = [task for task in tasks if task["state"] == "completed"]
    if over:
        faults.append(f"{len(over)} tasks have more runs than n_answers (max {max(n for _, n in over)} runs), "
                      f"e.g. tasks {[task_id for task_id, _ in over[:10]]}")
    wrong_count = [task["id"] for task in completed if len(runs_of.get(task["id"], ())) != task["n_answers"]]
    if wrong_count:
        faults.append(f"{len(wrong_count)} completed tasks do not have exactly n_answers runs: {wrong_count[:10]}")
    not_closed = [task["id"] for task in tasks
                  if task["state"] != "completed" and len(runs_of.get(task["id"], ())) >= task["n_answers"]]
    if not_closed:
        faults.append(f"{len(not_closed)} tasks have n_answers runs but are not completed: {not_closed[:10]}")
    counted = [task["id"] for task in tasks
               if "n_task_runs" in task and task["n_task_runs"] != len(runs_of.get(task["id"], ()))]
    if counted:
        faults.append(f"{len(counted)} tasks whose n_task_runs differs from their runs: {counted[:10]}")

    latest: dict[int, list[dict]] = collections.defaultdict(list)
    for result in results:
        if result.get("last_version"):
            latest[result["task_id"]].append(result)
    completed_ids = {task["id"] for task in completed}
    missing, several, mismatched = [], [], []
    for task_id in sorted(completed_ids):
        found = latest.get(task_id, [])
        if not found:
            missing.append(task_id)
        elif len(found) > 1:
            several.append(task_id)
        elif sorted(found[0]["task_run_ids"] or []) != sorted(runs_of.get(task_id, [])):
            mismatched.append(task_id)
    if missing:
        faults.append(f"{len(missing)} completed tasks have no last-version result: {missing[:10]}")
    if several:
        faults.append(f"{len(several)} completed tasks have several last-version results: {several[:10]}")
    if mismatched:
        faults.append(f"{len(mismatched)} results whose task_run_ids are not the task's runs: tasks {mismatched[:10]}")
    stray = sorted(set(latest) - completed_ids)
    if stray:
        faults.append(f"{len(stray)} tasks not completed have a last-version result: {stray[:10]}")

    # Answers the server kept must be the answers it accepted (a taskrun that timed out may have landed).
    if not accepted <= len(runs) <= accepted + taskrun_unknown:
        faults.append(f"the project holds {len(runs)} task runs, the server accepted {accepted} "
                      f"(+ {taskrun_unknown} with no answer)")
    print(f"checked {len(tasks)} tasks ({len(completed)} completed), {len(runs)} task runs, "
          f"{len(results)} results; tasks over n_answers: {len(over)}"
          f"{f' (max {max(n for _, n in over)} runs)' if over else ''}")
    return faults


# -- main ------------------------------------------------------------------------------------


def loopback_url(url: str) -> str | None:
    """Return ``url`` without its trailing slash if it names a loopback host, else None."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            return None
    return url.rstrip("/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000",
                        help="the running server, on loopback (default: %(default)s)")
    parser.add_argument("--database-url", default="sqlite:///var/pybossa.sqlite",
                        help="the server's database, used only to seed (default: %(default)s)")
    parser.add_argument("--volunteers", type=int, default=50, help="concurrent volunteers (default: %(default)s)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load (default: %(default)s)")
    parser.add_argument("--tasks", type=int, default=2000, help="tasks in the project (default: %(default)s)")
    parser.add_argument("--n-answers", type=int, default=3, help="answers each task needs (default: %(default)s)")
    parser.add_argument("--sched", choices=SCHEDULERS, default="default",
                        help="the project's scheduler, its info.sched (default: %(default)s)")
    args = parser.parse_args(argv)
    url = loopback_url(args.url)
    if url is None:
        parser.error(f"--url must be an http(s) URL on a loopback address, not {args.url!r}")
    for name in ("volunteers", "tasks", "n_answers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < args.duration <= 3600:
        parser.error("--duration must be between 0 and 3600 seconds")

    site = seed(args.database_url, args.volunteers, args.tasks, args.n_answers, args.sched)
    print(f"load: {args.volunteers} volunteers for {args.duration:g} s on {url}, sched {args.sched}")
    tallies, elapsed = run_load(url, site, args.duration)
    accepted, errors, taskrun_unknown = report_load(tallies, elapsed, args.duration)
    try:
        faults = check_integrity(url, site, accepted, taskrun_unknown)
    except (RuntimeError, requests.RequestException) as error:
        print(f"integrity check failed to read the project: {error}")
        return 1
    if faults:
        print("INTEGRITY FAULTS:")
        for fault in faults:
            print(f"  - {fault}")
        return 1
    print("INTEGRITY OK")
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
