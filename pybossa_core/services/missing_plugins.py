"""Projects that name a scheduler or an aggregator the site does not have: its plugin was
uninstalled or disabled, and the project runs the default one meanwhile.

``pybossa serve`` logs them as it starts; the admin plugins page lists them.
"""
from __future__ import annotations

import logging
from collections.abc import Container, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.i18n import english
from pybossa_core.interfaces import IPluginHooks, ISessionFactory, find_service
from pybossa_core.models import Project
from pybossa_core.plugins import not_installed
from pybossa_core.services.quality import DEFAULT_AGGREGATOR
from pybossa_core.services.scheduling import DEFAULT_SCHEDULER

logger = logging.getLogger(__name__)

#: The ``info`` key a project names each registry's choice by, and what runs when it is missing.
NAMED_IN_INFO = {"schedulers": ("sched", DEFAULT_SCHEDULER), "aggregators": ("aggregator", DEFAULT_AGGREGATOR)}


@dataclass(frozen=True)
class MissingPlugin:
    """A project naming, in its ``info``, a description no installed plugin registers."""

    project: str
    registry: str
    name: str

    @property
    def message(self) -> str:
        fallback = NAMED_IN_INFO[self.registry][1]
        return f"{english(not_installed(self.registry, self.name))} Project {self.project} uses {fallback!r} meanwhile."

    def to_json(self) -> dict[str, str]:
        return {"project": self.project, "kind": self.registry, "name": self.name, "message": self.message}


def projects_naming_missing(session: Session, registries: Mapping[str, Container[str]]) -> list[MissingPlugin]:
    """Every project whose ``info.sched`` or ``info.aggregator`` names what ``registries`` (the
    plugin registries by name, ``PluginHooks.registries``) lack."""
    found = []
    for registry, (key, _) in NAMED_IN_INFO.items():
        named = Project.info[key].as_string()
        rows = session.execute(
            sa.select(Project.short_name, named)
            .where(named.is_not(None), named != "", named.not_in(list(registries[registry])))
            .order_by(Project.short_name)
        )
        found.extend(MissingPlugin(short_name, registry, name) for short_name, name in rows)
    return found


def warn_projects_naming_missing(registry) -> None:
    """Log each project naming a missing scheduler or aggregator (at startup)."""
    session = find_service(registry, ISessionFactory)()
    try:
        for missing in projects_naming_missing(session, find_service(registry, IPluginHooks).registries):
            logger.warning("%s", missing.message)
    finally:
        session.close()
