"""The ``pybossa`` command: serve the site, run its jobs, upgrade its database, make an admin, list plugins."""
from __future__ import annotations

import argparse
import gc
import logging
import os
import socket
import sys
import time
from typing import Any

import sqlalchemy as sa
import transaction

from pybossa_core.interfaces import IDBEngine, IStatsCalculators, find_service
from pybossa_core.plugins import PluginStartupError
from pybossa_core.redaction import protect
from pybossa_core.settings import SettingsError, load_settings


SWITCH_INTERVAL = 0.001
#: Seconds a stopping worker has to finish its requests before it is killed.
WORKERS_KILL_TIMEOUT = 20


def _raw_settings(config_uri: str | None) -> dict[str, Any]:
    """Return the ``[app:main]`` settings of ``config_uri`` (none without an ini file)."""
    if config_uri is None:
        return {}
    from pyramid.paster import get_appsettings

    return dict(get_appsettings(config_uri))


def default_config() -> str | None:
    """Return the ini file a command reads by default: ``$PYBOSSA_CONFIG``, else ``./development.ini`` if present."""
    path = os.environ.get("PYBOSSA_CONFIG") or "development.ini"
    return path if os.path.exists(path) else None


def _checked(settings: dict[str, Any]) -> bool:
    """Check the site's database and Redis before serving it or running its jobs; print why not."""
    from pybossa_core.startup import NotReady, check_site

    try:
        check_site(settings)
    except NotReady as problem:
        print(f"pybossa: {problem}", file=sys.stderr)
        return False
    return True


def _setup_logging(config_uri: str | None) -> None:
    """Log as the ini file says; without one, INFO and above to stderr (the address, each request)."""
    if config_uri:
        from pyramid.paster import setup_logging

        setup_logging(config_uri)
    else:
        from pybossa_core.logs import CombiningStreamHandler

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-5.5s [%(name)s] %(message)s",
                            handlers=[CombiningStreamHandler()])


def access_log(app):
    """Wrap ``app`` so each request is logged (method, path, status, milliseconds) to ``pybossa_core.access``."""
    logger = logging.getLogger("pybossa_core.access")

    def logged(environ, start_response):
        started, status = time.perf_counter(), []

        def start(code, headers, exc_info=None):
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, exc_info)

        try:
            return app(environ, start)
        finally:
            logger.info("%s %s %s %s %.1fms", environ.get("REMOTE_ADDR", "-"), environ["REQUEST_METHOD"],
                        environ.get("PATH_INFO", ""), status[0] if status else "-",
                        (time.perf_counter() - started) * 1000)

    return logged


def _cannot_listen(settings: dict[str, Any], error: OSError) -> int:
    print(f"pybossa: cannot listen on {settings['host']}:{settings['port']}: {error.strerror or error}", file=sys.stderr)
    return 2


def site_application(config_uri: str | None):
    """Return the site's WSGI application built from ``config_uri`` (None: the environment alone)."""
    return site_configuration(config_uri).make_wsgi_app()


def settle_heap() -> None:
    """Take what startup built (modules, the templates' code, the ORM's metadata, the catalogs) out
    of the garbage collector's walks: it lives as long as the process, and every full collection
    walked all of it again (a third of an export's time, more on a big site). Called by each
    serving process once its site is built; new objects are collected as before."""
    gc.collect()
    gc.freeze()


def site_configuration(config_uri: str | None):
    """Return the site's configuration built from ``config_uri``: its registry holds the site's services."""
    from pybossa_core.config import configure

    _setup_logging(config_uri)
    return configure(_raw_settings(config_uri))


def workers_count(text: str) -> int:
    """Parse ``--workers``: a whole number of server processes, at least 1."""
    try:
        workers = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers takes a whole number of processes, not {text!r}") from None
    if workers < 1:
        raise argparse.ArgumentTypeError(f"--workers must be at least 1, not {workers}")
    return workers


def serve(args, settings: dict[str, Any]) -> int:
    """Serve the site on ``host``:``port``: waitress in this process, or N granian worker processes."""
    workers = args.workers or settings["workers"]
    # Requests make many short database round trips; a thread back from one waits for the GIL
    # up to the switch interval (5 ms by default). 1 ms measured 14-33% more contribution cycles/s.
    sys.setswitchinterval(SWITCH_INTERVAL)
    # Built here even for workers, so that a site that cannot start says why once, not once per worker.
    try:
        app = site_application(args.config)
    except PluginStartupError as error:
        print(f"pybossa: {error}", file=sys.stderr)
        return 2
    # Then what the site needs from outside: its database, Redis and its port.
    if not _checked(settings):
        return 2
    from pybossa_core.services.missing_plugins import warn_projects_naming_missing

    warn_projects_naming_missing(app.registry)
    if workers == 1:
        import waitress

        settle_heap()
        try:
            # The site decides whom to believe about X-Forwarded-* (proxies.trusted): waitress must pass them on.
            server = waitress.create_server(access_log(app), host=settings["host"], port=settings["port"],
                                            threads=args.threads, clear_untrusted_proxy_headers=False)
        except OSError as error:
            return _cannot_listen(settings, error)
        logging.getLogger(__name__).info("serving on http://%s:%s", settings["host"], settings["port"])
        server.run()
        return 0
    try:
        socket.create_server((settings["host"], settings["port"])).close()
    except OSError as error:
        return _cannot_listen(settings, error)
    from granian import Granian
    from granian.constants import Interfaces

    # Its connections are closed before the workers fork: each builds its own site.
    find_service(app.registry, IDBEngine).dispose()
    # Each worker imports pybossa_core.wsgi, which reads the same ini file.
    os.environ["PYBOSSA_CONFIG"] = os.path.abspath(args.config) if args.config else ""
    logging.getLogger(__name__).info("serving on http://%s:%s with %d workers", settings["host"], settings["port"], workers)
    Granian(
        "pybossa_core.wsgi:logged_application", address=settings["host"], port=settings["port"],
        interface=Interfaces.WSGI, workers=workers, blocking_threads=args.threads,
        respawn_failed_workers=True, workers_kill_timeout=WORKERS_KILL_TIMEOUT, log_access=False,
    ).serve()
    return 0


def _redis_or_exit(settings: dict[str, Any]):
    from pybossa_core.services.shared_state import redis_client

    client = redis_client(settings["redis.url"])
    if client is None:
        print("pybossa: no redis.url: jobs run inline in the server processes, no worker is needed", file=sys.stderr)
    return client


def worker(args, settings: dict[str, Any]) -> int:
    """Run the site's background jobs from its RQ queue (needs redis.url)."""
    from pybossa_core.services.jobs import worker_for

    client = _redis_or_exit(settings)
    if client is None:
        return 2
    try:
        # Jobs find the site's services as its requests do: the worker builds the site once.
        registry = site_configuration(args.config).registry
    except PluginStartupError as error:
        print(f"pybossa: {error}", file=sys.stderr)
        return 2
    if not _checked(settings):
        return 2
    settle_heap()
    # The scheduler re-queues jobs waiting for their retry interval.
    worker_for(settings, client, registry).work(burst=args.burst, with_scheduler=True)
    return 0


def jobs(args, settings: dict[str, Any]) -> int:
    """List the background jobs: queued, running (with their worker), requeued, failed and lately done."""
    from pybossa_core.services.jobs import RQRunner

    client = _redis_or_exit(settings)
    if client is None:
        return 2
    listed = RQRunner(client, settings).jobs()
    for job in listed:
        project = f" project {job.project_id}" if job.project_id is not None else ""
        worker = f" on {job.worker}" if job.worker else ""
        error = f": {job.last_error}" if job.last_error else ""
        print(f"{job.state:9} {job.at or '-'} {job.id} {job.kind}{project} tries {job.tries}{worker}{error}")
    counts = {state: sum(job.state == state for job in listed) for state in STATES}
    print(", ".join(f"{count} {state}" for state, count in counts.items()) + f" job(s) on queue {settings['jobs.queue']!r}")
    return 0


#: The states ``pybossa jobs`` counts, in the order it lists them.
STATES = ("running", "queued", "scheduled", "requeued", "failed", "done")


def db_upgrade(args, settings: dict[str, Any]) -> int:
    """Create the database's tables or bring them up to date."""
    from sqlalchemy.orm import Session

    from pybossa_core.db import get_engine
    from pybossa_core.migrations import upgrade
    from pybossa_core.services.projects import add_default_categories

    def fill(connection) -> None:
        add_default_categories(Session(bind=connection))

    engine = get_engine(settings)
    upgrade(engine, args.revision, on_new_site=fill if args.revision == "head" else None)
    print(f"database at {engine.url.render_as_string(hide_password=True)} is at revision {args.revision}")
    return 0


def create_admin(args, settings: dict[str, Any]) -> int:
    """Create an admin account and print its API key."""
    from pybossa_core.db import get_engine, get_session_factory, get_tm_session
    from pybossa_core.models import User

    session_factory = get_session_factory(get_engine(settings))
    with transaction.manager:
        session = get_tm_session(session_factory, transaction.manager)
        taken = session.scalar(
            sa.select(User.id).where(sa.or_(User.name == args.name, User.email_addr == args.email))
        )
        if taken is not None:
            print(f"a user named {args.name!r} or with e-mail {args.email!r} already exists", file=sys.stderr)
            return 1
        user = User(name=args.name, fullname=args.name, email_addr=args.email, admin=True, valid_email=True)
        session.add(user)
        session.flush()
        api_key = user.api_key
    print(api_key)
    return 0


def plugins(args, settings: dict[str, Any]) -> int:
    """List the plugins, one line each: OK, OVERRIDES, CONFLICT, FAILED or DISABLED."""
    from pybossa_core.plugins import load_plugins

    hooks = load_plugins(settings)
    statuses = hooks.statuses()
    for info in hooks.list_plugins():
        status = "; ".join(statuses[info.name])
        print(f"{info.name} {info.version or '-'} {status} ({', '.join(info.hooks) or 'no hooks'})")
    for failure in hooks.failed:
        print(f"{failure.name} - FAILED {failure.error}")
    for name in hooks.disabled:
        print(f"{name} - DISABLED")
    for name in hooks.unknown_disabled:
        print(f"WARNING plugins.disabled names {name}, which is no installed plugin")
    return 1 if hooks.failed or hooks.conflicts else 0


def refresh_stats(args, settings: dict[str, Any]) -> int:
    """Compute the admin dashboard's weekly figures now (run it daily from cron)."""
    from pybossa_core.services.figures import refresh_snapshot
    from pybossa_core.services.jobs import JobContext, function_path

    registry = site_configuration(args.config).registry
    calculator = find_service(registry, IStatsCalculators).get("dashboard")
    if calculator is None:
        print("pybossa: no statistics plugin computes the dashboard", file=sys.stderr)
        return 1
    refresh_snapshot(JobContext(settings, registry), "dashboard", function_path(calculator.recompute))
    print("dashboard figures computed")
    return 0


def rebuild_figures(args, settings: dict[str, Any]) -> int:
    """Recompute the statistics counters from the tasks and task runs (the database keeps them with
    every write; run this after writing around the triggers, or to check them)."""
    from pybossa_core.db import get_engine
    from pybossa_core.models.figure_counts import rebuild

    engine = get_engine(settings)
    with engine.begin() as connection:
        rebuild(connection)
    print("statistics counters rebuilt")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pybossa", description=__doc__)
    parser.add_argument(
        "-c", "--config", default=default_config(),
        help="the site's ini file (default: $PYBOSSA_CONFIG, else ./development.ini if present)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help=serve.__doc__)
    serve_parser.add_argument("--threads", type=int, default=8, help="threads per server process (default 8)")
    serve_parser.add_argument(
        "--workers", type=workers_count, default=None,
        help="server processes sharing the port (default: the workers setting, 1)",
    )
    serve_parser.set_defaults(run=serve)
    worker_parser = commands.add_parser("worker", help=worker.__doc__)
    worker_parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker_parser.set_defaults(run=worker)
    commands.add_parser("jobs", help=jobs.__doc__).set_defaults(run=jobs)
    db_parser = commands.add_parser("db", help="database commands")
    db_commands = db_parser.add_subparsers(dest="db_command", required=True)
    upgrade_parser = db_commands.add_parser("upgrade", help=db_upgrade.__doc__)
    upgrade_parser.add_argument("revision", nargs="?", default="head")
    upgrade_parser.set_defaults(run=db_upgrade)
    admin_parser = commands.add_parser("create-admin", help=create_admin.__doc__)
    admin_parser.add_argument("name")
    admin_parser.add_argument("email")
    admin_parser.set_defaults(run=create_admin)
    commands.add_parser("plugins", help=plugins.__doc__).set_defaults(run=plugins, needs_secret=False)
    commands.add_parser("refresh-stats", help=refresh_stats.__doc__).set_defaults(run=refresh_stats)
    commands.add_parser("rebuild-figures", help=rebuild_figures.__doc__).set_defaults(run=rebuild_figures)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    raw = _raw_settings(args.config)
    if not getattr(args, "needs_secret", True):
        # Listing plugins signs nothing: a site without its secret may still be inspected.
        raw = {"secret": "unused-by-this-command-it-signs-nothing", **raw}
    try:
        settings = load_settings(raw)
    except SettingsError as error:
        print(f"pybossa: {error}", file=sys.stderr)
        return 2
    protect(settings)
    return args.run(args, settings)


if __name__ == "__main__":
    sys.exit(main())
