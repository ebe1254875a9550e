"""The one Jinja environment that renders the prompt templates in prompts/."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import jinja2

_PACKAGED = Path(__file__).parent / "prompts"  # where a built wheel carries them
_SOURCE = Path(__file__).parent.parent / "prompts"  # a source checkout or editable install


def template_dir() -> Path:
    """The directory holding the prompt templates."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(template: str, /, **variables: object) -> str:
    """Render a prompt template with strict variables.

    Values are inserted as data: an article containing `{{ ... }}` is never compiled.
    """
    return _environment().get_template(template).render(**variables).strip()


@functools.cache
def templates_hash() -> str:
    """SHA-256 over every prompt template, first 16 hex digits: the prompt version."""
    digest = hashlib.sha256()
    for path in sorted(template_dir().glob("*.j2")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
