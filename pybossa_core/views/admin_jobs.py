"""``/admin/jobs``: the background jobs that failed after their retries, for admins (JSON)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden

from pybossa_core.security import is_admin
from pybossa_core.services.jobs import RQRunner


def failed_jobs(request):
    """Return the runner, its queue and its failed jobs, newest first; 403 for anyone but an admin."""
    if not is_admin(request.identity):
        raise HTTPForbidden()
    runner = request.registry["jobs"]
    return {
        "runner": "rq" if isinstance(runner, RQRunner) else "inline",
        "queue": request.registry.settings["jobs.queue"],
        "failed": [job.to_json() for job in runner.failed()],
    }


def includeme(config) -> None:
    config.add_route("admin.jobs", "/admin/jobs{slash:/?}")
    config.add_view(failed_jobs, route_name="admin.jobs", request_method="GET", renderer="json")
