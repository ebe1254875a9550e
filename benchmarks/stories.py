"""How fast a day of articles is grouped into stories, and where the copy threshold sits.

    .venv/bin/python benchmarks/stories.py                # 250, 500, 1000, 2000 articles
    .venv/bin/python benchmarks/stories.py --sizes 1000 --repeat 5
    .venv/bin/python benchmarks/stories.py --threshold    # copies against separate reports

The day is synthetic (made here, seeded): stories of two to six articles, each article a
few hundred words with its own people (common first names, made-up surnames) and
organisations (councils), a few names (a head of state, a
country) that appear in a tenth of all articles, and one article in ten a syndicated copy
of another. Timed: the MinHash signatures of every text, then `stories.group`. Seconds per
article staying flat as the day grows is what "not quadratic" means here.

`--threshold` measures the estimated Jaccard similarity (`stories.copy_similarity`) of the
synthetic copies and rewrites in tests/articles/stories/ against their originals, and of
every pair of distinct real test articles.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _machine import describe

from summarizer import stories
from summarizer.extract import article_from_html
from summarizer.identity import Identity

ROOT = Path(__file__).resolve().parent.parent
STORIES = ROOT / "tests" / "articles" / "stories"
DAY = dt.date(2026, 12, 2)
# Names in a tenth of all articles, whatever their story: a head of state and three bodies.
COMMON = {"Donald Trump": "person", "United States": "state", "Russia": "state"} | {
    "European Union": "international_body"
}
BOILERPLATE = (
    "This story was provided by City Wire Service. Copyright 2026. All rights reserved. "
    "Sign up for our morning newsletter."
)


# No two a spelling variant of the other ("Anna", "Hanna"): identity would join their people.
FIRST_NAMES = [
    "Anna",
    "Maria",
    "Jonas",
    "Elena",
    "Tomas",
    "Ines",
    "Ilse",
    "Marten",
    "Mara",
    "Pavel",
    "Omar",
    "Sara",
]
SYLLABLES = [
    "ka",
    "lo",
    "mer",
    "vin",
    "sa",
    "tor",
    "el",
    "dri",
    "an",
    "bo",
    "rus",
    "te",
    "nak",
    "pol",
    "zu",
    "fen",
    "gar",
    "hil",
    "os",
    "ur",
    "wen",
]


def _surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title()


@dataclass
class Synthetic:
    """A synthetic article: the story it was made for, its text, and the article to group."""

    story: int
    text: str
    article: stories.StoryArticle


def synthetic_day(n: int, seed: int = 7) -> list[Synthetic]:
    """`n` synthetic articles of one day, made story by story."""
    rng = random.Random(seed)
    vocabulary = [_surname(rng).lower() for _ in range(3000)]
    day: list[Synthetic] = []
    while len(day) < n:
        story = len({made.story for made in day})
        people = [f"{rng.choice(FIRST_NAMES)} {_surname(rng)}" for _ in range(rng.randint(2, 3))]
        bodies = [f"{_surname(rng)} {_surname(rng)} Council" for _ in range(rng.randint(1, 2))]
        events = (f"{rng.choice(people)} {rng.choice(vocabulary)} {rng.choice(vocabulary)}",)
        for _ in range(rng.randint(2, 6)):
            if len(day) >= n:
                break
            if day and rng.random() < 0.1:
                original = rng.choice(day)  # a copy: its original's text and summary
                copy = dataclasses.replace(original.article, article_id=len(day) + 1)
                day.append(Synthetic(original.story, f"{original.text}\n{BOILERPLATE}", copy))
                continue
            names = rng.sample(people, 2) + rng.sample(bodies, 1)
            if rng.random() < 0.1:
                names.append(rng.choice(sorted(COMMON)))
            actors = tuple(
                stories.StoryActor(
                    Identity(
                        (name,), COMMON.get(name, "organisation" if name in bodies else "person")
                    ),
                    person=COMMON.get(name, "person" if name in people else None) == "person",
                )
                for name in names
            )
            text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(250, 600)))
            article = stories.StoryArticle(len(day) + 1, DAY, actors=actors, events=events)
            day.append(Synthetic(story, text, article))
    return day


def time_grouping(n: int, repeat: int) -> None:
    """Print the median seconds to sign and group a synthetic day of `n` articles."""
    day = synthetic_day(n)
    signing: list[float] = []
    grouping: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        signed = [
            dataclasses.replace(made.article, signature=stories.minhash_signature(made.text))
            for made in day
        ]
        signed_at = time.perf_counter()
        grouped = stories.group(signed)
        grouping.append(time.perf_counter() - signed_at)
        signing.append(signed_at - started)
    sign, place = statistics.median(signing), statistics.median(grouping)
    copies = sum(len(g.copy_of) for g in grouped)
    made: dict[int, set[int]] = {}
    for article in day:
        made.setdefault(article.story, set()).add(article.article.article_id)
    found = sum(set(g.article_ids) in made.values() for g in grouped)
    print(
        f"{n:>5} articles {sign + place:6.2f} s (signatures {sign:5.2f} s, group {place:5.2f} s)"
        f" {1000 * (sign + place) / n:5.2f} ms/article; {len(grouped):>4} stories of "
        f"{len(made):>4} made, {found:>4} exactly as made; {copies:>3} copies"
    )


def _text(path: Path) -> str:
    if path.suffix == ".html":
        html = path.read_text(encoding="utf-8")
        return article_from_html(html, origin=path.name, url="http://x/").text
    text = path.read_text(encoding="utf-8")
    return text.split("---", 2)[2] if text.startswith("---") else text


def _original(made: Path) -> Path:
    stem = made.stem.removesuffix("-syndicated").removesuffix("-other-outlet")
    candidates = [
        ROOT / "gold" / "articles" / f"{stem}.txt",
        ROOT / "seeds" / f"{stem}.txt",
        ROOT / "tests" / "articles" / "digest" / f"{stem}.html",
    ]
    return next(path for path in candidates if path.exists())


def measure_threshold() -> None:
    """Print the similarity of copies, of separate reports of one event, and of unrelated pairs."""

    def similarity(a: str, b: str) -> float:
        return stories.copy_similarity(stories.minhash_signature(a), stories.minhash_signature(b))

    def report(label: str, made: list[Path]) -> None:
        values = sorted(similarity(_text(_original(p)), _text(p)) for p in made)
        print(
            f"{label:<34} n={len(values):>3}  min {values[0]:.2f}  median "
            f"{statistics.median(values):.2f}  max {values[-1]:.2f}"
        )

    print(f"copy threshold (stories.COPY_THRESHOLD): {stories.COPY_THRESHOLD}")
    report("syndicated copies (must merge)", sorted(STORIES.glob("*-syndicated.txt")))
    report("other outlets, same event (apart)", sorted(STORIES.glob("*-other-outlet.txt")))
    real = [
        *sorted((ROOT / "gold" / "articles").glob("*.txt")),
        *sorted((ROOT / "tests" / "articles" / "digest").glob("*.html")),
        *sorted((ROOT / "seeds").glob("*.txt")),
    ]
    texts = [_text(path) for path in real]
    pairs = sorted(similarity(a, b) for a, b in itertools.combinations(texts, 2))
    print(
        f"{'distinct real articles (apart)':<34} n={len(pairs):>3}  min {pairs[0]:.2f}  median "
        f"{statistics.median(pairs):.2f}  max {pairs[-1]:.2f}"
    )


def main() -> None:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threshold", action="store_true", help="measure the copy threshold")
    options = parser.parse_args()
    print(describe(), file=sys.stderr)
    if options.threshold:
        measure_threshold()
        return
    for n in options.sizes:
        time_grouping(n, options.repeat)


if __name__ == "__main__":
    main()
