"""Whether the installed llama.cpp library runs on this CPU, checked once per installed build.

A llama.cpp library compiled natively (`-march=native`) on a machine whose CPU flags
advertise instructions its hypervisor does not run (AMX on some Intel Xeon VMs) loads, and
even answers a one-token prompt, then dies of SIGILL on the first prompt long enough to
reach the batched matrix kernels. A signal cannot be caught in the process it kills, so
the check evaluates a multi-token prompt in a child process and turns its death into one
line naming the cause and the fix. The verdict is remembered per installed library and
CPU, so the check costs a few seconds once, not on every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from .config import cache_home
from .errors import BackendUnavailable

log = logging.getLogger("summarizer.local")
progress = logging.getLogger("summarizer.progress")

# The reinstall that gives a library built for any x86-64 CPU with AVX2, whatever the CPU
# advertises; --no-cache-dir so that a wheel pip built natively earlier cannot win.
PORTABLE_REINSTALL = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" pip install --force-reinstall '
    "--no-cache-dir --no-deps llama-cpp-python=={version}"
)
CHECK_TIMEOUT_SECONDS = 300.0

# Run in the child: load the model and read a prompt of many tokens in one batch.
_CHILD = "import sys; from summarizer.local import read_test_prompt; read_test_prompt(sys.argv[1])"


def child_command(model: Path) -> list[str]:
    """The child process that loads the model and reads the test prompt."""
    return [sys.executable, "-c", _CHILD, str(model)]


class CheckRecord(BaseModel):
    """What the check found for one installed build on one CPU."""

    ok: bool
    detail: str
    llama_cpp_python: str
    checked: dt.datetime


def installed_version() -> str:
    """The installed llama-cpp-python version, read without importing it."""
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def reinstall_command() -> str:
    """The command that replaces the installed library with the portable build."""
    return PORTABLE_REINSTALL.format(version=installed_version())


def build_identity() -> str:
    """A key for this installed library on this CPU: a rebuild or another machine changes it."""
    digest = hashlib.sha256(installed_version().encode())
    for library in _library_files():
        status = library.stat()
        digest.update(f"{library.name}:{status.st_size}:{status.st_mtime_ns}".encode())
    digest.update(_cpu_description().encode())
    return digest.hexdigest()[:24]


def ensure_library_runs(model: Path) -> None:
    """Raise BackendUnavailable, naming the fix, if the library cannot run a prompt here."""
    record_path = cache_home() / "cpu-check" / f"{build_identity()}.json"
    try:
        record = CheckRecord.model_validate_json(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = check_library(model)
        _remember(record_path, record)
    if not record.ok:
        raise BackendUnavailable(record.detail)


def check_library(model: Path) -> CheckRecord:
    """Read a multi-token prompt with the model in a child process and judge how it ended."""
    progress.info("checking that the llama.cpp library runs on this CPU (once per install)")
    try:
        done = subprocess.run(
            child_command(model),
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackendUnavailable(
            f"the llama.cpp library did not finish a test prompt in {CHECK_TIMEOUT_SECONDS:g}s"
        ) from None
    return CheckRecord(
        ok=done.returncode == 0,
        detail=_verdict(done.returncode, done.stderr),
        llama_cpp_python=installed_version(),
        checked=dt.datetime.now(dt.UTC),
    )


def _verdict(returncode: int, stderr: str) -> str:
    if returncode == 0:
        return "the llama.cpp library read a test prompt"
    if returncode == -signal.SIGILL:
        return (
            "the installed llama.cpp library dies with 'Illegal instruction' on this CPU: it "
            "was compiled for instructions this machine advertises but cannot run (a native "
            f"build). Reinstall the portable build: {reinstall_command()}"
        )
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return (
            f"the installed llama.cpp library crashed ({name}) reading a test prompt; "
            f"reinstall it: {reinstall_command()}"
        )
    lines = [line for line in stderr.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else f"exit code {returncode}"
    return f"the llama.cpp library could not read a test prompt: {last}"


def _remember(path: Path, record: CheckRecord) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(record.model_dump_json(), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        # Not remembering only costs the check again next time.
        log.info("could not remember the llama.cpp check in %s: %s", path, error)


def _library_files() -> list[Path]:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent / "lib"
    return sorted(path for path in folder.glob("*.so*") if path.is_file())


def _cpu_description() -> str:
    """The CPU's model name and flags (Linux), else what the platform module knows."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return f"{platform.machine()} {platform.processor()}"
    wanted = ("model name", "flags", "Features", "CPU implementer", "CPU part")
    seen: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(":")
        key = key.strip()
        if key in wanted and key not in seen:
            seen[key] = value.strip()
    return json.dumps(seen, sort_keys=True)
