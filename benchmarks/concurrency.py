"""Concurrency: our client against a bare openai client, and against the ideal, at 32 in flight.

Each server is a scripted fake of an OpenAI-compatible endpoint on loopback (a throughput
benchmark needs no real model): it waits a fixed latency, then returns the same
hand-written, valid answer to every request. It runs in its own process (its own
interpreter and GIL) as one asyncio loop with a coroutine per keep-alive connection, costing
well under 1 ms of CPU a request, so the figures measure the clients, not the server.

Two servers, two questions:

- 0.5 s: a fast endpoint, where the client's own CPU shows. Our client is judged against a
  bare `openai.AsyncOpenAI` client posting the same batch (same messages and schema, the
  answer only parsed as JSON: no Instructor, no validation, no grounding), the ceiling for
  any client on openai's HTTP stack on this machine.
- 5 s: a hosted model's latency, what users feel. Our client is judged against the ideal:
  with concurrency c, N articles ideally take ceil(N / c) * latency seconds; efficiency is
  that ideal divided by the time achieved (1.0 = no overhead at all).

Every run posts a batch with both clients against both servers, side by side (which client
goes first alternates from run to run); the figures are medians over --repeat runs.

    .venv/bin/python benchmarks/concurrency.py [--articles 200] [--repeat 5] \
        [--concurrency 32] [--latencies 0.5,5] [--archive]

Our client is `Summarizer.summarize_many` as shipped: a batch installs the Instructor shim
(summarizer.llm.instructor_shim, on the Instructor release it was tested on; the output
says whether it applied) and sets aside the objects alive before it from the garbage
collector's full passes (summarizer.heap). It records nothing in the archive, unless
--archive: then each summary is recorded in a temporary archive, to measure what that costs.

Targets at 32 in flight, 200 articles: our efficiency / the bare client's >= 0.95 with the
0.5 s server; our efficiency >= 0.97 with the 5 s server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import openai
from _machine import describe

from summarizer import Article, ArticleSummary, Summarizer, SummarizerError
from summarizer.llm import instructor_shim
from summarizer.pipeline import system_prompt, user_prompt

QUOTE = "he plans to meet with Russian President Vladimir Putin on Tuesday"
SCRIPTED_ANSWER = {
    "summary": "Trump plans a call with Putin about a ceasefire.",
    "key_points": ["A call is planned.", "A ceasefire is discussed.", "Talks are on Tuesday."],
    "actors": [
        {
            "name": "Donald Trump",
            "aliases": ["Trump"],
            "type": "person",
            "role": "President",
            "affiliation": "United States",
        },
        {
            "name": "Vladimir Putin",
            "aliases": ["Putin"],
            "type": "person",
            "role": "President",
            "affiliation": "Russia",
        },
    ],
    "events": [
        {
            "what": "Trump-Putin meeting",
            "category": "consult",
            "status": "planned",
            "when": "on Tuesday",
            "where": None,
            "participants": ["Donald Trump", "Vladimir Putin"],
            "evidence": [QUOTE],
        },
    ],
    "positions": [],
    "demands": [],
}


def scripted_completion() -> bytes:
    """The fake server's one answer, as a chat completion body."""
    return json.dumps(
        {
            "id": "scripted-fake",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted-fake",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": json.dumps(SCRIPTED_ANSWER)},
                }
            ],
            "usage": {"prompt_tokens": 500, "completion_tokens": 150, "total_tokens": 650},
        }
    ).encode()


def serve(latency: float, ports: multiprocessing.Queue[int]) -> None:
    """Run the loopback scripted fake endpoint on a free port, and report the port."""
    asyncio.run(_serve(latency, ports))


async def _serve(latency: float, ports: multiprocessing.Queue[int]) -> None:
    # One asyncio loop, one coroutine per connection, no thread per request: the server
    # must not be what the benchmark measures. It speaks just enough HTTP/1.1 for a
    # keep-alive client posting JSON: it reads the headers and the Content-Length body,
    # waits `latency` seconds without blocking the other connections, and answers.
    body = scripted_completion()
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                await reader.readexactly(int(length[1]) if length else 0)
                await asyncio.sleep(latency)
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed its connection
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=1024)
    ports.put(server.sockets[0].getsockname()[1])
    await server.serve_forever()


def start_server(latency: float) -> tuple[multiprocessing.Process, str]:
    """The fake endpoint in its own process, so it does not share our interpreter's GIL."""
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve, args=(latency, ports), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{ports.get(timeout=30)}/v1"


def articles(count: int, run: int) -> list[str]:
    """Distinct articles (so no two requests are alike) that contain the scripted quote."""
    return [
        f"Report {run}-{number}. Trump said {QUOTE} to discuss a ceasefire."
        for number in range(count)
    ]


def bare_openai_seconds(base_url: str, texts: list[str], level: int) -> float:
    """Seconds for a bare openai client to post the batch: the ceiling of any client.

    Each body has our messages and JSON schema (so the same size, ~12 KB), and the answer's
    content is only parsed as JSON: no Instructor, no validation, no grounding.
    """
    schema = ArticleSummary.model_json_schema()

    async def batch() -> float:
        client = openai.AsyncOpenAI(api_key="unused", base_url=base_url, max_retries=0)
        slots = asyncio.Semaphore(level)

        async def one(text: str) -> None:
            body = {
                "model": "scripted-fake",
                "messages": [
                    {"role": "system", "content": system_prompt()},
                    {"role": "user", "content": user_prompt(Article(text=text), text)},
                ],
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "ArticleSummary", "schema": schema},
                },
            }
            async with slots:
                answer = await client.post("/chat/completions", body=body, cast_to=object)
            json.loads(answer["choices"][0]["message"]["content"])  # type: ignore[index]

        started = time.perf_counter()
        await asyncio.gather(*(one(text) for text in texts))
        achieved = time.perf_counter() - started
        await client.close()
        return achieved

    return asyncio.run(batch())


@dataclass
class Run:
    """One batch with each client against one server."""

    ours: float  # efficiency: ideal seconds / achieved seconds
    bare: float
    cpu_ms: float  # our client's CPU per article, this process only
    failed: int


def our_run(
    base_url: str, texts: list[str], level: int, archive: str = "off"
) -> tuple[float, float, int]:
    """Seconds, CPU ms per article and failures for our client on the batch."""
    summarizer = Summarizer(
        model="scripted-fake",
        base_url=base_url,
        api_key="unused",
        cache="off",
        concurrency=level,
        archive=archive,
    )
    started, cpu = time.perf_counter(), time.process_time()
    outcomes = summarizer.summarize_many(texts)
    achieved = time.perf_counter() - started
    # This process only (its threads included): the server runs in its own.
    cpu_ms = (time.process_time() - cpu) * 1000 / len(texts)
    return achieved, cpu_ms, sum(isinstance(o, SummarizerError) for o in outcomes)


def one_run(
    base_url: str, latency: float, texts: list[str], level: int, bare_first: bool, archive: str
) -> Run:
    """Both clients on the same batch against one server, in the given order."""
    ideal = math.ceil(len(texts) / level) * latency
    if bare_first:
        bare = bare_openai_seconds(base_url, texts, level)
        seconds, cpu_ms, failed = our_run(base_url, texts, level, archive)
    else:
        seconds, cpu_ms, failed = our_run(base_url, texts, level, archive)
        bare = bare_openai_seconds(base_url, texts, level)
    return Run(ours=ideal / seconds, bare=ideal / bare, cpu_ms=cpu_ms, failed=failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="Runs; figures are medians.")
    parser.add_argument("--concurrency", type=int, default=32, help="Requests in flight.")
    parser.add_argument("--latencies", default="0.5,5", help="Server latencies, in seconds.")
    parser.add_argument(
        "--archive", action="store_true", help="record each summary in a temporary archive"
    )
    options = parser.parse_args()
    archive = str(Path(tempfile.mkdtemp()) / "archive.sqlite") if options.archive else "off"
    load_before = os.getloadavg()[0]
    latencies = [float(x) for x in options.latencies.split(",")]
    servers = {latency: start_server(latency) for latency in latencies}
    level = options.concurrency
    # Imports (openai, Instructor) and the first clients are start-up, which
    # benchmarks/startup.py measures; here they would be charged to the first run.
    for _, base_url in servers.values():
        our_run(base_url, articles(1, -1), 1, archive)
        bare_openai_seconds(base_url, articles(1, -1), 1)
    shim = "with" if instructor_shim.installed() else "without"
    recorded = "recorded in a temporary archive" if options.archive else "not archived"
    print(
        f"{options.articles} articles, {level} in flight, scripted fake servers on loopback,"
        f" {shim} the Instructor shim, {recorded}"
    )
    print(
        f"{'server s':>8} {'run':>3} {'ours':>6} {'bare':>6} {'ours/bare':>9}"
        f" {'client CPU ms/article':>21} {'failed':>6}"
    )
    runs: dict[float, list[Run]] = {latency: [] for latency in latencies}
    for number in range(options.repeat):
        for latency, (_, base_url) in servers.items():
            texts = articles(options.articles, number)
            run = one_run(base_url, latency, texts, level, number % 2 == 1, archive)
            runs[latency].append(run)
            print(
                f"{latency:>8.1f} {number + 1:>3} {run.ours:>6.3f} {run.bare:>6.3f}"
                f" {run.ours / run.bare:>9.3f} {run.cpu_ms:>21.1f} {run.failed:>6}"
            )
    for process, _ in servers.values():
        process.terminate()
    print(f"\nmedians over {options.repeat} runs (efficiency = ideal seconds / achieved seconds)")
    print(f"{'server s':>8} {'ours':>6} {'bare':>6} {'ours/bare':>9} {'client CPU ms/article':>21}")
    for latency, measured in runs.items():
        print(
            f"{latency:>8.1f} {median(r.ours for r in measured):>6.3f}"
            f" {median(r.bare for r in measured):>6.3f}"
            f" {median(r.ours / r.bare for r in measured):>9.3f}"
            f" {median(r.cpu_ms for r in measured):>21.1f}"
        )
    if 0.5 in runs:
        ratio = median(r.ours / r.bare for r in runs[0.5])
        print(f"target: ours / bare at {level}, 0.5 s server >= 0.95: {ratio:.3f}")
    if 5.0 in runs:
        ours = median(r.ours for r in runs[5.0])
        print(f"target: ours at {level}, 5 s server >= 0.97: {ours:.3f}")
    print(f"machine: {describe()}")
    # Other work on the machine slows the clients: say how busy it was.
    print(f"1-minute load: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")


def median(values: Iterable[float]) -> float:
    """The median of some figures."""
    return statistics.median(list(values))


if __name__ == "__main__":
    main()
