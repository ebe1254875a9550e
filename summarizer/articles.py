"""The input article, and reading one from a file or standard input."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from .errors import InputError
from .schema import ArticleInfo

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
MAX_ARTICLE_BYTES = 5 * 1024 * 1024


class Article(BaseModel):
    """A news article to summarise: its text and whatever metadata is known."""

    text: str = Field(description="The article's body text.")
    title: str | None = None
    url: str | None = None
    source: str | None = Field(default=None, description="Publication or site name.")
    published: dt.date | None = Field(
        default=None, description="Publication date; resolves relative dates such as `Tuesday`."
    )

    @field_validator("text")
    @classmethod
    def _has_text(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("the article has no text")
        return text

    @property
    def info(self) -> ArticleInfo:
        """The article as carried into the summary's envelope."""
        return ArticleInfo(
            title=self.title,
            url=self.url,
            source=self.source,
            published=self.published,
            text=self.text,
        )

    @property
    def text_hash(self) -> str:
        """SHA-256 of the text, first 16 hex digits."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


def content_hash(text: str) -> str:
    """SHA-256 of the text with case and whitespace normalised: equal for syndicated copies."""
    normal = " ".join(text.casefold().split())
    return hashlib.sha256(normal.encode()).hexdigest()


def as_article(text_or_article: str | Article) -> Article:
    """Accept either plain text or an Article; reject empty text with an InputError."""
    if isinstance(text_or_article, Article):
        return text_or_article
    if not text_or_article.strip():
        raise InputError("the article is empty")
    return Article(text=text_or_article)


def decode(data: bytes, origin: str) -> str:
    """Decode article bytes as UTF-8, refusing binary data."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{origin}: looks like a binary file, not an article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{origin}: not valid UTF-8 text (byte {error.start}); convert it to UTF-8"
        ) from None


def read_file(path: Path) -> Article:
    """Read an article from a text, Markdown or HTML file."""
    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a folder; pass the files in it")
        if not path.is_file():  # a device or a pipe (/dev/zero) may never end
            raise InputError(f"{path}: not a regular file")
        with path.open("rb") as file:
            data = file.read(MAX_ARTICLE_BYTES + 1)
        if len(data) > MAX_ARTICLE_BYTES:
            raise InputError(f"{path}: larger than {MAX_ARTICLE_BYTES // 1024 // 1024} MB")
    except OSError as error:  # unreadable, a name too long, a dangling link
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    text = decode(data, str(path))
    if path.suffix.lower() in HTML_SUFFIXES:
        from .extract import article_from_html

        return article_from_html(text, origin=str(path))
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    article = _with_front_matter(text, str(path))
    if article.title is None:
        article.title = _first_line_title(article.text, path)
    return article


def read_stdin() -> Article:
    """Read an article from standard input."""
    data = sys.stdin.buffer.read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        raise InputError(f"stdin: larger than {MAX_ARTICLE_BYTES // 1024 // 1024} MB")
    return _with_front_matter(decode(data, "stdin"), "stdin")


def _with_front_matter(text: str, origin: str) -> Article:
    """The article, with the title, URL, site and date its YAML front matter gives.

    A saved article often carries its metadata in a `---` block above the text; without it,
    the model sees neither the headline nor the date that "on Tuesday" is relative to.
    """
    if not text.strip():
        raise InputError(f"{origin}: no article text was given")
    # Front matter opens the file. Most articles have none, and python-frontmatter with
    # PyYAML takes ~30 ms to import: only a text that could have it pays for that.
    if not text.startswith("---"):
        return Article(text=text)
    from .front_matter import front_matter_fields

    fields = front_matter_fields(text, origin)
    if fields is None:
        # Not front matter: an article that opens with a `---` rule keeps all its text.
        return Article(text=text)
    if not fields["text"].strip():
        raise InputError(f"{origin}: no article text was given")
    try:
        return Article(**fields)
    except ValidationError as error:
        detail = error.errors()[0]
        name = detail["loc"][0] if detail["loc"] else "front matter"
        raise InputError(f"{origin}: front matter {name!r}: {detail['msg']}") from None


def _first_line_title(text: str, path: Path) -> str:
    """A Markdown heading on the first line is the title; otherwise the file name is."""
    first = text.lstrip().splitlines()[0]
    if first.startswith("# "):
        return first[2:].strip()
    return path.stem.replace("-", " ").replace("_", " ")
