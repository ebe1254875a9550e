"""The one loopback HTTP server of the tests: a handler class served on 127.0.0.1.

The fault server, the provider conformance servers, the web sites of the fetch and digest
tests and the small web servers of the input and security tests all run through `serving`,
on a free port, for one `with` block.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and writes whole bodies."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_body(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer with this status and body; a client that hung up is no error."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with suppress(ConnectionError):
            self.wfile.write(body)

    def send_json(self, status: int, value: object, headers: dict[str, str] | None = None) -> None:
        """Answer with this status and a JSON body."""
        self.send_body(status, json.dumps(value).encode(), headers=headers)

    def send_file(self, path: Path) -> None:
        """Answer with a file, its type guessed from its suffix; 404 when there is none."""
        if not path.is_file():
            self.send_error(404)
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_body(200, path.read_bytes(), kind)

    def redirect(self, status: int, location: str) -> None:
        """Answer with a redirect to `location`, sent as given (a test may break it)."""
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def drip(self, body: bytes, content_type: str, size: int = 2, pause: float = 0.05) -> None:
        """Answer with the body `size` bytes at a time, `pause` seconds apart."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(ConnectionError):  # the client gave up, as it may
            for start in range(0, len(body), size):
                self.wfile.write(body[start : start + size])
                self.wfile.flush()
                time.sleep(pause)

    def read_body(self) -> bytes:
        """The request body, as long as its Content-Length says."""
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port; yields the server's root URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
