from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base


class VolunteerReliability(Base):
    """A volunteer's gold answers in one project: how many, and how many were right.

    ``volunteer`` names the caller as handouts do (``user:<id>``, ``external:<uid>``,
    ``anon:<anonymised ip>``); the counts grow with each gold answer, in its transaction.
    """

    __tablename__ = "volunteer_reliability"
    __table_args__ = (UniqueConstraint("project_id", "volunteer", name="uq_volunteer_reliability_project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    volunteer: Mapped[str] = mapped_column(String(300))
    n_gold: Mapped[int] = mapped_column(Integer, default=0)
    n_correct: Mapped[int] = mapped_column(Integer, default=0)
