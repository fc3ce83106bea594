"""What the benchmarks share: seeding a server's database directly, and percentiles."""
from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Tasks inserted per executemany.
CHUNK = 10_000


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile ``fraction`` (0..1) of ``values`` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Seeded:
    """What the seeding made: the project, its owner's key and the volunteers (user id, api key)."""

    project_id: int
    short_name: str
    owner_key: str
    volunteers: list[tuple[int, str]] = field(default_factory=list)


def seed_project(
    database_url: str,
    infos: Iterable[dict],
    *,
    label: str,
    n_answers: int = 30,
    sched: str | None = None,
    n_volunteers: int = 0,
) -> Seeded:
    """Insert an owner, volunteers, a published project and one task per ``infos`` item, straight into the database.

    The schema is created or upgraded first; ANALYZE runs last, because without fresh statistics
    PostgreSQL's planner takes the bulk-loaded tables for nearly empty ones (benchmarks/README.md).
    """
    import sqlalchemy as sa

    from pybossa_core.db import get_engine
    from pybossa_core.migrations import upgrade
    from pybossa_core.models import Project, Task, User
    from pybossa_core.models.meta import utcnow

    engine = get_engine({"database.url": database_url})
    upgrade(engine)
    tag = f"{label}_{uuid.uuid4().hex[:8]}"
    users, projects, tasks = User.__table__, Project.__table__, Task.__table__
    started, now = time.perf_counter(), utcnow()

    def user_row(name: str) -> dict:
        return {
            "name": name, "fullname": name, "email_addr": f"{name}@example.com", "api_key": str(uuid.uuid4()),
            "created": now, "locale": "en", "admin": False, "pro": False, "privacy_mode": True,
            "restrict": False, "info": {}, "user_pref": {},
        }

    owner = user_row(f"{tag}_owner")
    volunteer_rows = [user_row(f"{tag}_v{number}") for number in range(n_volunteers)]
    with engine.begin() as connection:
        connection.execute(sa.insert(users), [owner, *volunteer_rows])
        ids = dict(connection.execute(
            sa.select(users.c.name, users.c.id).where(users.c.name.in_([row["name"] for row in [owner, *volunteer_rows]]))
        ).all())
        owner_id = ids[owner["name"]]
        project_id = connection.execute(
            sa.insert(projects).values(
                name=f"Benchmark {tag}", short_name=tag, description=f"{label} benchmark", long_description="",
                created=now, updated=now, owner_id=owner_id, owners_ids=[owner_id], published=True,
                allow_anonymous_contributors=True, secret_key=str(uuid.uuid4()),
                info={"sched": sched} if sched else {},
            ).returning(projects.c.id)
        ).scalar_one()
        n_tasks, rows = 0, []
        for info in infos:
            rows.append({
                "project_id": project_id, "created": now, "state": "ongoing", "quorum": 0, "calibration": 0,
                "priority_0": 0.0, "n_answers": n_answers, "n_task_runs": 0, "fav_user_ids": [], "info": info,
            })
            if len(rows) == CHUNK:
                connection.execute(sa.insert(tasks), rows)
                n_tasks, rows = n_tasks + len(rows), []
        if rows:
            connection.execute(sa.insert(tasks), rows)
            n_tasks += len(rows)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"seeded project {project_id} ({tag}): {n_tasks} tasks, n_answers {n_answers}, {n_volunteers} volunteers,"
          f" in {time.perf_counter() - started:.1f} s ({database_url})")
    return Seeded(project_id, tag, owner["api_key"], [(ids[row["name"]], row["api_key"]) for row in volunteer_rows])
