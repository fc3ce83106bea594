"""``/admin/jobs``: every background job's fate, for admins (HTML, or JSON when asked).

Queued, running (with the worker running it), waiting for a retry, requeued after their
worker died, failed after their retries and lately done, each with its kind, project,
tries and last error.  Inline jobs (no ``redis.url``) run inside the request that queued
them: only those that failed are left to show.
"""
from __future__ import annotations

from pybossa_core.i18n import _
from pybossa_core.interfaces import IJobRunner
from pybossa_core.security import ADMINISTER
from pybossa_core.services.jobs import RQRunner


def jobs(request):
    """Return the runner, its queue and its jobs, by state (for admins: ``security.ADMINISTER``)."""
    runner = request.find_service(IJobRunner)
    listed = [job.to_json() for job in runner.jobs()]
    return {
        "title": _("Background jobs"),
        "runner": "rq" if isinstance(runner, RQRunner) else "inline",
        "queue": request.registry.settings["jobs.queue"],
        "jobs": listed,
        "failed": [job for job in listed if job["state"] == "failed"],
    }


def includeme(config) -> None:
    config.add_route("admin.jobs", "/admin/jobs{slash:/?}")
    config.add_view(jobs, route_name="admin.jobs", request_method="GET", renderer="/admin/jobs.html", permission=ADMINISTER)
