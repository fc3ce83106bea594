"""Project tokens: JWTs that let a project's own app act for its external users."""
from __future__ import annotations

import datetime

import jwt

from pybossa_core.errors import Forbidden, Unauthorized
from pybossa_core.models import Project

ALGORITHM = "HS256"
#: A token lasts a day; the app asks for a new one with the project's secret key.
TOKEN_TTL = datetime.timedelta(days=1)


def project_token(project: Project, now: datetime.datetime) -> str:
    """Return a JWT for ``project``, signed with its secret key."""
    claims = {"short_name": project.short_name, "project_id": project.id, "iat": now, "exp": now + TOKEN_TTL}
    return jwt.encode(claims, project.secret_key, algorithm=ALGORITHM)


def check_project_token(authorization: str | None, project: Project) -> None:
    """Accept ``Authorization: Bearer <jwt>`` only if it is a live token of ``project``.

    Raises Unauthorized for a missing, expired, tampered or wrongly signed
    token (``alg: none`` included), Forbidden for another project's token.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("A Bearer token of this project is required")
    try:
        claims = jwt.decode(token.strip(), project.secret_key, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.PyJWTError as error:
        raise Unauthorized(f"Invalid token: {error}") from None
    if claims.get("project_id") != project.id:
        raise Forbidden("This token belongs to another project")


def token_project_id(authorization: str | None) -> int | None:
    """Return the project a Bearer token claims to belong to, unverified (:func:`check_project_token` verifies)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        project_id = jwt.decode(token.strip(), options={"verify_signature": False}).get("project_id")
    except jwt.PyJWTError:
        return None
    return project_id if isinstance(project_id, int) else None
