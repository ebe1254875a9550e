"""The nightly digest: new articles summarised, grouped and emailed exactly once.

>>> from summarizer import summarize_many
>>> from summarizer.digest import build_digest, build_email, send_email, SmtpSettings
>>> digest = build_digest(r for r in summarize_many(articles) if not isinstance(r, Exception))
>>> mail = build_email(digest, sender="d@example.org", recipients=["team@example.org"])
>>> send_email(mail, SmtpSettings(host="smtp.example.org", username="d@example.org"))

`run_digest(load_config(path))` is the whole job, as `summarizer digest` runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports

if TYPE_CHECKING:
    from .build import Digest, Failure, Story, StoryGroup, build_digest, group_stories
    from .config import DigestConfig, SmtpSettings, load_config, parse_config
    from .email import RenderedEmail, build_email
    from .run import RunReport, run_digest
    from .send import SendError, send_email, send_message

# Imported on first use (PEP 562): `summarizer --help` imports digest.cli, and with it this
# package, so eager imports here cost ~0.4 s of start-up (benchmarks/startup.py).
_LAZY = {
    **dict.fromkeys(
        ["Digest", "Failure", "Story", "StoryGroup", "build_digest", "group_stories"], "build"
    ),
    **dict.fromkeys(["DigestConfig", "SmtpSettings", "load_config", "parse_config"], "config"),
    **dict.fromkeys(["RenderedEmail", "build_email"], "email"),
    **dict.fromkeys(["RunReport", "run_digest"], "run"),
    **dict.fromkeys(["SendError", "send_email", "send_message"], "send"),
}


__getattr__, __dir__ = exports(__name__, _LAZY)


__all__ = [
    "Digest",
    "DigestConfig",
    "Failure",
    "RenderedEmail",
    "RunReport",
    "SendError",
    "SmtpSettings",
    "Story",
    "StoryGroup",
    "build_digest",
    "build_email",
    "group_stories",
    "load_config",
    "parse_config",
    "run_digest",
    "send_email",
    "send_message",
]
