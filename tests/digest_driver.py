"""Test-only driver: one `summarizer digest` run, killed or starved of disk at a chosen point.

    python tests/digest_driver.py CONFIG --kill-after STEP    # SIGKILL as soon as STEP returns
    python tests/digest_driver.py CONFIG --max-file-bytes N   # no file may grow past N bytes

The hooks live here, not in the package: they wrap the run's steps from outside, and the
run itself is the CLI's (`summarizer digest --config CONFIG`), error handling included.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import signal
from collections.abc import Callable
from typing import Any

# Each step of a run, in order, and where it is looked up when the run calls it.
STEPS = ("add_article", "record_summary", "add_digest", "claim_send", "send_message", "mark_sent")


def kill_after(step: str) -> None:
    """Make the process SIGKILL itself as soon as the first call of `step` returns."""
    import summarizer.digest.run as run
    from summarizer.digest.state import State

    owner: Any = run if step == "send_message" else State
    original: Callable[..., Any] = getattr(owner, step)

    @functools.wraps(original)
    def step_then_die(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, step, step_then_die)


def cap_file_size(limit: int) -> None:
    """A full disk, as far as this process can tell: writes past `limit` bytes fail (EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of dying
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def main() -> None:
    """Parse the arguments, install the hook, run the digest command."""
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("--kill-after", choices=STEPS)
    parser.add_argument("--max-file-bytes", type=int)
    options = parser.parse_args()
    if options.kill_after:
        kill_after(options.kill_after)
    if options.max_file_bytes:
        cap_file_size(options.max_file_bytes)
    from summarizer.cli import cli

    cli.main(["digest", "--config", options.config], prog_name="summarizer")


if __name__ == "__main__":
    main()
