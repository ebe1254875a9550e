"""YAML front matter read into Article fields, every malformed value refused in one line.

YAML turns `2025-13-45` into a date while it parses, and an impossible one fails there
with no word of which field held it; so dates are kept as text here and checked by code,
as every other value is: text fields must be text, not lists or mappings.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import frontmatter
import yaml

from .errors import InputError

# Front matter names for each Article field, as Jekyll, Hugo and web clippers (Obsidian's)
# write them; the first one present wins.
_FIELDS = {
    "title": ("title", "headline"),
    "url": ("url", "link", "source"),
    "source": ("site", "publication", "publisher"),
    "published": ("published", "date"),
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Tt ].*)?")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _DatesAsText(yaml.SafeLoader):
    """PyYAML's safe loader, leaving unquoted dates as the text they were written as."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def front_matter_fields(text: str, origin: str) -> dict[str, Any] | None:
    """The Article fields (text included) a text's front matter gives; None if it has none.

    Raises:
        InputError: The front matter is not valid YAML, or a field holds a value of the
            wrong kind (a list for a title, an impossible date).

    """
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        return None
    try:
        # Stripped as python-frontmatter's own parse does: the text is the model's input.
        block, content = handler.split(text.strip())
    except ValueError:
        return None
    try:
        metadata = yaml.load(block, Loader=_DatesAsText)
    except RecursionError:
        raise InputError(
            f"{origin}: the front matter is not valid YAML (nested too deeply)"
        ) from None
    except Exception as error:
        # Besides YAMLError, explicit tags (`!!int x`, `!!timestamp 2025-13-45`, `!!timestamp
        # null`) fail inside PyYAML's constructors with ValueError, TypeError, AttributeError.
        problem = (str(error).splitlines() or [type(error).__name__])[0]
        raise InputError(f"{origin}: the front matter is not valid YAML ({problem})") from None
    if not isinstance(metadata, dict) or not metadata:
        return None
    fields: dict[str, Any] = {"text": content.strip()}
    for field, names in _FIELDS.items():
        name = next((n for n in names if _given(metadata.get(n))), None)
        if name is None:
            continue
        value = metadata[name]
        if field == "published":
            fields[field] = _date(value, name, origin)
            continue
        written = _text(value, name, origin)
        if field == "url" and "://" not in written:
            fields.setdefault("source", written)  # `source: Reuters`, not a link
        else:
            fields[field] = written
    return fields


def _given(value: object) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _text(value: object, name: str, origin: str) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    raise InputError(f"{origin}: front matter {name!r} must be text, not {_kind(value)}")


def _date(value: object, name: str, origin: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        shown = " ".join(value.split())[:60] if isinstance(value, str) else _kind(value)
        raise InputError(f"{origin}: front matter {name!r}: {shown} is not a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as error:
        raise InputError(
            f"{origin}: front matter {name!r}: {value.strip()} is not a date ({error})"
        ) from None


def _kind(value: object) -> str:
    kinds = {list: "a list", dict: "a mapping", bool: "true or false", int: "a number"}
    return next((kind for t, kind in kinds.items() if isinstance(value, t)), type(value).__name__)
