"""How fast `summarizer browse` answers its views and draws its pictures on a large archive.

    .venv/bin/python benchmarks/browse.py                      # 10,000 summaries
    .venv/bin/python benchmarks/browse.py --summaries 2000 --repeat 9

The archive is synthetic (made here, seeded, in a temporary folder): each summary has three
to five actors from a pool of 400 (a few of them, heads of state, in a tenth of all
articles), three events dated over a year (one in five planned, one in ten undated) and two
positions. They are recorded through `summarizer.archive.record`, as the CLI records a
summary. Each view is then fetched through Datasette's in-process client (no socket), the
median of `--repeat` fetches printed in milliseconds: the actor who appears most (the
largest timeline), an actor of average reach, a week of events, costs by day, today's
articles.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from _machine import describe

from summarizer import browse
from summarizer.archive.record import open_archive, record
from summarizer.schema import ArticleInfo, ArticleSummary, Provenance, SummaryResult

START = dt.date(2026, 1, 1)
STATUSES = ["occurred"] * 7 + ["ongoing", "planned", "planned"]


def synthetic_result(number: int, rng: random.Random, pool: list[str]) -> SummaryResult:
    """One made-up summary (not a model's output) of a made-up article."""
    day = START + dt.timedelta(days=rng.randrange(365))
    famous = [name for name in pool[:4] if rng.random() < 0.1]
    names = list(dict.fromkeys(famous + rng.sample(pool[4:], rng.randint(3, 5))))[:5]
    quote = f"Article {number} says what happened."
    events = [
        {
            "what": f"{names[n % len(names)]} did thing {n} of article {number}",
            "category": "statement",
            "status": rng.choice(STATUSES),
            "when": None,
            "where": None,
            "participants": names[n % len(names) : n % len(names) + 2],
            "evidence": [quote],
        }
        for n in range(3)
    ]
    answer = {
        "summary": f"Synthetic article {number}.",
        "key_points": ["One.", "Two.", "Three."],
        "actors": [{"name": name, "type": "person"} for name in names],
        "events": events,
        "positions": [
            {"actor": name, "topic": "the plan", "stance": "For it.", "evidence": [quote]}
            for name in names[:2]
        ],
        "demands": [],
    }
    summary = ArticleSummary.model_validate(answer)
    for event in summary.events:
        if rng.random() > 0.1:
            event.date = day + dt.timedelta(days=rng.randint(-3, 3))
    return SummaryResult(
        article=ArticleInfo(title=f"Synthetic article {number}", text=quote, published=day),
        summary=summary,
        provenance=Provenance(
            model="synthetic",
            backend="synthetic",
            prompt_hash="0" * 16,
            input_hash=f"{number:016x}",
            attempts=1,
            cache_hit=False,
            seconds=0.0,
            created=dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC),
        ),
    )


def build(path: Path, summaries: int) -> float:
    """Record the synthetic summaries; the seconds it took."""
    rng = random.Random(20)
    pool = [f"Person{n:03d} Surname{n:03d}" for n in range(400)]
    archive = open_archive(path)
    started = time.perf_counter()
    try:
        for number in range(summaries):
            record(archive, synthetic_result(number, rng, pool), origin="api")
    finally:
        archive.close()
    return time.perf_counter() - started


async def timings(path: Path, repeat: int) -> list[tuple[str, float, int]]:
    """(view, median milliseconds, bytes) for each view."""
    datasette = browse.datasette(path)
    await datasette.invoke_startup()
    client = datasette.client

    async def rows(url: str) -> list[dict]:
        response = await client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        return response.json()

    actors = await rows("/archive/actors.json?_shape=array&_size=max")
    most, typical = actors[0], actors[len(actors) // 2]
    views = {
        "actors (every actor, counted)": "/archive/actors",
        f"timeline picture, top actor ({most['summaries']} summaries)": (
            f"/-/summarizer/actors/{most['id']}"
        ),
        f"timeline picture, typical actor ({typical['summaries']})": (
            f"/-/summarizer/actors/{typical['id']}"
        ),
        "actor_timeline table, top actor": f"/archive/actor_timeline?actor={most['id']}",
        "events_by_date, one week": "/archive/events_by_date?from=2026-06-01&to=2026-06-07",
        "costs by day": "/archive/costs",
        "today": "/archive/today",
    }
    measured = []
    for name, url in views.items():
        seconds, size = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            response = await client.get(url)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.text[:300])
            size = len(response.content)
        measured.append((name, statistics.median(seconds) * 1000, size))
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summaries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--keep", type=Path, help="Build the archive here and keep it (reused when it exists)."
    )
    options = parser.parse_args()
    print(describe())
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory() as folder:
        path = options.keep or Path(folder) / "archive.sqlite"
        if not path.exists():
            seconds = build(path, options.summaries)
            print(
                f"recorded {options.summaries:,} synthetic summaries in {seconds:.1f} s "
                f"({options.summaries / seconds:,.0f}/s)"
            )
        print(f"archive {path}: {path.stat().st_size / 2**20:.1f} MiB")
        print(f"{'view':<48} {'median ms':>10} {'KiB':>8}")
        for name, milliseconds, size in asyncio.run(timings(path, options.repeat)):
            print(f"{name:<48} {milliseconds:>10.1f} {size / 1024:>8.1f}")


if __name__ == "__main__":
    main()
