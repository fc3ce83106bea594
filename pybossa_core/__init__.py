"""pybossa-core: a PYBOSSA-compatible crowdsourcing server built on Pyramid."""
from __future__ import annotations

from typing import Any


def main(global_config: dict[str, Any], **settings: Any):
    """Return the WSGI application for PasteDeploy (``use = egg:pybossa-core``)."""
    from pybossa_core.config import configure

    return configure(settings).make_wsgi_app()
