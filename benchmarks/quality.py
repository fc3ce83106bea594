#!/usr/bin/env python3
"""Simulate a project's volunteers answering through the live API; measure the aggregators' results.

    python benchmarks/quality.py --url http://127.0.0.1:5000 --database-url sqlite:///var/pybossa.sqlite

Each scenario seeds a new project (``benchmarks/seeding.py``): ``--tasks`` tasks (2 000) whose
true label, one of ``--classes`` (4), only this script knows, and ``--volunteers`` simulated
volunteers (200): ``--spammers`` of them (10 %) answer at random, the others are right with a
chance drawn once between 0.70 and 0.95 and otherwise pick a wrong label at random. A
volunteer's answer to a task is a pure function of (``--seed``, volunteer, task), so every
scenario meets the same answers. Gold tasks (``--gold``, 5 % as many as the tasks, with their
labels as ``gold_answers``) are added through ``POST /api/task`` and the project's settings
through ``PUT /api/project``: ``gold_rate``, ``answer_key`` ``label``, the aggregator and, with
adaptive retirement, ``retire_confidence``, ``min_answers`` and ``max_answers``.

``--workers`` threads then run the volunteers through the loop (``GET newtask``, ``POST
taskrun`` with ``{"label": ...}``), each volunteer taking one task at a time in turn, until no
volunteer gets an ordinary task (a volunteer handed two gold tasks in a row has none left: at
a gold rate up to 0.5 gold tasks never come twice in a row otherwise). The script reads the results back through ``GET /api/result`` (owner,
``all=1``, keyset paging) and prints, per scenario: the results' accuracy against the truth,
answers per ordinary task, gold answers, and the time the project's aggregation takes per
completed task, measured against the server's database with ``aggregation.fill_result`` (the
code the answer runs: its queries and the aggregator) in a transaction rolled back.

Scenarios: each of ``--aggregators`` (``majority weighted``) collects its answers with a fixed
``n_answers`` of ``--answers`` (5), after which the results are filled again on the very same
answers with each of ``--reaggregate`` (``weighted dawid-skene``: ``PUT`` the aggregator, then
``POST /api/project/<id>/aggregate``, timed); then each collects again with adaptive retirement
(``--retire-confidence`` 0.75, ``--min-answers`` 2, ``--max-answers``, by default as ``--answers``). Start the server with its API rate
limit off (``PYBOSSA_RATELIMIT_ENABLED=false``) and the aggregator plugins installed.
"""
from __future__ import annotations

import argparse
import hashlib
import queue
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass

import requests

from seeding import seed_project

PAGE = 100


@dataclass(frozen=True)
class Crowd:
    """The simulated volunteers and the truth: who answers what."""

    seed: int
    classes: int
    accuracies: list[float | None]  # None: answers at random

    def answer(self, volunteer: int, task_number: int, truth: int) -> int:
        digest = hashlib.blake2b(f"{self.seed}:{volunteer}:{task_number}".encode(), digest_size=8).digest()
        draw = random.Random(digest)
        accuracy = self.accuracies[volunteer]
        if accuracy is None:
            return draw.randrange(self.classes)
        if draw.random() < accuracy:
            return truth
        return draw.choice([label for label in range(self.classes) if label != truth])


def make_crowd(seed: int, n_volunteers: int, spammers: float, classes: int) -> Crowd:
    draw = random.Random(seed)
    n_spammers = round(n_volunteers * spammers)
    accuracies: list[float | None] = [None] * n_spammers + [draw.uniform(0.70, 0.95) for _ in range(n_volunteers - n_spammers)]
    draw.shuffle(accuracies)
    return Crowd(seed, classes, accuracies)


def truth_of(seed: int, number: int, classes: int) -> int:
    return random.Random(f"truth:{seed}:{number}").randrange(classes)


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def run_scenario(args, crowd: Crowd, aggregator: str, retire: bool) -> dict:
    n_tasks = args.tasks
    infos = ({"n": number, "kind": "ordinary"} for number in range(n_tasks))
    site = seed_project(args.database_url, infos, label="quality", n_answers=args.answers, n_volunteers=args.volunteers)
    owner = _session()
    key = {"api_key": site.owner_key}
    n_gold = round(n_tasks * args.gold)
    for number in range(n_tasks, n_tasks + n_gold):
        label = truth_of(args.seed, number, args.classes)
        response = owner.post(f"{args.url}/api/task", params=key, timeout=30, json={
            "project_id": site.project_id, "info": {"n": number, "kind": "gold"}, "n_answers": args.answers,
            "calibration": 1, "gold_answers": {"label": label},
        })
        response.raise_for_status()
    info = {"gold_rate": args.gold if n_gold else 0, "answer_key": "label", "aggregator": aggregator}
    if retire:
        info.update(retire_confidence=args.retire_confidence, min_answers=args.min_answers,
                    max_answers=args.max_answers or args.answers)
    owner.put(f"{args.url}/api/project/{site.project_id}", params=key, timeout=30, json={"info": info}).raise_for_status()

    turns: queue.Queue[int] = queue.Queue()
    for volunteer in random.Random(args.seed).sample(range(args.volunteers), args.volunteers):
        turns.put(volunteer)
    counts = {"ordinary": 0, "gold": 0, "refused": 0, "errors": 0}
    lock = threading.Lock()
    last_kind = ["ordinary"] * args.volunteers

    def work() -> None:
        session = _session()
        while True:
            try:
                volunteer = turns.get_nowait()
            except queue.Empty:
                return
            params = {"api_key": site.volunteers[volunteer][1]}
            task = session.get(f"{args.url}/api/{site.project_id}/newtask", params=params, timeout=60).json()
            if not task:
                continue  # this volunteer is done
            kind = task["info"]["kind"]
            if kind == "gold" and last_kind[volunteer] == "gold":
                continue  # two gold tasks in a row: no ordinary task is left for this volunteer
            last_kind[volunteer] = kind
            number = task["info"]["n"]
            label = crowd.answer(volunteer, number, truth_of(args.seed, number, args.classes))
            response = session.post(f"{args.url}/api/taskrun", params=params, timeout=60, json={
                "project_id": site.project_id, "task_id": task["id"], "info": {"label": label}})
            with lock:
                if response.status_code == 200:
                    counts[kind] += 1
                elif response.status_code == 403:
                    counts["refused"] += 1
                else:
                    counts["errors"] += 1
            turns.put(volunteer)

    started = time.perf_counter()
    workers = [threading.Thread(target=work, daemon=True) for _ in range(args.workers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started

    row = {"aggregator": aggregator, "retire": retire, "answers_per_task": counts["ordinary"] / n_tasks,
           "gold_answers": counts["gold"], "refused": counts["refused"], "errors": counts["errors"], "seconds": elapsed}
    return {**row, **measure(args, owner, site, aggregator)}, (owner, site, info)


def _pages(session: requests.Session, url: str, params: dict) -> list[dict]:
    items, last_id = [], 0
    while True:
        page = session.get(url, timeout=60, params={**params, "all": 1, "limit": PAGE, "last_id": last_id}).json()
        if not page:
            return items
        items += page
        last_id = page[-1]["id"]


def measure(args, owner: requests.Session, site, aggregator: str) -> dict:
    """The results' accuracy against the truth, and the time aggregation takes per result."""
    params = {"api_key": site.owner_key, "project_id": site.project_id}
    results = {result["task_id"]: result for result in _pages(owner, f"{args.url}/api/result", params)}
    ordinary = [task for task in _pages(owner, f"{args.url}/api/task", params) if task["info"]["kind"] == "ordinary"]
    right = sum(
        1 for task in ordinary
        if task["id"] in results
        and (results[task["id"]]["info"] or {}).get("answer") == truth_of(args.seed, task["info"]["n"], args.classes)
        and results[task["id"]]["info"].get("aggregator") == aggregator
    )
    return {
        "accuracy": right / len(ordinary), "completed": sum(1 for task in ordinary if task["id"] in results),
        "aggregation_ms": aggregation_time(args.database_url, site.project_id, list(results)[: args.timed]),
    }


def reaggregate(args, owner: requests.Session, site, info: dict, aggregator: str) -> dict:
    """Switch the project to ``aggregator``, fill its results again (``POST .../aggregate``) and measure."""
    key = {"api_key": site.owner_key}
    owner.put(f"{args.url}/api/project/{site.project_id}", params=key, timeout=30,
              json={"info": {**info, "aggregator": aggregator}}).raise_for_status()
    began = time.perf_counter()
    # Inline jobs run before the answer; with a worker (redis.url) the figures would come too early.
    owner.post(f"{args.url}/api/project/{site.project_id}/aggregate", params=key, timeout=600, json={}).raise_for_status()
    return {"aggregator": aggregator, "job_seconds": time.perf_counter() - began, **measure(args, owner, site, aggregator)}


def aggregation_time(database_url: str, project_id: int, task_ids: list[int]) -> float:
    """Median milliseconds of ``aggregation.fill_result`` over ``task_ids``, rolled back."""
    from sqlalchemy.orm import Session

    from pybossa_core.db import get_engine
    from pybossa_core.models import Project, Result, Task
    from pybossa_core.plugins import load_plugins
    from pybossa_core.services import aggregation

    aggregators = load_plugins({}).registries["aggregators"]
    engine = get_engine({"database.url": database_url})
    timings = []
    with Session(engine) as session:
        project = session.get(Project, project_id)
        for task_id in task_ids:
            result_id = session.query(Result.id).filter(Result.task_id == task_id).scalar()
            task = session.get(Task, task_id)  # as in the answer's request, which checked the answer against it
            began = time.perf_counter()
            aggregation.fill_result(session, aggregators, project, task_id, result_id)
            timings.append((time.perf_counter() - began) * 1000)
            del task
        session.rollback()
    engine.dispose()
    return statistics.median(timings) if timings else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--spammers", type=float, default=0.10)
    parser.add_argument("--gold", type=float, default=0.05)
    parser.add_argument("--answers", type=int, default=5)
    parser.add_argument("--retire-confidence", type=float, default=0.75)
    parser.add_argument("--min-answers", type=int, default=2)
    parser.add_argument("--max-answers", type=int, default=None,
                        help="adaptive retirement's most answers (default --answers); new tasks get as many")
    parser.add_argument("--aggregators", nargs="+", default=["majority", "weighted"],
                        help="each collects its own answers")
    parser.add_argument("--reaggregate", nargs="*", default=["weighted", "dawid-skene"],
                        help="after each fixed scenario, fill its results again with these (same answers)")
    parser.add_argument("--modes", nargs="+", choices=["fixed", "adaptive"], default=["fixed", "adaptive"],
                        help="fixed n_answers, adaptive retirement, or both")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--timed", type=int, default=500, help="results whose aggregation is timed")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    crowd = make_crowd(args.seed, args.volunteers, args.spammers, args.classes)
    rows = []
    for retire in [mode == "adaptive" for mode in args.modes]:
        for aggregator in args.aggregators:
            row, (owner, site, info) = run_scenario(args, crowd, aggregator, retire)
            rows.append(row)
            mode = "adaptive" if retire else f"n_answers {args.answers}"
            print(f"{aggregator:>11} {mode:>12}: accuracy {100 * row['accuracy']:.1f}%, "
                  f"{row['answers_per_task']:.2f} answers/task, {row['gold_answers']} gold answers, "
                  f"{row['completed']}/{args.tasks} completed, aggregation {row['aggregation_ms']:.2f} ms/result, "
                  f"{row['refused']} refused, {row['errors']} errors, {row['seconds']:.0f} s", flush=True)
            if retire:
                continue
            for other in args.reaggregate:
                again = reaggregate(args, owner, site, info, other)
                print(f"{other:>11} {mode:>12}: accuracy {100 * again['accuracy']:.1f}% on the same answers "
                      f"(filled again in {again['job_seconds']:.1f} s), aggregation {again['aggregation_ms']:.2f} ms/result",
                      flush=True)
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
