"""A qualification quiz before real work: a project's gold tasks answered first.

A project with ``info.quiz`` = ``{"questions": n, "pass_rate": r}`` hands each volunteer (a user,
an anonymous visitor by its anonymised address, an app's external user) only gold tasks until
they have answered ``n`` of them; then ordinary tasks if the share they got right is at least
``r``, and a polite refusal otherwise.  The answers are scored as every gold answer is
(``services/reliability.py``), so the quiz needs no counting of its own: a volunteer is judged
on all their gold answers in the project once they have given ``n``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.i18n import _
from pybossa_core.models import Project, Task, VolunteerReliability
from pybossa_core.models.task import IS_GOLD

IN_PROGRESS, PASSED, FAILED = "in_progress", "passed", "failed"
REFUSAL = _("Thank you for trying! Your answers to this project's quiz were not right often enough to go on.")


class InvalidQuiz(ValueError):
    """A quiz setting the project cannot have; ``field`` names the part that is wrong
    (``questions``, ``pass_rate``, or ``quiz`` for its shape)."""

    def __init__(self, message: str, field: str = "quiz") -> None:
        super().__init__(message)
        self.field = field


class QuizFailed(Exception):
    """The volunteer failed the project's quiz: no task for them."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def quiz_of(project: Project) -> tuple[int, float] | None:
    """The project's quiz (questions, pass rate), or None when it has none."""
    quiz = (project.info or {}).get("quiz")
    if not isinstance(quiz, Mapping) or not isinstance(quiz.get("questions"), int) or quiz["questions"] < 1:
        return None
    rate = quiz.get("pass_rate", 1)
    return quiz["questions"], float(rate) if _number(rate) else 1.0


def check_settings(session: Session, project_id: int, quiz: Any) -> None:
    """Raise :class:`InvalidQuiz` when ``quiz`` (an ``info.quiz``; None: no quiz) is malformed or
    asks more questions than project ``project_id`` has gold tasks."""
    if quiz is None:
        return
    if not isinstance(quiz, Mapping) or set(quiz) - {"questions", "pass_rate"}:
        raise InvalidQuiz('must be {"questions": <number of gold tasks>, "pass_rate": <0 to 1>}')
    questions, rate = quiz.get("questions"), quiz.get("pass_rate", 1)
    if not isinstance(questions, int) or isinstance(questions, bool) or questions < 1:
        raise InvalidQuiz("questions must be a whole number of at least 1", "questions")
    if not (_number(rate) and 0 <= rate <= 1):
        raise InvalidQuiz("pass_rate must be a number between 0 and 1", "pass_rate")
    n_gold = session.scalar(sa.select(sa.func.count(Task.id)).where(Task.project_id == project_id, IS_GOLD))
    if questions > n_gold:
        raise InvalidQuiz(f"questions: the project has {n_gold} gold task(s), fewer than the {questions} asked", "questions")


def status(questions: int, pass_rate: float, n_gold: int, n_correct: int) -> str:
    if n_gold < questions:
        return IN_PROGRESS
    return PASSED if n_correct >= pass_rate * n_gold else FAILED


def volunteer_status(session: Session, project: Project, volunteer: str) -> str | None:
    """Where ``volunteer`` (a caller's key) stands in the project's quiz; None when it has none."""
    quiz = quiz_of(project)
    if quiz is None:
        return None
    row = session.execute(
        sa.select(VolunteerReliability.n_gold, VolunteerReliability.n_correct)
        .where(VolunteerReliability.project_id == project.id, VolunteerReliability.volunteer == volunteer)
    ).one_or_none()
    return status(*quiz, *(row or (0, 0)))


def results(session: Session, project: Project) -> list[dict[str, Any]]:
    """Every volunteer who started the quiz: answers, right answers and where they stand."""
    questions, pass_rate = quiz_of(project) or (0, 1.0)
    rows = session.execute(
        sa.select(VolunteerReliability.volunteer, VolunteerReliability.n_gold, VolunteerReliability.n_correct)
        .where(VolunteerReliability.project_id == project.id).order_by(VolunteerReliability.volunteer)
    )
    return [
        {"volunteer": volunteer, "answered": n_gold, "correct": n_correct,
         "status": status(questions, pass_rate, n_gold, n_correct)}
        for volunteer, n_gold, n_correct in rows
    ]
