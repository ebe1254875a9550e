"""The llama.cpp library on this CPU: what the install built, and the check that catches a crash.

A native build on a CPU that advertises instructions it cannot run (AMX on some Intel Xeon
VMs) dies of SIGILL on the first multi-token prompt. The child processes that die here
are scripted fakes of such a library; the e2e tests run the real check on this machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer import BackendUnavailable, cpu_check
from summarizer.cli import cli
from summarizer.local import compiled_features, embedded_model_path

from .conftest import SEED

# Instructions a portable build must not contain: the VM that advertised AMX and AVX-512
# could not run them.
_FORBIDDEN_FEATURES = ("AVX512", "AMX")


def _fake_child_dying_of(signal_number: int):
    """A scripted fake of the check's child: it dies of a signal, as a crashing library does."""
    script = f"import os; os.kill(os.getpid(), {int(signal_number)})"
    return lambda model: [sys.executable, "-c", script]


@pytest.fixture
def check_records(tmp_path, monkeypatch) -> Path:
    """Remembered verdicts go to a temporary folder, never the real user cache."""
    monkeypatch.setattr(cpu_check, "cache_home", lambda: tmp_path / "cache")
    return tmp_path / "cache" / "cpu-check"


def test_the_installed_library_is_the_portable_build():
    features = compiled_features()
    assert "AVX2" in features, features
    too_new = sorted(f for f in features if f.startswith(_FORBIDDEN_FEATURES))
    assert not too_new, (
        f"llama.cpp was built for {too_new}, which some CPUs advertise but cannot run; "
        f"install the portable build: {cpu_check.reinstall_command()}"
    )


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) is not installed")
def test_the_installed_cpu_kernels_hold_no_avx512_or_amx_instruction():
    libraries = [p for p in cpu_check._library_files() if p.name.startswith("libggml-cpu")]
    assert libraries, "llama-cpp-python's libggml-cpu is not installed"
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(libraries[0])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "%ymm" in listing  # AVX2 code is there: the disassembly is real
    for register_or_instruction in ("%zmm", "%tmm", "tilezero", "tileloadd"):
        assert register_or_instruction not in listing


def test_a_library_dying_of_sigill_becomes_one_line_naming_the_fix(check_records, monkeypatch):
    monkeypatch.setattr(cpu_check, "child_command", _fake_child_dying_of(signal.SIGILL))
    record = cpu_check.check_library(Path("model.gguf"))
    assert not record.ok
    assert "Illegal instruction" in record.detail
    assert "-DGGML_NATIVE=OFF" in record.detail and "--no-cache-dir" in record.detail
    assert "\n" not in record.detail


def test_another_crash_and_a_python_error_are_named(check_records, monkeypatch):
    monkeypatch.setattr(cpu_check, "child_command", _fake_child_dying_of(signal.SIGSEGV))
    assert "SIGSEGV" in cpu_check.check_library(Path("model.gguf")).detail
    failing = [sys.executable, "-c", "raise SystemExit('cannot open the model file')"]
    monkeypatch.setattr(cpu_check, "child_command", lambda model: failing)
    record = cpu_check.check_library(Path("model.gguf"))
    assert not record.ok and record.detail.endswith("cannot open the model file")


def test_the_verdict_is_remembered_per_installed_build(check_records, tmp_path, monkeypatch):
    library = tmp_path / "libggml-cpu.so"
    library.write_bytes(b"build one")
    monkeypatch.setattr(cpu_check, "_library_files", lambda: [library])
    calls = []

    def counting_check(model: Path) -> cpu_check.CheckRecord:
        calls.append(model)
        return cpu_check.CheckRecord(
            ok=False, detail="dies here", llama_cpp_python="0", checked="2026-12-02T00:00:00Z"
        )

    monkeypatch.setattr(cpu_check, "check_library", counting_check)
    for _ in range(2):
        with pytest.raises(BackendUnavailable, match="dies here"):
            cpu_check.ensure_library_runs(Path("model.gguf"))
    assert len(calls) == 1  # the second run read the remembered verdict
    library.write_bytes(b"build two, reinstalled")  # a reinstall changes the identity
    os.utime(library, ns=(1, 1))
    with pytest.raises(BackendUnavailable):
        cpu_check.ensure_library_runs(Path("model.gguf"))
    assert len(calls) == 2


def test_the_cli_reports_a_crashing_library_in_one_line(check_records, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setattr(cpu_check, "child_command", _fake_child_dying_of(signal.SIGILL))
    result = CliRunner().invoke(cli, ["summarize", str(SEED), "--cache", "off"])
    assert result.exit_code == 1
    assert "Illegal instruction" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.e2e
def test_the_installed_library_reads_a_multi_token_prompt_on_this_cpu(check_records):
    record = cpu_check.check_library(embedded_model_path())
    assert record.ok, record.detail
