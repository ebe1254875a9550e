"""The cost of the portable llama.cpp build: prompt reading and generation, portable against native.

Each interpreter given is a virtual environment's python with its own llama-cpp-python build
(the project's portable one, and one built natively on this machine, e.g. with
`CMAKE_ARGS="-DLLAVA_BUILD=OFF" pip install --no-cache-dir llama-cpp-python==0.3.36` in a
second venv). The builds take turns, --repeat times each, on the embedded model: the seed
article's prompt read in one go (tokens/s), then free generation of --tokens tokens
(tokens/s). Prints medians and the ratio of each build to the first.

    .venv/bin/python benchmarks/llama_builds.py .venv/bin/python /tmp/native-venv/bin/python

Run it on an otherwise idle machine: both cores are used.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from pathlib import Path

from _machine import describe

from summarizer.local import embedded_model_path

SEED = Path(__file__).resolve().parent.parent / "seeds" / "kursk-ceasefire-talks.txt"

# Runs inside each build's interpreter: only llama_cpp and the standard library.
_MEASURE = """
import json, os, sys, time
import llama_cpp
model, text, tokens_out = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])
threads = os.cpu_count()
llama = llama_cpp.Llama(model_path=model, n_ctx=4096, n_threads=threads,
                        n_threads_batch=threads, verbose=False)
prompt = llama.tokenize(text.encode(), add_bos=True)
started = time.perf_counter()
llama.eval(prompt)
read = time.perf_counter() - started
eos = llama.token_eos()
started = time.perf_counter()
for _ in range(tokens_out):
    token = llama.sample(temp=0.0)
    if token == eos:
        break
    llama.eval([token])
written = time.perf_counter() - started
info = llama_cpp.llama_print_system_info().decode()
print(json.dumps({"prompt_tokens": len(prompt), "read_tps": len(prompt) / read,
                  "write_tps": tokens_out / written, "features": info}))
"""


def measure(python: str, model: Path, tokens: int) -> dict[str, float | str]:
    """One run of one build."""
    done = subprocess.run(
        [python, "-c", _MEASURE, str(model), str(SEED), str(tokens)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pythons", nargs="+", help="interpreters, one per build (first: baseline)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per build (default 3)")
    parser.add_argument("--tokens", type=int, default=64, help="tokens generated per run")
    options = parser.parse_args()
    model = embedded_model_path()
    runs: dict[str, list[dict[str, float | str]]] = {python: [] for python in options.pythons}
    for _ in range(options.repeat):
        for python in options.pythons:  # take turns, so load drifts hit every build alike
            runs[python].append(measure(python, model, options.tokens))
    print(describe())
    print(
        f"embedded model, seed article prompt, {options.tokens} generated tokens, "
        f"medians of {options.repeat} runs each"
    )
    baseline: tuple[float, float] | None = None
    for python, results in runs.items():
        read = statistics.median(float(r["read_tps"]) for r in results)
        write = statistics.median(float(r["write_tps"]) for r in results)
        baseline = baseline or (read, write)
        features = " ".join(
            part.split("=")[0].strip()
            for part in str(results[0]["features"]).split("|")
            if part.strip().endswith("= 1")
        ).replace("CPU : ", "")
        print(
            f"{python}\n  prompt {read:6.1f} tokens/s (x{read / baseline[0]:.2f})   "
            f"generation {write:5.1f} tokens/s (x{write / baseline[1]:.2f})\n"
            f"  built for: {features}"
        )


if __name__ == "__main__":
    main()
