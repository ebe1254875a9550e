"""The embedded model on the seed article: tokens, seconds, and the cost of our pipeline.

Prints, for one summarisation of the seed article with the response cache off:
prompt tokens, output tokens, wall seconds, seconds per output token; then a raw
llama-cpp-python generation of the same number of output tokens from the same prompt
(no grammar, end-of-text suppressed) and the ratio of the two. Finally the prompt phase
alone, cold (empty KV cache) against warm (the fixed system prompt already evaluated by
a previous article), as medians over --repeat runs.

    .venv/bin/python benchmarks/local_model.py [--repeat 3] [--skip-full]

Takes several minutes on 2 cores; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from pathlib import Path

from summarizer import Article, Summarizer
from summarizer.config import load_settings
from summarizer.local import LocalBackend
from summarizer.pipeline import system_prompt, user_prompt

SEED = Path(__file__).resolve().parent.parent / "seeds" / "kursk-ceasefire-talks.txt"
OTHER = "The city council met on Monday and approved a new budget for public libraries."


def seed() -> Article:
    return Article(text=SEED.read_text(), title="Kursk", published=dt.date(2025, 3, 17))


def messages(article: Article) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": system_prompt()},
        {"role": "user", "content": user_prompt(article, article.text)},
    ]


def prompt_phase(backend: LocalBackend, article: Article, warm: bool) -> float:
    """Seconds to read the prompt (one output token), with or without the system prefix cached."""
    llama = backend.llama
    llama.reset()
    if warm:
        llama.create_chat_completion(messages=messages(Article(text=OTHER)), max_tokens=1)
    started = time.perf_counter()
    llama.create_chat_completion(messages=messages(article), max_tokens=1, temperature=0.0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the prompt-phase test")
    parser.add_argument("--skip-full", action="store_true", help="only the prompt-phase test")
    options = parser.parse_args()

    settings = load_settings(model="local", cache="off")
    backend = LocalBackend(settings)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print(f"model: {backend.model}, context {backend.context_window}, threads {backend.threads}")

    if not options.skip_full:
        backend.llama.reset()
        summarizer = Summarizer(settings)
        started = time.perf_counter()
        result = summarizer.summarize(seed())
        wall = time.perf_counter() - started
        usage = result.provenance.usage
        print("\n[pipeline] seed article, cache off")
        print(f"  prompt tokens      {usage.prompt_tokens}")
        print(f"  output tokens      {usage.completion_tokens}")
        print(f"  model calls        {result.provenance.attempts}")
        print(f"  wall seconds       {wall:.1f}")
        print(f"  s / output token   {wall / max(usage.completion_tokens, 1):.3f}")

        llama = backend.llama
        llama.reset()
        end_of_text = llama.token_eos()
        started = time.perf_counter()
        raw = llama.create_chat_completion(
            messages=messages(seed()),
            max_tokens=usage.completion_tokens // max(result.provenance.attempts, 1),
            temperature=0.0,
            logit_bias={end_of_text: -1e9},
        )
        raw_wall = time.perf_counter() - started
        raw_tokens = raw["usage"]["completion_tokens"]
        per_call = wall / max(result.provenance.attempts, 1)
        print("\n[raw llama-cpp-python] same prompt, same output length per call, no grammar")
        print(f"  output tokens      {raw_tokens}")
        print(f"  wall seconds       {raw_wall:.1f}")
        print(f"  s / output token   {raw_wall / max(raw_tokens, 1):.3f}")
        print(f"  ratio pipeline/raw {per_call / raw_wall:.2f}  (per model call)")

    cold = [prompt_phase(backend, seed(), warm=False) for _ in range(options.repeat)]
    warm = [prompt_phase(backend, seed(), warm=True) for _ in range(options.repeat)]
    print(f"\n[prompt phase] seed article, median of {options.repeat}")
    print(f"  cold KV cache      {statistics.median(cold):.1f} s")
    print(f"  warm system prefix {statistics.median(warm):.1f} s")
    print(f"  speed-up           {statistics.median(cold) / statistics.median(warm):.2f}x")


if __name__ == "__main__":
    main()
