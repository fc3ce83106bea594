"""What the cross-process store costs: per operation, and on a rate-limited read path served by two workers.

    .venv/bin/python benchmarks/shared_state.py [--redis-url redis://127.0.0.1:6379/0] [--seconds 10]

First the shared counters alone (a rate-limit hit, a cache-generation read), in the SQLite file
and, with ``--redis-url``, in Redis.  Then ``pybossa serve --workers 2 --threads 4`` on a fresh
SQLite site without Redis, twice (rate limits on, then off), each loaded by 16 kept-alive
connections reading ``GET /api/project/1`` and ``GET /api/task/1``; it prints requests per
second and the server's CPU per request (the server's process tree, from /proc); ``--rounds N``
alternates the two N times, as the machine's other work moves each run's figures.

With ``--instructions`` it counts instead, under valgrind's callgrind, the instructions one
process spends per request of the same path, rate limits on and off, calling the site's WSGI
application straight (no server, no client library in the count): a figure that the machine's
other work does not move, where the live CPU per request moves by more than the difference.
"""
from __future__ import annotations

import argparse
import http.client
import io
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


def count_requests(folder: Path, ratelimit: bool, requests: int) -> None:
    """Run under callgrind (``--instr-atstart=no``): ``requests`` requests of ``PATHS`` counted, after a warm-up."""
    from pybossa_core.config import configure

    settings = {"database.url": f"sqlite:///{folder / 'pybossa.sqlite'}", "shared_state.path": str(folder / "state.sqlite"),
                "secret": "benchmark-secret-0123456789abcdef", "uploads.dir": str(folder / "uploads"),
                "ratelimit.enabled": "true" if ratelimit else "false", "ratelimit.limit": "1000000000"}
    app = configure(settings, environ={}).make_wsgi_app()

    def get(path: str) -> None:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "5000", "HTTP_HOST": "127.0.0.1:5000", "REMOTE_ADDR": "127.0.0.1",
                   "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
                   "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": True,
                   "wsgi.multiprocess": True, "wsgi.run_once": False}
        status = []
        body = b"".join(app(environ, lambda code, headers, exc_info=None: status.append(code)))
        assert status[0].startswith("200") and body, status

    for count in range(200):
        get(PATHS[count % len(PATHS)])
    from pybossa_core.cli import settle_heap

    settle_heap()  # as a serving process does
    control = ["callgrind_control", "--instr=on", str(os.getpid())]
    subprocess.run(control, check=True, capture_output=True)
    for count in range(requests):
        get(PATHS[count % len(PATHS)])
    subprocess.run([*control[:1], "--instr=off", str(os.getpid())], check=True, capture_output=True)
    subprocess.run([*control[:1], "--dump=counted", str(os.getpid())], check=True, capture_output=True)


def instructions(folder: Path, requests: int) -> None:
    """Count each setting's instructions per request in a process of its own under callgrind."""
    counted = {}
    for ratelimit in (True, False):
        out = folder / f"callgrind-{ratelimit}.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                        sys.executable, __file__, "--count", "on" if ratelimit else "off", "--folder", str(folder),
                        "--requests", str(requests)], check=True, capture_output=True)
        # The dump of the counted requests (callgrind numbers it .1).
        totals = next(line for line in Path(f"{out}.1").read_text().splitlines() if line.startswith("totals:"))
        counted[ratelimit] = int(totals.split()[1]) / requests
        print(f"rate limits {'on ' if ratelimit else 'off'}: {counted[ratelimit] / 1e6:.3f} M instructions per request")
    print(f"limits on cost {100 * (counted[True] / counted[False] - 1):+.1f} %")


def seed(folder: Path) -> None:
    engine = migrated_sqlite_engine(folder / "pybossa.sqlite")
    with Session(engine) as session:
        make = factories.Factories(session)
        make.task(make.project(make.user()))
        session.commit()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", help="also measure the counters in this Redis")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load per server run")
    parser.add_argument("--rounds", type=int, default=1, help="server runs of each setting, alternated")
    parser.add_argument("--instructions", action="store_true", help="count instructions per request (callgrind)")
    parser.add_argument("--requests", type=int, default=1000, help="requests counted per setting (--instructions)")
    parser.add_argument("--count", choices=("on", "off"), help=argparse.SUPPRESS)  # the process callgrind runs
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count:
        count_requests(args.folder, args.count == "on", args.requests)
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        per_operation(FileCounters(str(folder / "counters.sqlite")), "file")
        if args.redis_url:
            client, prefix = redis.Redis.from_url(args.redis_url), f"bench-{os.getpid()}"
            per_operation(RedisCounters(client, prefix), "redis")
            for name in client.scan_iter(match=f"{prefix}:*"):
                client.delete(name)
        seed(folder)
        if args.instructions:
            instructions(folder, args.requests)
            return
        for _ in range(args.rounds):
            for ratelimit in (True, False):
                served(folder, ratelimit, args.seconds)


if __name__ == "__main__":
    main()
