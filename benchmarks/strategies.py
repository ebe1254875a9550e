"""The seed article with the embedded model, one strategy or both: seconds, tokens, content.

For each run (response cache off, a fresh process state each strategy): wall seconds end to
end, model calls, prompt and output tokens, and the content checks of issue 19: are Dmitry
Peskov and Alexander Grushko listed, are stances clauses (more than two words), and is the
30-day-ceasefire demand made by Trump or the US of Putin or Russia. Prints the CPU model.

    flock /tmp/summarizer-model.lock .venv/bin/python benchmarks/strategies.py \
        --strategy staged [--strategy one-call] [--repeat 1] [--json out.json]

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

from summarizer import Summarizer, SummaryResult
from summarizer.articles import read_file

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", action="append", choices=["one-call", "staged"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the runs as JSON here")
    parser.add_argument(
        "--cache-dir", type=Path, help="record every response here (default: cache off)"
    )
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    article = read_file(SEED)
    print(f"CPU: {cpu()}")
    runs: list[dict[str, Any]] = []
    for strategy in options.strategy or ["staged"]:
        cache = {"cache": "record", "cache_dir": options.cache_dir} if options.cache_dir else {}
        summarizer = Summarizer(model="local", strategy=strategy, **({"cache": "off"} | cache))
        seconds = []
        for _ in range(options.repeat):
            summarizer.client.backend.llama.reset()  # no article read before: a cold start
            result = summarizer.summarize(article)
            p = result.provenance
            seconds.append(p.seconds)
            run = {
                "strategy": strategy,
                "seconds": p.seconds,
                "calls": p.attempts,
                "prompt_tokens": p.usage.prompt_tokens,
                "output_tokens": p.usage.completion_tokens,
                **checks(result),
            }
            runs.append(run)
            print(json.dumps(run, indent=2, ensure_ascii=False))
        print(f"{strategy}: median {statistics.median(seconds):.1f} s over {len(seconds)} run(s)")
    if options.json:
        options.json.write_text(json.dumps({"cpu": cpu(), "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
