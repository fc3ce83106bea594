#!/usr/bin/env python3
"""Time a project's task run exports (CSV and JSON ZIPs) and the server's peak memory while it builds them.

    python benchmarks/export.py                              # 1 000 000 task runs, scratch SQLite site
    python benchmarks/export.py --database-url postgresql://postgres@127.0.0.1:5432/pybossa_export

The script seeds the database straight with SQLAlchemy core (``seeding.seed_project`` for the
owner, the project and its tasks, then ``--task-runs`` task runs, ``--runs-per-task`` per task,
1 000 rows per executemany and transaction, then ANALYZE).  Each run's ``info`` holds an answer
and a confidence; one in a thousand also holds a ``comment``, so the CSV's ``info_*`` columns are
the union over all rows.

Unless ``--url`` names a running server, it starts ``pybossa serve`` on ``--port`` against the
database (rate limit off) and stops it at the end.  Then, for each format, it resets the
server's peak resident memory (``echo 5 > /proc/PID/clear_refs``), downloads
``/project/<short_name>/tasks/export?type=task_run&format=F`` to a temporary file, and prints the
time, the ZIP's size and the server's peak RSS during the export (``VmHWM`` in
``/proc/PID/status``), beside its RSS before.  It checks each ZIP holds one file with every run:
CSV rows are counted with ``csv.reader``; JSON objects by their ``title='taskrun'`` self link,
streaming, so the client stays small too.  With ``--url``, give ``--server-pid`` to see memory.
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

from seeding import seed_project, start_server

#: Task runs inserted per executemany, each in its own transaction.
CHUNK = 1_000
SELF_LINK = re.compile(rb"title='taskrun'")


def seed(database_url: str, n_task_runs: int, runs_per_task: int):
    """Create a project with ``n_task_runs`` task runs over ``n_task_runs / runs_per_task`` tasks."""
    import sqlalchemy as sa

    from pybossa_core.db import get_engine
    from pybossa_core.models import Task, TaskRun
    from pybossa_core.models.meta import utcnow

    n_tasks = -(-n_task_runs // runs_per_task)
    infos = ({"image": f"https://example.com/{number}.png"} for number in range(n_tasks))
    seeded = seed_project(database_url, infos, label="export", n_answers=runs_per_task)
    started, now = time.perf_counter(), utcnow()
    engine = get_engine({"database.url": database_url})
    with engine.begin() as connection:
        task_ids = connection.scalars(
            sa.select(Task.id).where(Task.project_id == seeded.project_id).order_by(Task.id)
        ).all()
    rows = []
    for number in range(n_task_runs):
        task_index, run = divmod(number, runs_per_task)
        info = {"answer": "yes" if number % 3 else "no", "confidence": round((number % 100) / 100, 2)}
        if number % 1000 == 0:
            info["comment"] = f"checked by hand, run {number}"
        rows.append({
            "project_id": seeded.project_id, "task_id": task_ids[task_index], "user_id": None,
            "user_ip": f"10.0.{run}.{task_index}", "created": now, "finish_time": now, "info": info,
        })
        if len(rows) == CHUNK or number == n_task_runs - 1:
            # A transaction per chunk: every run's triggers update the project's counter rows, and
            # within one transaction PostgreSQL walks all their earlier versions on each update.
            with engine.begin() as connection:
                connection.execute(sa.insert(TaskRun.__table__), rows)
            rows = []
    with engine.begin() as connection:
        connection.execute(
            sa.update(Task.__table__).where(Task.project_id == seeded.project_id).values(n_task_runs=runs_per_task)
        )
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"seeded {n_task_runs} task runs in {time.perf_counter() - started:.1f} s")
    return seeded


def memory_kib(pid: int, field: str) -> int:
    """Return ``field`` (VmRSS, VmHWM) of process ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def count_rows(archive_path: str, file_format: str) -> tuple[str, int]:
    """Return the name of the ZIP's one file and the number of task runs in it, reading it as a stream."""
    with zipfile.ZipFile(archive_path) as archive:
        [name] = archive.namelist()
        with archive.open(name) as member:
            if file_format == "csv":
                return name, sum(1 for _ in csv.reader(io.TextIOWrapper(member, encoding="utf-8", newline=""))) - 1
            count, tail = 0, b""
            while block := member.read(1 << 20):
                text = tail + block
                count += len(SELF_LINK.findall(text))
                # Too short to hold a whole link: keeps the start of one split across blocks.
                tail = text[-(len(SELF_LINK.pattern) - 1):]
            return name, count


def export(url: str, short_name: str, api_key: str, file_format: str, pid: int | None) -> tuple[float, int, int | None]:
    """Download one export; return (seconds, ZIP bytes, server peak RSS KiB during it or None)."""
    if pid is not None:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile(suffix=".zip") as target:
        with requests.get(f"{url}/project/{short_name}/tasks/export",
                          params={"type": "task_run", "format": file_format, "api_key": api_key},
                          stream=True, timeout=3600) as response:
            if response.status_code != 200:
                sys.exit(f"{response.url} answered {response.status_code}: {response.text[:500]}")
            for block in response.iter_content(1 << 20):
                target.write(block)
        elapsed = time.perf_counter() - started
        target.flush()
        size = target.tell()
        peak = memory_kib(pid, "VmHWM") if pid is not None else None
        name, rows = count_rows(target.name, file_format)
    print(f"{file_format}: {name}, {rows} task runs, {size / 1e6:.1f} MB zipped, {elapsed:.1f} s"
          + (f", server peak RSS {peak / 1024:.0f} MiB" if peak is not None else ""))
    return elapsed, rows, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task-runs", type=int, default=1_000_000)
    parser.add_argument("--runs-per-task", type=int, default=10)
    parser.add_argument("--database-url", default="sqlite:////tmp/pybossa_export_bench/bench.sqlite")
    parser.add_argument("--url", help="a running server on that database (default: start one)")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's process id, to read its memory")
    parser.add_argument("--port", type=int, default=5081, help="the port of the server the script starts")
    args = parser.parse_args(argv)

    if args.database_url.startswith("sqlite:////"):
        Path(args.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    seeded = seed(args.database_url, args.task_runs, args.runs_per_task)
    server = None
    if args.url:
        url, pid = args.url.rstrip("/"), args.server_pid
    else:
        log = Path(tempfile.gettempdir()) / f"pybossa_export_bench_{args.port}.log"
        server = start_server(args.database_url, args.port, log)
        url, pid = f"http://127.0.0.1:{args.port}", server.pid
    try:
        if pid is not None:
            print(f"server pid {pid}, RSS before the exports {memory_kib(pid, 'VmRSS') / 1024:.0f} MiB")
        faults = 0
        for file_format in ("csv", "json"):
            _, rows, _ = export(url, seeded.short_name, seeded.owner_key, file_format, pid)
            if rows != args.task_runs:
                print(f"FAULT: the {file_format} export holds {rows} task runs, not {args.task_runs}")
                faults += 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
