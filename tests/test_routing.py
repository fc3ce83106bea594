"""Route matching by first segment (``pybossa_core.routing``) chooses the route Pyramid's own mapper chooses."""
from __future__ import annotations

from pyramid.interfaces import IRoutesMapper
from pyramid.request import Request
from pyramid.urldispatch import RoutesMapper

from pybossa_core.routing import FirstSegmentRoutes


def pyramid_mapper(routes: FirstSegmentRoutes) -> RoutesMapper:
    mapper = RoutesMapper()
    for route in routes.routelist:
        mapper.connect(route.name, route.pattern, route.factory, route.predicates, route.pregenerator)
    return mapper


def chosen(mapper, path: str, method: str = "GET") -> str | None:
    request = Request.blank(path, method=method)
    request.registry = None
    route = mapper(request)["route"]
    return route.name if route is not None else None


def sample_paths(routes: FirstSegmentRoutes) -> list[str]:
    """A path made by each route (its placeholders filled), with and without a trailing slash, and others."""
    paths = ["/", "", "/nothing/here", "//", "/project", "/project/", "/api", "/stats", "/stats/", "/statsx",
             "/admin", "/admin/", "/account", "/account/", "/leaderboard/window/3", "/static/x.css"]
    for route in routes.routelist:
        values = {"slash": "/", "subpath": ("a", "b"), "traverse": ("a",)}
        for filler in ("1", "some-name"):
            try:
                path = route.generate({**dict.fromkeys(_placeholders(route.pattern), filler), **values})
            except (KeyError, TypeError, ValueError):
                continue
            paths += [path, path.rstrip("/") + "/", path.rstrip("/")]
    return paths


def _placeholders(pattern: str) -> list[str]:
    names, rest = [], pattern
    while "{" in rest:
        rest = rest.split("{", 1)[1]
        names.append(rest.split("}", 1)[0].split(":", 1)[0])
    return names


def test_the_site_uses_it(app):
    assert isinstance(app.registry.getUtility(IRoutesMapper), FirstSegmentRoutes)


def test_every_path_gets_the_route_pyramid_would_choose(app):
    routes = app.registry.getUtility(IRoutesMapper)
    pyramid = pyramid_mapper(routes)
    paths = sample_paths(routes)
    assert len(paths) > 300
    for method in ("GET", "POST", "PUT", "DELETE"):
        for path in paths:
            assert chosen(routes, path, method) == chosen(pyramid, path, method), (method, path)


def test_a_route_added_later_is_matched_in_its_place():
    routes = FirstSegmentRoutes()
    routes.connect("first", "/a/{x}")
    assert chosen(routes, "/a/1") == "first" and chosen(routes, "/b") is None
    routes.connect("variable", "/{anything}")
    routes.connect("fixed", "/b")
    assert chosen(routes, "/b") == "variable" and chosen(routes, "/a/1") == "first"
    routes.connect("variable", "/v/{anything}")  # a route added again under its name replaces it
    assert chosen(routes, "/b") == "fixed" and chosen(routes, "/v/2") == "variable"
