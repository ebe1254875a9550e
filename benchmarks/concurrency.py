"""Concurrency efficiency: N articles against a loopback server that answers after a fixed delay.

The server is a scripted fake of an OpenAI-compatible endpoint (a throughput benchmark needs
no real model): it waits --latency seconds, then returns the same hand-written, valid answer
to every request. It runs in its own process (its own interpreter and GIL) as one asyncio
loop with a coroutine per keep-alive connection, costing well under 1 ms of CPU a request,
so the figures measure our client, not the server. With concurrency c, N articles ideally
take ceil(N / c) * latency seconds; efficiency is that ideal divided by the time achieved
(1.0 = no overhead at all). The last column posts the same batch with a bare
`openai.AsyncOpenAI` client (same messages and schema, the answer only parsed as JSON): the
ceiling for any client on openai's HTTP stack on this machine, against which ours is judged.

    .venv/bin/python benchmarks/concurrency.py [--articles 200] [--latency 0.5] \
        [--levels 8,16,32,64]

Target: efficiency >= 0.9 at 32 concurrent requests, 0.5 s latency, 200 articles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import re
import time

import openai
from _machine import describe

from summarizer import Article, ArticleSummary, Summarizer, SummarizerError
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
    """The same batch posted by a bare openai client, for reference: the ceiling of any client.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--levels", default="8,16,32,64")
    options = parser.parse_args()
    server, base_url = start_server(options.latency)
    print(f"{options.articles} articles, scripted fake server answering after {options.latency} s")
    print(
        f"{'concurrency':>11} {'ideal s':>8} {'achieved s':>10} {'efficiency':>10} {'failed':>6}"
        f" {'client CPU ms/article':>21} {'bare openai efficiency':>22}"
    )
    # Imports (openai, Instructor) and the first client are start-up, which
    # benchmarks/startup.py measures; here they would be charged to the first level.
    Summarizer(model="scripted-fake", base_url=base_url, api_key="unused", cache="off").summarize(
        articles(1, -1)[0]
    )
    for run, level in enumerate(int(x) for x in options.levels.split(",")):
        summarizer = Summarizer(
            model="scripted-fake",
            base_url=base_url,
            api_key="unused",
            cache="off",
            concurrency=level,
        )
        batch = articles(options.articles, run)
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = summarizer.summarize_many(batch)
        achieved = time.perf_counter() - started
        # This process only (its threads included): the server runs in its own.
        cpu_ms = (time.process_time() - cpu) * 1000 / options.articles
        failed = sum(isinstance(o, SummarizerError) for o in outcomes)
        ideal = math.ceil(options.articles / level) * options.latency
        bare = bare_openai_seconds(base_url, articles(options.articles, run), level)
        print(
            f"{level:>11} {ideal:>8.2f} {achieved:>10.2f} {ideal / achieved:>10.2f} {failed:>6}"
            f" {cpu_ms:>21.1f} {ideal / bare:>22.2f}"
        )
    server.terminate()
    print(f"machine: {describe()}")


if __name__ == "__main__":
    main()
