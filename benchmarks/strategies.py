"""The embedded model's strategies side by side: seconds, tokens, and on the seed, content.

On the seed article (the default), for each run (response cache off, a fresh process state
each strategy): wall seconds end to end, model calls, prompt and output tokens, and the
content checks of issue 19: are Dmitry Peskov and Alexander Grushko listed, are stances
clauses (more than two words), and is the 30-day-ceasefire demand made by Trump or the US of
Putin or Russia. Prints the CPU model.

    flock /tmp/summarizer-model.lock .venv/bin/python benchmarks/strategies.py \
        --strategy staged [--strategy one-call] [--repeat 1] [--json out.json]

With --gold (our gold JSONL or a WikiEvents folder), every strategy summarises each article
in turn, article by article, so that a change of machine load falls on all of them alike;
the model's state is reset before each summary. Prints seconds per article and per strategy
the median and its ratio to the first strategy's. `one-shot` is the naive call: one
schema-constrained answer, no re-ask. With --cache-dir, each strategy records its responses
in a folder of its own there, which `summarizer eval --cache replay` then scores:

    flock /tmp/summarizer-model.lock .venv/bin/python benchmarks/strategies.py \
        --gold ../shared/eval/wikievents-dev --strategy one-shot --strategy staged \
        --cache-dir /tmp/side-by-side

A summary takes minutes on 2 cores; run it under the model lock on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

from summarizer import Provenance, Summarizer, SummaryResult
from summarizer.articles import Article, read_file
from summarizer.errors import SummarizerError
from summarizer.eval.gold import load_gold
from summarizer.eval.run import select

SEED = Path(__file__).resolve().parent.parent / "seeds" / "kursk-ceasefire-talks.txt"


def cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in out.splitlines()
            if line.startswith("Model name")
        ),
        "unknown",
    )
    return f"{model}, {os.cpu_count()} CPUs"


def checks(result: SummaryResult) -> dict[str, Any]:
    summary = result.summary
    names = {a.id: " ".join([a.name, *a.aliases]) for a in summary.actors}
    everything = " ".join(names.values())

    def named(actor_id: str | None, *words: str) -> bool:
        return actor_id is not None and any(w in names.get(actor_id, "") for w in words)

    ceasefire = [
        d
        for d in summary.demands
        if "ceasefire" in (d.what + " ".join(e.quote for e in d.evidence)).replace("-", "").lower()
    ]
    return {
        "peskov": "Peskov" in everything,
        "grushko": "Grushko" in everything,
        "stances": [f"{names[p.actor]}: {p.stance}" for p in summary.positions],
        "stances_as_clauses": bool(summary.positions)
        and all(len(p.stance.split()) > 2 for p in summary.positions),
        "ceasefire_demand_by_us_of_russia": any(
            named(d.by, "Trump", "US", "United States") and named(d.of, "Putin", "Russia")
            for d in ceasefire
        ),
        "demands": [
            f"{names.get(d.by)} -> {names.get(d.of or '')}: {d.what}" for d in summary.demands
        ],
        "summary": summary.summary,
        "events": [f"{e.what} ({e.status}, {e.when}, {e.date})" for e in summary.events],
        "weak_items": sum(
            1 for item in [*summary.events, *summary.demands] if item.support == "weak"
        ),
    }


def cost(strategy: str, provenance: Provenance) -> dict[str, Any]:
    """What one summary took: seconds, model calls, tokens."""
    return {
        "strategy": strategy,
        "seconds": provenance.seconds,
        "calls": provenance.attempts,
        "prompt_tokens": provenance.usage.prompt_tokens,
        "output_tokens": provenance.usage.completion_tokens,
    }


def summarizer_for(strategy: str, cache_dir: Path | None) -> Summarizer:
    options: dict[str, Any] = {"cache": "off"}
    if cache_dir is not None:
        options = {"cache": "record", "cache_dir": cache_dir}
    if strategy == "one-shot":
        return Summarizer(model="local", strategy="one-call", max_reasks=0, **options)
    return Summarizer(model="local", strategy=strategy, **options)


def side_by_side(options: argparse.Namespace) -> None:
    golds = select(load_gold(options.gold), split=options.split, shortest=options.shortest)
    golds = golds[options.skip :]
    strategies = options.strategy or ["one-shot", "staged"]
    folders = {s: options.cache_dir / s if options.cache_dir else None for s in strategies}
    summarizers = {s: summarizer_for(s, folders[s]) for s in strategies}
    seconds: dict[str, list[float]] = {s: [] for s in strategies}
    runs: list[dict[str, Any]] = []
    for gold in golds:
        article = Article(text=gold.text, title=gold.title, published=gold.published)
        for strategy, summarizer in summarizers.items():
            summarizer.client.backend.llama.reset()
            try:
                p = summarizer.summarize(article).provenance
            except SummarizerError as error:
                runs.append({"article": gold.id, "strategy": strategy, "error": str(error)})
                print(f"{gold.id} {strategy}: failed: {error}", flush=True)
                continue
            seconds[strategy].append(p.seconds)
            run = {"article": gold.id, **cost(strategy, p)}
            runs.append(run)
            print(json.dumps(run), flush=True)
    print(f"CPU: {cpu()}; {len(golds)} articles")
    first = statistics.median(seconds[strategies[0]]) if seconds[strategies[0]] else None
    for strategy in strategies:
        if not seconds[strategy]:
            print(f"{strategy}: no summary")
            continue
        median = statistics.median(seconds[strategy])
        ratio = f", x{median / first:.2f} of {strategies[0]}" if first else ""
        print(f"{strategy}: median {median:.1f} s per article over {len(seconds[strategy])}{ratio}")
    if options.json:
        options.json.write_text(json.dumps({"cpu": cpu(), "runs": runs}, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", action="append", choices=["one-call", "one-shot", "staged"])
    parser.add_argument("--gold", type=Path, help="a gold set: run its articles side by side")
    parser.add_argument("--split", choices=["tuning", "held-out"])
    parser.add_argument("--shortest", type=int, help="only the N shortest articles of --gold")
    parser.add_argument(
        "--skip",
        type=int,
        default=0,
        help="leave out the first N of the selected articles (to resume a run that stopped: "
        "their answers are already in --cache-dir)",
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the runs as JSON here")
    parser.add_argument(
        "--cache-dir", type=Path, help="record every response here (default: cache off)"
    )
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if options.gold:
        side_by_side(options)
        return
    article = read_file(SEED)
    print(f"CPU: {cpu()}")
    runs: list[dict[str, Any]] = []
    for strategy in options.strategy or ["staged"]:
        summarizer = summarizer_for(strategy, options.cache_dir)
        seconds = []
        for _ in range(options.repeat):
            summarizer.client.backend.llama.reset()  # no article read before: a cold start
            result = summarizer.summarize(article)
            p = result.provenance
            seconds.append(p.seconds)
            run = {**cost(strategy, p), **checks(result)}
            runs.append(run)
            print(json.dumps(run, indent=2, ensure_ascii=False))
        print(f"{strategy}: median {statistics.median(seconds):.1f} s over {len(seconds)} run(s)")
    if options.json:
        options.json.write_text(json.dumps({"cpu": cpu(), "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
