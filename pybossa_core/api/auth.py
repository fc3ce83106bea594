"""``/api/auth/project/<short_name>/token``: a JWT for a project's own app, given its secret key."""
from __future__ import annotations

import hmac

import sqlalchemy as sa
from pyramid.response import Response

from pybossa_core.api.describe import Description, operation, summary
from pybossa_core.errors import Forbidden, MethodNotAllowed, NotFound, Unauthorized
from pybossa_core.models import Project
from pybossa_core.models.meta import utcnow
from pybossa_core.services.tokens import project_token


def project_token_view(request):
    """Answer the token as plain text, as PYBOSSA does, when ``Authorization`` is the project's secret key."""
    if request.method != "GET":
        raise MethodNotAllowed()
    secret_key = request.headers.get("Authorization")
    if not secret_key:
        raise Unauthorized("The project's secret key is required in the Authorization header")
    short_name = request.matchdict["short_name"]
    project = request.dbsession.scalar(sa.select(Project).where(Project.short_name == short_name))
    if project is None:
        raise NotFound()
    if not hmac.compare_digest(secret_key.encode(), project.secret_key.encode()):
        raise Forbidden("Wrong secret key for this project")
    return Response(project_token(project, utcnow()), content_type="text/plain", charset="utf-8")


def _project_token_path_item(route_name: str, view) -> dict:
    answer = {"description": "the JWT", "content": {"text/plain": {"schema": {"type": "string"}}}}
    return {"get": operation("project_token", summary(view), {"200": answer}, tag="auth",
                             security=[{"projectSecretKey": []}])}


def includeme(config) -> None:
    config.add_route("api.auth.project_token", "/api/auth/project/{short_name}/token{slash:/?}")
    config.add_view(project_token_view, route_name="api.auth.project_token",
                    describe=Description(_project_token_path_item))
