"""Result aggregators beside the core's ``majority``: ``weighted``, votes weighted by reliability,
and ``dawid-skene``, each volunteer's confusion between answers estimated over the whole project.

A volunteer's vote weighs the log-odds of it being right, ``log((K - 1) * r / (1 - r))``, with
``K`` the number of different answers the task got (at least 2) and ``r`` its share of gold
answers right, counted with three right answers of four beforehand (a typical volunteer: a
project gives each volunteer few gold tasks, and one wrong answer must not silence a good
volunteer): the weight that makes the vote optimal when wrong answers are spread evenly. A
volunteer no better than chance weighs almost nothing, never less, so a task whose volunteers
are all unknown still gets the plurality of their answers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import Aggregate, AggregatorSpec, Vote, hookimpl, plurality, tally

#: The weight of a vote no better than chance: enough to break ties among such votes only.
LEAST_WEIGHT = 1e-3
#: The gold answers counted before a volunteer's own (right, all): a 75 % volunteer.
PRIOR_RIGHT, PRIOR_GOLD = 3, 4

#: The aggregators' titles, as the quality settings page shows them.
_ = TranslationStringFactory("pybossa_aggregators_default")


def weighted(task: dict, votes: list[Vote]) -> Aggregate:
    """The answer with the most reliability behind it; confidence is its posterior probability."""
    distinct = max(len(tally(votes)), 2)

    def weight(vote: Vote) -> float:
        right = (vote.n_correct + PRIOR_RIGHT) / (vote.n_gold + PRIOR_GOLD)
        odds = (distinct - 1) * right / (1 - right)
        return max(math.log(odds), LEAST_WEIGHT)

    outcome = plurality(votes, weight)
    if outcome.answer is None:
        return outcome
    sums = [total for _, total in tally(votes, weight).values()]
    top = max(sums)
    # Answers nobody gave (one, when all votes agree) have no weight: exp(0) each.
    spread = sum(math.exp(total - top) for total in sums) + (distinct - len(sums)) * math.exp(-top)
    return Aggregate(outcome.answer, 1 / spread, outcome.details)


#: EM rounds at most, and the change of every task's answer probabilities that ends them sooner.
EM_ROUNDS, EM_TOLERANCE = 50, 1e-6
#: Pseudo-counts added to each volunteer's confusion counts (right answers weigh more).
SMOOTH_RIGHT, SMOOTH_WRONG = 2.0, 0.5


def _key(answer: Any) -> str:
    return json.dumps(answer, sort_keys=True, separators=(",", ":"))


def dawid_skene(votes_by_task: Mapping[int, list[Vote]]) -> dict[int, Aggregate]:
    """Dawid and Skene's EM over a project's categorical answers.

    Each volunteer gets a confusion matrix (how often it answers ``l`` when the truth is ``k``)
    and the answers a prior; starting from each task's vote shares, the two are estimated in
    turn until the tasks' answer probabilities settle. A task's answer is its most probable one,
    the confidence that probability. Answers are compared as JSON values.
    """
    answers: dict[str, Any] = {}
    for votes in votes_by_task.values():
        for vote in votes:
            answers.setdefault(_key(vote.answer), vote.answer)
    labels = list(answers)
    index = {label: number for number, label in enumerate(labels)}
    k = len(labels)
    tasks = {task_id: [(vote.volunteer, index[_key(vote.answer)]) for vote in votes]
             for task_id, votes in votes_by_task.items() if votes}
    # Start from the vote shares.
    belief = {}
    for task_id, given in tasks.items():
        shares = [0.0] * k
        for _, label in given:
            shares[label] += 1 / len(given)
        belief[task_id] = shares
    for _ in range(EM_ROUNDS):
        prior = [sum(shares[label] for shares in belief.values()) + 1.0 for label in range(k)]
        total = sum(prior)
        log_prior = [math.log(value / total) for value in prior]
        counts: dict[str, list[list[float]]] = {}
        for task_id, given in tasks.items():
            shares = belief[task_id]
            for volunteer, label in given:
                matrix = counts.setdefault(volunteer, [
                    [SMOOTH_RIGHT if truth == answer else SMOOTH_WRONG for answer in range(k)] for truth in range(k)
                ])
                for truth in range(k):
                    matrix[truth][label] += shares[truth]
        log_confusion = {
            volunteer: [[math.log(cell / sum(row)) for cell in row] for row in matrix]
            for volunteer, matrix in counts.items()
        }
        change = 0.0
        for task_id, given in tasks.items():
            scores = list(log_prior)
            for volunteer, label in given:
                row = log_confusion[volunteer]
                for truth in range(k):
                    scores[truth] += row[truth][label]
            top = max(scores)
            weights = [math.exp(score - top) for score in scores]
            norm = sum(weights)
            shares = [weight / norm for weight in weights]
            change = max(change, max(abs(new - old) for new, old in zip(shares, belief[task_id])))
            belief[task_id] = shares
        if change < EM_TOLERANCE:
            break
    outcomes = {}
    for task_id, shares in belief.items():
        best = max(range(k), key=lambda label: shares[label])
        outcomes[task_id] = Aggregate(answers[labels[best]], shares[best])
    return outcomes


def dawid_skene_one(task: Mapping[str, Any], votes: list[Vote]) -> Aggregate:
    """A task completing on its own: its plurality, until the project is aggregated again."""
    return plurality(votes)


@hookimpl
def register_aggregators() -> list[AggregatorSpec]:
    """Register ``weighted`` and ``dawid-skene``."""
    return [
        AggregatorSpec("weighted", _("Votes weighted by reliability"), weighted, uses_reliability=True),
        AggregatorSpec("dawid-skene", _("Dawid-Skene (each volunteer's confusion, over the project)"), dawid_skene_one,
                       aggregate_project=dawid_skene),
    ]
