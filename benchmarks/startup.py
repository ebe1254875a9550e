"""Start-up time of the command: `summarizer --help`, and a cache-hit summarise of the seed.

Each command runs as a fresh process; figures are the median and the best of --repeat runs.
The cache-hit summarise replays the seed article's recorded answer from --cache-dir, with
the embedded model named (so its file is opened, but nothing is generated).

    .venv/bin/python benchmarks/startup.py [--repeat 10] [--cache-dir fixtures]

Target: `summarizer --help` under 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _machine import describe

ROOT = Path(__file__).resolve().parent.parent
SUMMARIZER = Path(sys.executable).parent / "summarizer"
SEED = ROOT / "seeds" / "kursk-ceasefire-talks.txt"
SEED_TITLE = "Fierce fighting in Kursk as Trump and Putin prepare to talk"


def timed(command: list[str], repeat: int) -> list[float] | str:
    """Wall seconds of each run, or the last line of the command's error if it fails."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            return done.stderr.strip().splitlines()[-1]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "fixtures")
    options = parser.parse_args()
    commands = {
        "summarizer --help": [str(SUMMARIZER), "--help"],
        "cache-hit summarise (seed, local)": [
            str(SUMMARIZER),
            "summarize",
            str(SEED),
            "--title",
            SEED_TITLE,
            "--published",
            "2025-03-17",
            "--model",
            "local",
            "--cache",
            "replay",
            "--cache-dir",
            str(options.cache_dir),
        ],
        "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
    }
    for name, command in commands.items():
        seconds = timed(command, options.repeat)
        if isinstance(seconds, str):
            print(f"{name:36} failed: {seconds}", file=sys.stderr)
            continue
        print(
            f"{name:36} median {statistics.median(seconds):.3f} s, "
            f"best {min(seconds):.3f} s ({options.repeat} runs)"
        )
    print(f"machine: {describe()}")


if __name__ == "__main__":
    main()
