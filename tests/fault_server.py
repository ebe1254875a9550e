"""A scripted fake OpenAI chat-completions endpoint on 127.0.0.1, for transport error paths.

Nothing it serves is model output: each test scripts the faults it wants (429 with
Retry-After, 500, 503, a hang past the client timeout, a connection reset, a truncated body,
invalid JSON, a body that is JSON but not a chat completion) and hand-written fake answers
from tests/fakes.py for the successes. It counts every request it receives.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer import Summarizer

from .fakes import FAKE_VALID_COMPLETION, fake_completion
from .loopback import QuietHandler, serving

API_KEY = "sk-test-secret-123"  # a fake key; tests check it never leaks

# How long a "hang" step holds the request open; far beyond the client timeout in the tests.
HANG_SECONDS = 30.0


@dataclass(frozen=True)
class Step:
    """One scripted reply: a fault kind, or "ok" with a fake completion body."""

    kind: str
    retry_after: str | None = None
    status: int = 200
    delay: float = 0.0
    body: dict[str, Any] | None = None


def ok(body: dict[str, Any] | None = None, delay: float = 0.0) -> Step:
    """A 200 carrying a hand-written fake completion (FAKE_VALID_COMPLETION by default)."""
    return Step("ok", body=body or FAKE_VALID_COMPLETION, delay=delay)


def answer(content: str) -> Step:
    """A 200 whose completion carries this hand-written content."""
    return Step("ok", body=fake_completion(content))


def rate_limited(retry_after: str | None = "0") -> Step:
    return Step("429", retry_after=retry_after)


def status(code: int) -> Step:
    """An HTTP error with this status and an OpenAI-style error body."""
    return Step("status", status=code)


SERVER_ERROR = Step("500")
UNAVAILABLE = Step("503")
HANG = Step("hang")
RESET = Step("reset")
TRUNCATED = Step("truncated")
INVALID_JSON = Step("invalid-json")
NOT_A_COMPLETION = Step("not-a-completion")


@dataclass
class ScriptedFaultServer:
    """Plays its script one step per request; after the script, every request gets a 500.

    It counts the requests it received and the most it held open at once.
    """

    script: list[Step]
    root: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    @property
    def count(self) -> int:
        """Requests received so far."""
        with self._lock:
            return len(self.requests)

    def next_step(self, body: dict[str, Any]) -> Step:
        with self._lock:
            index = len(self.requests)
            self.requests.append(body)
            return self.script[index] if index < len(self.script) else SERVER_ERROR

    def started(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def finished(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _handler(server: ScriptedFaultServer) -> type[QuietHandler]:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.read_body()
            try:
                request = json.loads(raw)
            except ValueError:
                request = {"unparsed": raw.decode("utf-8", "replace")}
            request["_headers"] = dict(self.headers.items())
            step = server.next_step(request)
            server.started()
            try:
                getattr(self, "_" + step.kind.replace("-", "_"))(step)
            finally:
                server.finished()

        def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
            body = {"error": {"message": message, "type": "fake_fault", "code": status}}
            self.send_json(status, body, headers)

        def _ok(self, step: Step) -> None:
            if step.delay:
                server.released.wait(step.delay)
            self.send_json(200, step.body)

        def _429(self, step: Step) -> None:
            headers = {"Retry-After": step.retry_after} if step.retry_after is not None else {}
            self._error(429, "fake rate limit", headers)

        def _500(self, step: Step) -> None:
            self._error(500, "fake internal error")

        def _503(self, step: Step) -> None:
            self._error(503, "fake overload")

        def _status(self, step: Step) -> None:
            message = f"fake error {step.status}"
            if step.status == 401:  # some servers echo the key they were given
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                message += f": Incorrect API key provided: {key}"
            self._error(step.status, message)

        def _hang(self, step: Step) -> None:
            server.released.wait(HANG_SECONDS)
            self.close_connection = True

        def _reset(self, step: Step) -> None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def _truncated(self, step: Step) -> None:
            body = json.dumps(FAKE_VALID_COMPLETION).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True

        def _invalid_json(self, step: Step) -> None:
            self.send_body(200, b'{"id": "fake", "choices": [{"message": ')

        def _not_a_completion(self, step: Step) -> None:
            self.send_json(200, {"status": "fake", "choices": "none today"})

    return Handler


@contextmanager
def scripted_fault_server(*script: Step) -> Iterator[ScriptedFaultServer]:
    """Run a ScriptedFaultServer on a free loopback port for the duration of the block."""
    server = ScriptedFaultServer(list(script))
    with serving(_handler(server)) as root:
        server.root = root
        try:
            yield server
        finally:
            server.released.set()  # let hanging handlers finish


def fault_summarizer(base_url: str, cache_dir: Path, **settings: object) -> Summarizer:
    """A Summarizer for the fault server: fast backoff, 1 s timeout, 3 attempts."""
    options: dict[str, object] = {
        "model": "fault-test",
        "base_url": base_url,
        "api_key": API_KEY,
        "cache": "auto",
        "cache_dir": cache_dir,
        "retry_initial_wait": 0.01,
        "retry_max_wait": 0.05,
        "timeout": 1.0,
        "transport_attempts": 3,
        **settings,
    }
    return Summarizer(**options)
