"""How fast the archive records summaries, and how long each query takes at 10,000.

    .venv/bin/python benchmarks/archive.py                   # 10,000 summaries over 10 days
    .venv/bin/python benchmarks/archive.py --summaries 2000 --repeat 9
    .venv/bin/python benchmarks/archive.py --no-stories      # skip placing days into stories

The summaries are synthetic (made here, seeded; not model output): each day's articles
come in stories of two to six articles sharing people (made-up names; a person is in one
story a day; each written three ways:
`Anna Kalomer`, `Kalomer`, `Minister Anna Kalomer`), organisations and a few actors common
to many articles; each summary has its actors, three positions, four events and a demand.
Every summary is recorded as the pipeline records one (`archive.record`, one transaction,
its actors resolved to archive ids). Printed: the insert rate per thousand (flat is "not
quadratic"), each query's median time over repeats, and, with `summarizer.stories`, the
time to place each day of articles into stories (`archive.stories.place`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _machine import describe

from summarizer.archive import (
    actor_timeline,
    costs,
    merge,
    open_archive,
    record_summary,
    search,
    summaries,
    top_actors,
)
from summarizer.archive.db import Archive
from summarizer.articles import content_hash
from summarizer.pricing import price_table
from summarizer.schema import ArticleInfo, ArticleSummary, Provenance, SummaryResult, Usage

FIRST = ["Anna", "Jonas", "Elena", "Tomas", "Ines", "Marten", "Hanna", "Pavel", "Omar", "Sara"]
SYLLABLES = ["ka", "lo", "mer", "vin", "sa", "tor", "el", "dri", "an", "bo", "rus", "te", "nak"]
# Surnames from more syllables: thousands of people need thousands of surnames, as in news.
SURNAME_SYLLABLES = [
    *SYLLABLES,
    *["pe", "gar", "mi", "hol", "stra", "ve", "dun", "ri", "sol", "ba", "ken", "zo", "fa"],
    *["lin", "gu", "mar", "tse", "do", "ber", "ni", "os", "hu", "wal", "che", "ra", "ska"],
]
TITLES = ["Minister", "Mayor", "Senator", "General", "Governor"]
COMMON = [("Donald Trump", "person"), ("European Union", "international_body")]
WORDS = [
    "council",
    "vote",
    "budget",
    "strike",
    "talks",
    "ceasefire",
    "port",
    "harbour",
    "union",
    "wages",
    "school",
    "court",
    "ruling",
    "protest",
    "farmers",
    "tariff",
    "election",
    "campaign",
    "police",
    "flood",
    "bridge",
    "rail",
    "hospital",
    "nurses",
    "energy",
    "price",
    "grid",
    "drought",
    "water",
    "permit",
    "housing",
    "rent",
    "tax",
    "reform",
    "army",
    "border",
    "refugees",
    "aid",
]
CATEGORIES = ["consult", "agree", "demand", "reject", "statement", "aid", "fight"]
MODELS = ["gpt-4.1-mini", "gpt-5-nano", "local"]


def synthetic_people(rng: random.Random, count: int) -> list[str]:
    """`count` distinct made-up full names."""
    names: set[str] = set()
    while len(names) < count:
        surname = "".join(rng.choices(SURNAME_SYLLABLES, k=3)).capitalize()
        names.add(f"{rng.choice(FIRST)} {surname}")
    return sorted(names)


def written(rng: random.Random, name: str) -> str:
    """A person's name as an article may write it: whole, surname, or titled."""
    return rng.choice([name, name.split()[-1], f"{rng.choice(TITLES)} {name}"])


def synthetic_vocabulary(rng: random.Random, count: int = 5000) -> list[str]:
    """Made-up words, so that two synthetic articles share few phrases unless copied."""
    return sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(count)})


def synthetic_result(
    rng: random.Random,
    day: dt.date,
    actors: list[tuple[str, str]],
    topic: list[str],
    vocabulary: list[str],
) -> SummaryResult:
    """One synthetic summary of an article of `day` about these actors."""
    words = [*topic, *rng.choices(WORDS, k=8)]
    text = " ".join(
        f"{rng.choice(actors)[0]} said the {' '.join(rng.choices(vocabulary, k=12))} "
        f"{' '.join(rng.sample(words, 3))}."
        for _ in range(rng.randint(8, 14))
    )
    names = [name for name, _ in actors]
    answer = {
        "summary": f"Synthetic: {' and '.join(names[:2])} on the {' '.join(topic)}.",
        "key_points": [f"Synthetic point on {word}." for word in rng.sample(words, 3)],
        "actors": [{"name": name, "type": kind, "aliases": []} for name, kind in actors],
        "events": [
            {
                "what": f"Synthetic {' '.join(rng.sample(words, 3))}",
                "category": rng.choice(CATEGORIES),
                "status": "occurred",
                "when": None,
                "where": None,
                "participants": rng.sample(names, min(2, len(names))),
                "evidence": [text[:60]],
            }
            for _ in range(4)
        ],
        "positions": [
            {
                "actor": rng.choice(names),
                "topic": " ".join(topic),
                "stance": f"wants {rng.choice(WORDS)}",
                "evidence": [text[:50]],
            }
            for _ in range(3)
        ],
        "demands": [
            {
                "by": names[0],
                "of": names[-1],
                "what": f"more {rng.choice(WORDS)}",
                "conditions": None,
                "evidence": [text[:40]],
            }
        ],
    }
    prompt, output = rng.randint(800, 4000), rng.randint(200, 900)
    return SummaryResult(
        article=ArticleInfo(title=f"Synthetic {' '.join(topic)} {day}", published=day, text=text),
        summary=ArticleSummary.model_validate(answer),
        provenance=Provenance(
            model=rng.choice(MODELS),
            backend="synthetic",
            prompt_hash="0" * 16,
            input_hash=content_hash(text)[:16],
            usage=Usage(
                prompt_tokens=prompt, completion_tokens=output, total_tokens=prompt + output
            ),
            attempts=(attempts := rng.choice([1, 1, 1, 2, 3])),
            reasks=attempts - 1,
            cache_hit=rng.random() < 0.1,
            seconds=rng.uniform(1, 60),
            created=dt.datetime.combine(day, dt.time(6), tzinfo=dt.UTC),
        ),
    )


def synthetic_day(
    rng: random.Random, day: dt.date, count: int, people: list[str], vocabulary: list[str]
) -> list[SummaryResult]:
    """`count` summaries of one day, in stories of two to six articles.

    A person is in one story a day (a few common actors are in many).
    """
    results: list[SummaryResult] = []
    free = rng.sample(people, len(people))
    while len(results) < count:
        cast = [(written(rng, free.pop()), "person") for _ in range(4)]
        cast.append((f"{rng.choice(vocabulary).capitalize()} Council", "organisation"))
        topic = rng.sample(WORDS, 2)
        for _ in range(min(rng.randint(2, 6), count - len(results))):
            actors = [*rng.sample(cast, 3), *([rng.choice(COMMON)] if rng.random() < 0.2 else [])]
            actors = list(dict.fromkeys(actors))
            results.append(synthetic_result(rng, day, actors, topic, vocabulary))
    return results


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fill(archive: Archive, days: list[list[SummaryResult]]) -> list[float]:
    """Record every summary, and a digest of each day; seconds recording each thousand."""
    from summarizer.digest.state import State

    state = State(archive)
    prices = price_table()  # read once, as the pipeline's recorder does
    per_thousand: list[float] = []
    spent, done = 0.0, 0
    for number, day in enumerate(days):
        for result in day:
            started = time.perf_counter()
            record_summary(archive, result, origin="digest", prices=prices)
            spent += time.perf_counter() - started
            done += 1
            if done % 1000 == 0:
                per_thousand.append(spent)
                spent = 0.0
        ids = [row.id for row in state.undigested()]
        state.add_digest(
            subject=f"Synthetic digest {number}",
            message_id=f"<synthetic-{number}@example.org>",
            sender="d@example.org",
            recipients=["r@example.org"],
            message=b"synthetic",
            html="synthetic",
            article_ids=ids,
        )
    return per_thousand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summaries", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7, help="Runs per query (median).")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--no-stories", action="store_true", help="Do not time placing stories.")
    options = parser.parse_args()

    rng = random.Random(options.seed)
    people = synthetic_people(rng, max(2000, options.summaries // 2))
    vocabulary = synthetic_vocabulary(rng)
    first = dt.date(2026, 11, 20)
    per_day = options.summaries // options.days
    days = [
        synthetic_day(rng, first + dt.timedelta(days=n), per_day, people, vocabulary)
        for n in range(options.days)
    ]
    print(describe())
    with tempfile.TemporaryDirectory() as folder:
        archive = open_archive(Path(folder) / "archive.sqlite")
        started = time.perf_counter()
        per_thousand = fill(archive, days)
        seconds = time.perf_counter() - started
        total = sum(len(day) for day in days)
        print(f"recorded {total:,} synthetic summaries in {seconds:.1f} s: {total / seconds:.0f}/s")
        print("seconds per thousand, in order: " + " ".join(f"{s:.2f}" for s in per_thousand))
        counts = {
            table: archive.value(f"SELECT count(*) FROM {table}")
            for table in ("actors", "actor_aliases", "positions", "events", "summary_search")
        }
        print("rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        time_queries(archive, first + dt.timedelta(days=options.days // 2), options.repeat)
        if not options.no_stories:
            time_stories(archive)
        archive.close()


def time_queries(archive: Archive, day: dt.date, repeat: int) -> None:
    """Each query's median milliseconds."""
    busiest = top_actors(archive, limit=1)[0]
    # A surname some article wrote alone (an alias of one person).
    surname = archive.value(
        "SELECT l.name FROM actor_aliases l JOIN actors a ON a.id = l.actor_id "
        "WHERE a.type = 'person' AND l.alias NOT LIKE '% %' ORDER BY l.alias LIMIT 1"
    )
    queries: list[tuple[str, Callable[[], object]]] = [
        ("archive actors (top 50 with counts)", lambda: top_actors(archive)),
        ("archive actors --name", lambda: top_actors(archive, name=surname)),
        (
            f"archive actor {busiest.id} (timeline)",
            lambda: actor_timeline(archive, str(busiest.id)),
        ),
        (f"archive actor {surname} (by name)", lambda: actor_timeline(archive, surname)),
        ("archive search ceasefire talks", lambda: search(archive, "ceasefire talks")),
        ("archive search (a rare name)", lambda: search(archive, surname)),
        (f"archive summaries --day {day}", lambda: summaries(archive, day=day)),
        ("archive costs --by article", lambda: costs(archive, "article")),
        ("archive costs --by day", lambda: costs(archive, "day")),
        ("archive costs --by digest", lambda: costs(archive, "digest")),
    ]
    print(
        f"query times at {archive.value('SELECT count(*) FROM summaries'):,} summaries, "
        f"median of {repeat} (target < 100 ms each):"
    )
    for name, run in queries:
        print(f"  {median_ms(run, repeat):8.1f} ms  {name}")
    other = top_actors(archive, limit=2)[1]
    started = time.perf_counter()
    merge(archive, str(busiest.id), str(other.id))
    print(f"  {(time.perf_counter() - started) * 1000:8.1f} ms  archive merge (once)")


def time_stories(archive: Archive) -> None:
    """Seconds to place each day's articles into stories, oldest day first."""
    try:
        from summarizer.archive.stories import place
    except ImportError:
        print("stories: summarizer.archive.stories is not there; not timed")
        return
    days = [row["day"] for row in archive.rows("SELECT DISTINCT day FROM summaries ORDER BY day")]
    timings = []
    for day in days:
        ids = [
            row["id"]
            for row in archive.rows("SELECT article_id AS id FROM summaries WHERE day = ?", (day,))
        ]
        started = time.perf_counter()
        place(archive, ids)
        timings.append((time.perf_counter() - started, len(ids)))
    stories = archive.value("SELECT count(*) FROM stories")
    print(
        "placing each day into stories (target < 10 s for 1,000): "
        + " ".join(f"{seconds:.1f}s/{count}" for seconds, count in timings)
        + f"; {stories:,} stories"
    )


if __name__ == "__main__":
    sys.exit(main())
