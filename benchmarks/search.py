#!/usr/bin/env python3
"""Time full-text searches (``info=text::words&fulltextsearch=1``) over a project's tasks.

    python benchmarks/search.py --url http://127.0.0.1:5000 --seed 100000 --database-url sqlite:///var/pybossa.sqlite

``--seed N`` first creates a user, a published project and N tasks straight in
the server's database (as ``api_list.py --seed`` does: schema upgraded, tasks
inserted with SQLAlchemy core 10 000 rows per executemany, the search triggers
indexing them, then ANALYZE).  Each task's ``info`` holds a ``title`` and a
``text`` of two or three sentences drawn from a Zipf-distributed vocabulary made
here (common English words at the head, rare made-up names in the tail), with
a fixed random seed: the same N always gives the same texts, so
``--project-id P --tasks N`` searches an already seeded project.

Words are picked from the generated texts by how many tasks contain them, and
searched in these kinds of query:

- ``rare``: one word found in 0.01%-0.1% of the tasks;
- ``common``: one word found in 2%-10% of the tasks;
- ``rare&common`` and ``common&common``: two words joined by ``&`` (sent as ``%26``);
- ``very common``: one word found in more than 20% of the tasks (the worst case: every match is ranked).

Every request is ``GET /api/task?project_id=P&info=text::W&fulltextsearch=1``
(20 results, the API's default page) on one kept-alive ``requests.Session``;
the script checks each answer is ranked best first with headlines, and prints
p50/p99 latency and the mean number of matching tasks per kind.
"""
from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import time
from collections import Counter

import requests

from seeding import percentile, seed_project
KINDS = ("rare", "common", "rare&common", "common&common", "very common")

#: The head of the vocabulary: words of image-tagging and transcription tasks, with inflections to stem.
COMMON_WORDS = """
image photo picture animal bird birds tree trees river water house houses street car cars people person
child children woman man dog dogs cat cats horse field forest mountain mountains sky cloud clouds road bridge
building buildings boat boats ship light night morning winter summer snow rain flower flowers garden window
door wall letter letters page pages word words line lines number numbers name names date year years city
town village market church school farm farmer workers running walking standing sitting flying swimming
reading writing painting looking holding carrying playing working eating red green blue white black yellow
brown old young small large tall long short dark bright empty full wooden stone broken open closed left right
near behind front under over between inside outside first second third last whole half corner edge center
map table chair bottle glass paper book books shelf box boxes bag basket fish leaf leaves grass sand rock
rocks hill valley lake sea coast island beach harbour station train railway tower castle palace gate fence
""".split()
STOP_WORDS = "the a of and in with on at to from is are was were".split()
SYLLABLES = "ka ri to me lan dor vi sel mu pra ne tha go li ber sun co ma fen ru zo quin".split()
URL = "https://example.com/images/{number}.jpg"


class Corpus:
    """The deterministic texts of N tasks, and how many tasks contain each word."""

    def __init__(self, n_tasks: int, seed: int = 2016):
        rng = random.Random(seed)
        rare = set()
        while len(rare) < 4000:
            rare.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))))
        rare_words = sorted(rare)
        rng.shuffle(rare_words)
        self.vocabulary = COMMON_WORDS + rare_words
        self._cumulative_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.vocabulary))))
        self._rng = rng
        self.infos = [self._info(number) for number in range(n_tasks)]
        self.words = [frozenset(re.findall(r"[a-z]+", info["text"].lower())) for info in self.infos]
        self.document_frequency = Counter()
        for words in self.words:
            self.document_frequency.update(words - set(STOP_WORDS))

    def _sentence(self) -> str:
        words = []
        for word in self._rng.choices(self.vocabulary, cum_weights=self._cumulative_weights, k=self._rng.randint(6, 14)):
            if self._rng.random() < 0.35:
                words.append(self._rng.choice(STOP_WORDS))
            words.append(word)
        return " ".join(words).capitalize() + "."

    def _info(self, number: int) -> dict:
        text = " ".join(self._sentence() for _ in range(self._rng.randint(2, 3)))
        return {"title": self._sentence(), "text": text, "url": URL.format(number=number)}

    def words_found_in(self, low: float, high: float, count: int, rng: random.Random) -> list[str]:
        """Return up to ``count`` words found in a fraction of the tasks between ``low`` and ``high``."""
        n_tasks = len(self.infos)
        words = sorted(w for w, df in self.document_frequency.items() if low * n_tasks <= df <= high * n_tasks)
        return rng.sample(words, min(count, len(words)))


def seed(database_url: str, corpus: Corpus) -> int:
    """Create a user, a published project and the corpus's tasks; return the project's id."""
    return seed_project(database_url, corpus.infos, label="search").project_id


def queries(corpus: Corpus, n_words: int) -> dict[str, list[str]]:
    """Return the ``info`` values searched for each kind of query; two-word searches come from one task."""
    rng = random.Random(7)
    rare = corpus.words_found_in(0.0001, 0.001, n_words, rng)
    common = corpus.words_found_in(0.02, 0.10, n_words, rng)
    very_common = corpus.words_found_in(0.20, 1.0, n_words, rng)
    if not (rare and common and very_common):
        sys.exit("the corpus is too small to have rare, common and very common words; seed more tasks")
    common_band = set(corpus.words_found_in(0.02, 0.10, len(corpus.document_frequency), rng))
    rare_and_common, common_and_common = [], []
    for word in rare:
        with_word = [words for words in corpus.words if word in words and words & common_band]
        if with_word:
            rare_and_common.append(f"text::{rng.choice(sorted(rng.choice(with_word) & common_band))}&{word}")
    for words in rng.sample(corpus.words, 1000):
        pair = sorted(words & common_band)
        if len(pair) >= 2 and len(common_and_common) < n_words:
            common_and_common.append("text::" + "&".join(rng.sample(pair, 2)))
    return {
        "rare": [f"text::{word}" for word in rare],
        "common": [f"text::{word}" for word in common],
        "rare&common": rare_and_common,
        "common&common": common_and_common,
        "very common": [f"text::{word}" for word in very_common],
    }


def run(url: str, project_id: int, corpus: Corpus, searches: dict[str, list[str]], n_queries: int) -> None:
    session = requests.Session()

    def get(info: str) -> tuple[float, list[dict]]:
        params = {"project_id": project_id, "info": info, "fulltextsearch": 1}
        before = time.perf_counter()
        response = session.get(f"{url.rstrip('/')}/api/task", params=params, timeout=60)
        latency = time.perf_counter() - before
        if response.status_code != 200:
            sys.exit(f"GET {response.url} answered {response.status_code}: {response.text[:500]}")
        return latency, response.json()

    for infos in searches.values():  # warm-up: connections, caches, prepared plans
        for info in infos[:3]:
            get(info)
    print(f"{'kind':<14} {'queries':>7} {'tasks/query':>11} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in KINDS:
        infos = searches[kind]
        latencies = []
        for number in range(n_queries):
            info = infos[number % len(infos)]
            latency, page = get(info)
            latencies.append(latency * 1000)
            ranks = [task["rank"] for task in page]
            if not page or ranks != sorted(ranks, reverse=True) or any("<b>" not in t["headline"] for t in page):
                sys.exit(f"{info}: expected tasks ranked best first with headlines, got {str(page)[:300]}")
        # Tasks with the very words (the server also finds their other forms: "bird" finds "birds").
        matching = [sum(set(info[len("text::"):].split("&")) <= words for words in corpus.words) for info in infos]
        print(
            f"{kind:<14} {n_queries:>7} {sum(matching) / len(matching):>11.0f} "
            f"{percentile(latencies, 0.5):>8.2f} {percentile(latencies, 0.99):>8.2f} {max(latencies):>8.2f}"
        )
    session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running server (default: %(default)s)")
    parser.add_argument("--project-id", type=int, help="a project seeded by this script (required without --seed)")
    parser.add_argument("--tasks", type=int, default=100_000, help="with --project-id: how many tasks it was seeded with")
    parser.add_argument("--seed", type=int, metavar="N", help="first create a published project with N tasks")
    parser.add_argument(
        "--database-url", default="sqlite:///var/pybossa.sqlite",
        help="with --seed: the server's database (default: %(default)s)",
    )
    parser.add_argument("--queries", type=int, default=200, help="queries per kind (default: %(default)s)")
    parser.add_argument("--words", type=int, default=20, help="different searches per kind (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.seed is None and args.project_id is None:
        parser.error("--project-id is required unless --seed N is given")
    n_tasks = args.seed if args.seed is not None else args.tasks
    if n_tasks < 1000:
        parser.error("use at least 1000 tasks")

    corpus = Corpus(n_tasks)
    project_id = seed(args.database_url, corpus) if args.seed is not None else args.project_id
    run(args.url, project_id, corpus, queries(corpus, args.words), args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
