"""The digest as an email: Jinja HTML (autoescaped) and plain text, in one MIME message.

Article content never reaches markup or headers unescaped: the HTML environment escapes
every value, links are kept only for http(s) URLs, and header values (the subject, which
may quote a title) are reduced to one line before the message is built.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..errors import ConfigError
from ..render.html import highlighted_article_html
from ..urls import is_http_url
from .build import Digest

MAX_SUBJECT_CHARS = 200


@dataclass
class RenderedEmail:
    """A built message with its parts, ready to store and send."""

    message: EmailMessage
    subject: str
    message_id: str
    sender: str
    recipients: list[str]
    html: str
    text: str

    def as_bytes(self) -> bytes:
        """The message as sent over SMTP (CRLF line ends)."""
        return self.message.as_bytes(policy=SMTP)


def safe_href(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link; None for javascript:, data:, file: and the rest."""
    return url.strip() if url and is_http_url(url) else None


def one_line(text: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    """Collapse whitespace (CR and LF included) to single spaces and cap the length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@functools.cache
def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("summarizer.digest", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["href"] = safe_href
    # The same highlighted article as `--format html`: its colours are inline styles, so it
    # renders in mail clients that drop <style>.
    environment.globals["highlighted"] = highlighted_article_html
    return environment


def render_subject(template: str, digest: Digest) -> str:
    """Render the configured subject template (sandboxed) into one header-safe line."""
    environment = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        subject = environment.from_string(template).render(**_subject_vars(digest))
    except jinja2.TemplateError as error:
        raise ConfigError(f"email.subject: {error}") from None
    return one_line(subject)


def _subject_vars(digest: Digest) -> dict[str, object]:
    return {
        "date": digest.date.isoformat(),
        "count": digest.count,
        "articles": digest.articles,
        "title": digest.title,
        "top": digest.groups[0].headline if digest.groups else "",
        "failures": len(digest.failures),
    }


def render_html(digest: Digest, *, model: str | None = None) -> str:
    """The digest as an HTML document (every value escaped)."""
    return (
        _environment(True)
        .get_template("digest.html.j2")
        .render(digest=digest, model=model, generated=_generated())
    )


def render_text(digest: Digest, *, model: str | None = None) -> str:
    """The digest as plain text."""
    return (
        _environment(False)
        .get_template("digest.txt.j2")
        .render(digest=digest, model=model, generated=_generated())
    )


def build_email(
    digest: Digest,
    *,
    sender: str,
    recipients: list[str],
    subject_template: str = "{{ title }} {{ date }}",
    message_id: str | None = None,
) -> RenderedEmail:
    """Render a Digest into a multipart/alternative message (plain text + HTML).

    Raises:
        ConfigError: an address or the subject template is invalid.

    """
    from_address = _address(sender)
    to_addresses = [_address(recipient) for recipient in recipients]
    models = sorted({story.result.provenance.model for story in digest.stories})
    model = ", ".join(models) or None
    subject = render_subject(subject_template, digest)
    html = render_html(digest, model=model)
    text = render_text(digest, model=model)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = from_address
    message["To"] = to_addresses
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = message_id or make_msgid("digest", domain=from_address.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return RenderedEmail(
        message=message,
        subject=subject,
        message_id=str(message["Message-ID"]),
        sender=from_address.addr_spec,
        recipients=[address.addr_spec for address in to_addresses],
        html=html,
        text=text,
    )


def _address(value: str) -> Address:
    """One address (`Name <user@host>` or `user@host`); anything else is a ConfigError."""
    if re.search(r"[\r\n]", value):
        raise ConfigError(f"email address {value!r} spans lines")
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ConfigError(f"not one email address: {value!r}")
    name, addr = parsed[0]
    username, _, domain = addr.rpartition("@")
    try:
        return Address(display_name=name, username=username, domain=domain)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"invalid email address {value!r}: {error}") from None


def _generated() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
