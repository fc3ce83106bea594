"""``/project/<short_name>/...``: the project's results, statistics and tutorial (its blog: ``views.blog``).

Readable by whoever may see the project (drafts only by their owners and admins), as the
other project pages in ``pybossa_core.views.project``, whose helpers build the shared keys.
"""
from __future__ import annotations

from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext
from pybossa_core.interfaces import ICache, IStatsCalculators
from pybossa_core.i18n import _
from pybossa_core.presenters.project import project_head, project_page
from pybossa_core.security import MANAGE, READ, under_embargo
from pybossa_core.services import figures, project_stats, projects, reliability


@view_config(route_name="project.results", renderer="/projects/results.html", permission=READ)
def results(request):
    project = request.context.project
    context = {**project_page(request, project), "n_results": projects.count_results(request.dbsession, project)}
    if under_embargo(request.identity, project):
        # The visitor may not read the results yet: the day they are published.
        context["embargo_until"] = project.embargo_until.date().isoformat()
    return context


@view_config(route_name="project.stats", renderer="/projects/stats.html", permission=READ, page_cache=True)
def stats(request):
    """The statistics page; without any answer yet PYBOSSA shows its figures only, on another template."""
    project = request.context.project
    managing = bool(request.has_permission(MANAGE))
    context = project_page(request, project, _("Statistics"))
    context["pro_features"] = {**context["pro_features"], "better_stats_enabled": managing}
    recompute = figures.calculator(request.find_service(IStatsCalculators), "project")
    if recompute is None:
        return {**context, **figures.not_computed("project"), "template": figures.PROJECT_NOT_COMPUTED_TEMPLATE}
    computed = project_stats.cached_stats(request.dbsession, project, request.find_service(ICache), recompute)
    if computed is None:
        return {**context, "template": "/projects/non_stats.html"}
    figures.show(request, "project", computed)
    if managing:
        volunteers = reliability.project_reliability(request.dbsession, project)
        context["reliability"] = {"volunteers": volunteers, "histogram": reliability.histogram(volunteers)}
    return {**context, **computed}


@view_config(route_name="project.tutorial", renderer="/projects/tutorial.html", permission=READ)
def tutorial(request):
    """The project's tutorial (``info.tutorial``), beside the project and its owner."""
    project = request.context.project
    return {**project_head(request, project), "tutorial": (project.info or {}).get("tutorial")}


def includeme(config) -> None:
    """Add the routes; their views are found by the scan of ``pybossa_core.views``."""
    for name in ("results", "stats", "tutorial"):
        config.add_route(f"project.{name}", f"/project/{{short_name}}/{name}{{slash:/?}}", factory=ProjectContext)
