"""Who is contributing: the signed-in user, an app's external user (with the project's JWT), or a visitor."""
from __future__ import annotations

from pybossa_core.api.base import ApiCall
from pybossa_core.models import Project
from pybossa_core.services.contribution import Caller
from pybossa_core.services.privacy import anonymize_ip
from pybossa_core.services.tokens import check_project_token


def caller_for(call: ApiCall, project: Project | None, external_uid: str | None) -> Caller:
    """Return the caller of ``call`` in ``project``; an ``external_uid`` needs the project's Bearer JWT."""
    if call.user is not None:
        return Caller(user_id=call.user.id)
    if external_uid:
        check_project_token(call.authorization, project)
        return Caller(external_uid=external_uid)
    return Caller(anon_ip=anonymize_ip(call.client_ip, call.settings["secret"]))
