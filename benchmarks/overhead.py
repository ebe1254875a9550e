"""The pipeline's own time per article, the model excluded: p50 and p95.

Every answer comes from the response cache in replay mode (recorded by the embedded model),
so what is timed is our code: prompt rendering, token counting, the cache lookup,
Instructor's parsing, validation, merging, dates and grounding. Articles are the gold set's
(seed article included); those without a recorded answer in --cache-dir are skipped.

    .venv/bin/python benchmarks/overhead.py [--repeat 50] [--cache-dir fixtures]
    .venv/bin/python benchmarks/overhead.py --scripted   # no recorded answer needed
    .venv/bin/python benchmarks/overhead.py --instructor-shim   # with the opt-in shim

With --scripted, an in-process scripted fake backend returns one hand-written answer
instantly (cache off) for short articles that contain its quote: the same code path
without the cache lookup, for when nothing is recorded yet.

Target: under 5 ms p50 per article.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _machine import describe
from concurrency import QUOTE, articles, scripted_completion

from summarizer import Article, CacheMiss, Summarizer
from summarizer.eval.gold import load_gold
from summarizer.llm import instructor_shim

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class ScriptedFakeBackend:
    """Answers every request at once with the concurrency benchmark's hand-written answer."""

    name = "scripted-fake"
    model = "scripted-fake"
    context_window = 100_000
    response_format = "json_schema"

    def __init__(self) -> None:
        self.answer = json.loads(scripted_completion())

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.answer

    async def acomplete(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.answer

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1


def scripted_summarizer() -> Summarizer:
    return Summarizer(cache="off", backend=ScriptedFakeBackend())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per article")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "fixtures")
    parser.add_argument("--gold", type=Path, default=ROOT / "gold" / "gold.jsonl")
    parser.add_argument("--scripted", action="store_true", help="scripted fake answers")
    parser.add_argument("--instructor-shim", action="store_true", help="opt in to the shim")
    options = parser.parse_args()
    if options.instructor_shim and not instructor_shim.install():
        sys.exit("the Instructor shim does not apply to the installed Instructor release")

    if options.scripted:
        assert QUOTE in articles(1, 0)[0]
        summarizer = scripted_summarizer()
        batch = [(f"scripted-{i}", Article(text=t)) for i, t in enumerate(articles(3, 0))]
    else:
        summarizer = Summarizer(model="local", cache="replay", cache_dir=options.cache_dir)
        summarizer.client  # load the backend (the model file) before timing  # noqa: B018
        batch = [
            (gold.id, Article(text=gold.text, title=gold.title, published=gold.published))
            for gold in load_gold(options.gold)
        ]
    timings: list[float] = []
    for name, article in batch:
        try:
            summarizer.summarize(article)  # warm-up: imports, templates, schema
        except CacheMiss:
            print(f"skipped {name}: no recorded answer in {options.cache_dir}", file=sys.stderr)
            continue
        own: list[float] = []
        for _ in range(options.repeat):
            started = time.perf_counter()
            summarizer.summarize(article)
            own.append((time.perf_counter() - started) * 1000)
        timings += own
        print(f"{name:28} {len(article.text.split()):5} words  p50 {percentile(own, 0.5):6.2f} ms")
    if not timings:
        sys.exit(f"no article has a recorded answer in {options.cache_dir}")
    print(
        f"pipeline overhead per article ({'scripted' if options.scripted else 'replay'}, "
        "model excluded): "
        f"p50 {percentile(timings, 0.5):.2f} ms, p95 {percentile(timings, 0.95):.2f} ms, "
        f"mean {statistics.fmean(timings):.2f} ms over {len(timings)} runs"
    )
    print(f"machine: {describe()}")


if __name__ == "__main__":
    main()
