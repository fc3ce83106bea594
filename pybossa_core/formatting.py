"""How values are shown on the pages and in their JSON: times, ages and pages of a list.

Shared by the services and views that shape what a visitor reads; nothing here touches the database.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from pybossa_core.models.meta import utcnow


def format_time(value: datetime.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def pretty_date(value: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """Return how long ago ``value`` was, as PYBOSSA writes it ("2 years ago")."""
    if value is None:
        return ""
    seconds = int(((now or utcnow()) - value).total_seconds())
    days = seconds // 86400
    if seconds < 0:
        return ""
    for limit, unit_seconds, one, many in (
        (10, 1, "just now", "just now"),
        (60, 1, "{} seconds ago", "{} seconds ago"),
        (3600, 60, "a minute ago", "{} minutes ago"),
        (86400, 3600, "an hour ago", "{} hours ago"),
    ):
        if seconds < limit:
            count = seconds // unit_seconds
            return (one if count <= 1 else many).format(count)
    if days < 7:
        return "Yesterday" if days == 1 else f"{days} days ago"
    if days < 31:
        return f"{days // 7} weeks ago" if days >= 14 else "1 week ago"
    if days < 365:
        return f"{days // 30} months ago" if days >= 60 else "1 month ago"
    return f"{days // 365} years ago" if days >= 730 else "1 year ago"


@dataclass(frozen=True)
class Pagination:
    page: int
    per_page: int
    total: int

    def to_json(self) -> dict[str, Any]:
        pages = math.ceil(self.total / self.per_page)
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "next": self.page < pages,
            "prev": 1 < self.page <= pages,
        }
