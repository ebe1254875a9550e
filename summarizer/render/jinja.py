"""The one Jinja environment of the rendered views (HTML summary, timeline pictures).

Autoescaped for every template, HTML and SVG alike: article and model text reaches markup
only escaped.
"""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def template(name: str) -> Template:
    """A template from summarizer/render/templates/."""
    return _environment().get_template(name)
