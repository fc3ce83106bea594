"""What completing a task adds to an answer, in-process: the CPU and wall time of a
``POST /api/taskrun`` that completes its task against one that does not.

    .venv/bin/python benchmarks/completion_cost.py --database-url postgresql://postgres@127.0.0.1:5432/completion --tasks 400

Seeds a project whose tasks need 2 answers and two volunteers who take turns through newtask,
so every second answer completes its task (its result made and filled by the default
aggregator); prints the median of each kind, leaving out the first 50 as warm-up.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import webtest

from hot_path import build_site
from seeding import seed_project

WARM_UP = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--tasks", type=int, default=400)
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="completion_cost_")
    database_url = args.database_url or f"sqlite:///{scratch}/site.sqlite"
    site = seed_project(database_url, ({"n": number} for number in range(args.tasks)), label="completion",
                        n_answers=2, n_volunteers=2)
    app = webtest.TestApp(build_site(database_url, scratch, None),
                          extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"})
    from pybossa_core.cli import settle_heap

    settle_heap()  # as each serving process does once its site is built
    spent: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for turn in range(2 * args.tasks):
        key = site.volunteers[turn % 2][1]
        task = app.get(f"/api/{site.project_id}/newtask", {"api_key": key}).json
        wall, cpu = time.perf_counter(), time.process_time()
        app.post_json(f"/api/taskrun?api_key={key}",
                      {"project_id": site.project_id, "task_id": task["id"], "info": {"answer": turn % 3}})
        spent[turn % 2 == 1].append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    for completing, figures in spent.items():
        figures = figures[WARM_UP:]
        print(f"{'completing' if completing else 'not completing':<15} wall {statistics.median(f[0] for f in figures):.3f} ms"
              f"  CPU {statistics.median(f[1] for f in figures):.3f} ms  ({len(figures)} answers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
