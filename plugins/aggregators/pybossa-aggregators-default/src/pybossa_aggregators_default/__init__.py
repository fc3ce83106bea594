"""Result aggregators beside the core's ``majority``: ``weighted``, votes weighted by reliability.

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

from pybossa_core.plugin_api import Aggregate, AggregatorSpec, Vote, plurality
from pybossa_core.plugins import hookimpl

#: The weight of a vote no better than chance: enough to break ties among such votes only.
LEAST_WEIGHT = 1e-3
#: The gold answers counted before a volunteer's own (right, all): a 75 % volunteer.
PRIOR_RIGHT, PRIOR_GOLD = 3, 4


def _distinct_answers(votes: list[Vote]) -> int:
    return len({json.dumps(vote.answer, sort_keys=True) for vote in votes})


def weighted(task: dict, votes: list[Vote]) -> Aggregate:
    """The answer with the most reliability behind it; confidence is its share of the weight."""
    others = max(_distinct_answers(votes), 2) - 1

    def weight(vote: Vote) -> float:
        right = (vote.n_correct + PRIOR_RIGHT) / (vote.n_gold + PRIOR_GOLD)
        odds = others * right / (1 - right)
        return max(math.log(odds), LEAST_WEIGHT)

    return plurality(votes, weight)


@hookimpl
def register_aggregators() -> list[AggregatorSpec]:
    """Register ``weighted``."""
    return [AggregatorSpec("weighted", "Votes weighted by reliability", weighted, uses_reliability=True)]
