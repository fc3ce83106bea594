"""What the cross-process store costs: per operation, and on a rate-limited read path served by two workers.

    .venv/bin/python benchmarks/shared_state.py [--redis-url redis://127.0.0.1:6379/0] [--seconds 10]

First the shared counters alone (a rate-limit hit, a cache-generation read), in the SQLite file
and, with ``--redis-url``, in Redis.  Then ``pybossa serve --workers 2 --threads 4`` on a fresh
SQLite site without Redis, twice (rate limits on, then off), each loaded by 16 kept-alive
connections reading ``GET /api/project/1`` and ``GET /api/task/1``; it prints requests per
second and the server's CPU per request (the server's process tree, from /proc).
"""
from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import redis
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pybossa_core.services.ratelimit import RateLimiter  # noqa: E402
from pybossa_core.services.shared_state import FileCounters, RedisCounters  # noqa: E402
from pybossa_core.testing import migrated_sqlite_engine  # noqa: E402
from tests import factories  # noqa: E402

CONNECTIONS = 16
PATHS = ("/api/project/1", "/api/task/1")


def per_operation(counters, label: str, times: int = 5000) -> None:
    limiter = RateLimiter(counters)
    for _ in range(200):
        limiter.hit("bench", 10**9, 900)
    figures = []
    for operation in (lambda: limiter.hit("bench", 10**9, 900), lambda: counters.get(["generation:site"])):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(times):
            operation()
        figures.append((1e6 * (time.perf_counter() - wall) / times, 1e6 * (time.process_time() - cpu) / times))
    (hit_wall, hit_cpu), (get_wall, get_cpu) = figures
    print(f"{label:6} rate-limit hit {hit_cpu:6.1f} µs CPU ({hit_wall:6.1f} wall) · "
          f"generation read {get_cpu:5.1f} µs CPU ({get_wall:5.1f} wall)")


def process_tree_cpu(pid: int) -> float:
    """Seconds of CPU used by ``pid`` and its children so far."""
    ticks, pids = 0, [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def load(port: int, seconds: float) -> int:
    done, stop = [], time.monotonic() + seconds

    def client() -> None:
        connection, count = http.client.HTTPConnection("127.0.0.1", port), 0
        while time.monotonic() < stop:
            connection.request("GET", PATHS[count % len(PATHS)])
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            count += 1
        done.append(count)

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def served(folder: Path, ratelimit: bool, seconds: float) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ini = folder / f"site-{ratelimit}.ini"
    ini.write_text(textwrap.dedent(f"""\
        [app:main]
        use = egg:pybossa-core
        database.url = sqlite:///{folder / "pybossa.sqlite"}
        shared_state.path = {folder / "shared_state.sqlite"}
        secret = benchmark-secret-0123456789abcdef
        uploads.dir = {folder / "uploads"}
        ratelimit.enabled = {"true" if ratelimit else "false"}
        ratelimit.limit = 1000000000
        """))
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), "serve", "--workers", "2", "--threads", "4"],
        cwd=ROOT, env={**environ, "PYBOSSA_PORT": str(port)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)
        load(port, 2)  # warm up both workers
        cpu, wall = process_tree_cpu(server.pid), time.monotonic()
        requests = load(port, seconds)
        cpu, wall = process_tree_cpu(server.pid) - cpu, time.monotonic() - wall
        print(f"rate limits {'on ' if ratelimit else 'off'}: {requests / wall:7.1f} req/s, "
              f"{1000 * cpu / requests:.3f} ms server CPU per request, {cpu / wall:.2f} cores")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", help="also measure the counters in this Redis")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load per server run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        per_operation(FileCounters(str(folder / "counters.sqlite")), "file")
        if args.redis_url:
            client, prefix = redis.Redis.from_url(args.redis_url), f"bench-{os.getpid()}"
            per_operation(RedisCounters(client, prefix), "redis")
            for name in client.scan_iter(match=f"{prefix}:*"):
                client.delete(name)
        engine = migrated_sqlite_engine(folder / "pybossa.sqlite")
        with Session(engine) as session:
            make = factories.Factories(session)
            make.task(make.project(make.user()))
            session.commit()
        engine.dispose()
        for ratelimit in (True, False):
            served(folder, ratelimit, args.seconds)


if __name__ == "__main__":
    main()
