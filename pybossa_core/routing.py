"""Pyramid's route matching, trying only the routes that can match a path's first segment.

Pyramid tries every route in the order they were added until one matches: a project's page,
near the end of the site's 140 routes, cost a hundred regular expressions per request. Here a
route whose pattern starts with a fixed segment (``/project/...``, ``/api/...``) is tried only for
paths with that first segment, and a route whose first segment has a placeholder for every path.
Within one segment's list the routes keep their order, so the first route that matches (and
whose predicates agree) is the one Pyramid would have chosen.
"""
from __future__ import annotations

from pyramid.exceptions import URLDecodeError
from pyramid.interfaces import IRoutesMapper
from pyramid.urldispatch import Route, RoutesMapper

#: What makes a pattern's segment variable: ``{name}``, ``*rest``, and the old ``:name``.
VARIABLE = ("{", "*", ":")


def _fixed_segment(pattern: str) -> str | None:
    """The first segment of a route's pattern (Pyramid reads it as starting with ``/``), or
    ``None`` when it is variable."""
    segment = (pattern[1:] if pattern.startswith("/") else pattern).split("/", 1)[0]
    return None if any(mark in segment for mark in VARIABLE) else segment


class FirstSegmentRoutes(RoutesMapper):
    """A :class:`~pyramid.urldispatch.RoutesMapper` that indexes its routes by their first segment."""

    def __init__(self):
        super().__init__()
        self._by_segment: dict[str, list[Route]] | None = None
        self._variable: list[Route] = []

    def connect(self, *args, **kwargs):
        self._by_segment = None  # made again, with this route, by the next request
        return super().connect(*args, **kwargs)

    def _index(self) -> dict[str, list[Route]]:
        fixed = {route: _fixed_segment(route.pattern) for route in self.routelist}
        self._variable = [route for route in self.routelist if fixed[route] is None]
        self._by_segment = {
            segment: [route for route in self.routelist if fixed[route] in (segment, None)]
            for segment in set(fixed.values()) - {None}
        }
        return self._by_segment

    def __call__(self, request):
        try:
            # empty if mounted under a path in mod_wsgi, for example
            path = request.path_info or "/"
        except KeyError:
            path = "/"
        except UnicodeDecodeError as error:
            raise URLDecodeError(error.encoding, error.object, error.start, error.end, error.reason) from error
        by_segment = self._by_segment if self._by_segment is not None else self._index()
        # Pyramid's own loop, over the routes that can match.
        for route in by_segment.get(path[1:].split("/", 1)[0], self._variable):
            match = route.match(path)
            if match is not None:
                predicates = route.predicates
                info = {"match": match, "route": route}
                if predicates and not all(predicate(info, request) for predicate in predicates):
                    continue
                return info
        return {"route": None, "match": None}


def includeme(config) -> None:
    # Before the first route is added: Pyramid makes its own mapper then if none is registered.
    config.registry.registerUtility(FirstSegmentRoutes(), IRoutesMapper)
