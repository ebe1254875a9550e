"""Property-based fuzzing of the input readers: whatever the bytes, a value or one InputError.

Each reader is given generated inputs (random bytes, front matter of every YAML kind, URLs,
addresses, URL lists, settings and digest configs, feed dates) and must return normally or
raise the one error class of its kind, whose message is one line. Bounded so that the whole
file runs in seconds: a fixed number of examples, a deadline per example, no example
database written into the work tree.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from summarizer.articles import _with_front_matter, decode, read_file
from summarizer.config import Settings, load_settings
from summarizer.digest.config import parse_config
from summarizer.digest.sources import _entry_date, canonical_url
from summarizer.errors import ConfigError, InputError
from summarizer.fetch import FetchError, check_url
from summarizer.inputs import expand
from summarizer.urls import AddressRefused, has_scheme, is_http_url, is_public_address
from summarizer.urls import public_addresses as checked_addresses

BOUNDED = settings(
    max_examples=150,
    deadline=2000,  # milliseconds per example: generous, the machine is shared
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

FRONT_MATTER_NAMES = [
    "title", "headline", "url", "link", "source", "site", "publication", "publisher",
    "published", "date", "tags", "author",
]  # fmt: skip

# Text shaped like dates, real and impossible ("2025-13-45"), and other scalars YAML types.
date_like = st.builds(
    lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}",
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", "T10:00:00Z", " 10:00", "T25:61:00", "x"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    date_like,
    st.dates(),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def one_line(error: Exception) -> None:
    assert "\n" not in str(error) and str(error)


@BOUNDED
@given(
    st.dictionaries(st.sampled_from(FRONT_MATTER_NAMES) | st.text(max_size=10), yaml_values),
    st.text(max_size=200),
    st.sampled_from(["", "!!timestamp ", "!!int ", "!!float ", "!!binary ", "[", "{", ": :"]),
)
@example({"published": "2025-13-45"}, "The council met on Tuesday.", "")
@example({"title": ["a", "b"]}, "Body.", "")
def test_front_matter_gives_an_article_or_one_input_error(fields, body, noise):
    block = yaml.safe_dump(fields, allow_unicode=True, default_flow_style=False)
    if noise and fields:  # spoil the first value with a tag or stray syntax
        key, _, rest = block.partition(":")
        block = f"{key}: {noise}{rest.strip()}\n"
    text = f"---\n{block}---\n{body}"
    try:
        article = _with_front_matter(text, "fuzz.md")
    except InputError as error:
        one_line(error)
    else:
        assert article.text.strip()
        assert article.published is None or isinstance(article.published, dt.date)
        for value in (article.title, article.url, article.source):
            assert value is None or isinstance(value, str)


@BOUNDED
@given(st.binary(max_size=2000), st.sampled_from([".txt", ".md", ".html", ".htm"]))
def test_any_file_gives_an_article_or_one_input_error(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(data)
    try:
        article = read_file(path)
    except InputError as error:
        one_line(error)
    else:
        assert article.text.strip()


@BOUNDED
@given(st.binary(max_size=2000))
def test_any_stdin_gives_text_or_one_input_error(data):
    try:
        _with_front_matter(decode(data, "stdin"), "stdin")
    except InputError as error:
        one_line(error)


url_parts = st.sampled_from(
    ["http://", "https://", "HTTP://", "ftp://", "file://", "javascript:", "//", "", "http:"]
)
hosts = st.one_of(
    st.sampled_from(["example.org", "[::1]", "[::1", "127.0.0.1", "a..b", "", "xn--zz", ":80"]),
    st.text(max_size=20),
)


@BOUNDED
@given(url_parts, hosts, st.text(max_size=20), st.integers(-5, 99999) | st.none())
@example("http://", "[::1", "/story", None)
@example("http://", "example.org", "/", 99999)
def test_url_rules_never_raise_and_check_url_raises_only_fetch_errors(scheme, host, path, port):
    url = f"{scheme}{host}{'' if port is None else f':{port}'}{path}"
    assert isinstance(has_scheme(url), bool)
    assert isinstance(is_http_url(url), bool)
    try:
        assert check_url(url) == url and is_http_url(url)
    except FetchError as error:
        one_line(error)
        assert not is_http_url(url)


@BOUNDED
@given(url_parts, hosts, st.text(max_size=30))
@example("http://", "[::1", "/x?utm_source=a&b=1")
def test_feed_links_always_have_a_canonical_form(scheme, host, rest):
    assert isinstance(canonical_url(f"{scheme}{host}{rest}"), str)


@BOUNDED
@given(st.lists(st.ip_addresses().map(str) | st.text(max_size=12), min_size=0, max_size=3))
def test_address_checks_refuse_in_one_line(answers):
    def fake_resolver(host: str, port: int) -> list[str]:
        return answers

    try:
        addresses = checked_addresses("fuzz.example", 80, fake_resolver)
    except AddressRefused as error:
        one_line(error)
    else:
        assert addresses == answers and all(is_public_address(a) for a in addresses)


@BOUNDED
@given(st.ip_addresses())
def test_every_address_is_public_or_not(address):
    public = is_public_address(address)
    if public:
        assert not (address.is_private or address.is_loopback or address.is_multicast)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        assert public is is_public_address(address.ipv4_mapped)


@BOUNDED
@given(st.lists(st.text(max_size=40), max_size=6), st.sampled_from([".urls", ".txt", ".list"]))
def test_url_lists_expand_without_raising(tmp_path_factory, lines, suffix):
    listing = tmp_path_factory.mktemp("fuzz") / f"reading{suffix}"
    try:
        listing.write_text("\n".join(lines), encoding="utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be written as UTF-8
        return
    sources = expand([str(listing)], Settings())
    assert all(source.name for source in sources)


settings_values = st.one_of(scalars, st.lists(scalars, max_size=2))


@BOUNDED
@given(st.dictionaries(st.sampled_from(sorted(Settings.model_fields)), settings_values, max_size=4))
def test_settings_give_settings_or_one_config_error(overrides):
    try:
        load_settings(**overrides)
    except ConfigError as error:
        one_line(error)


digest_values = st.one_of(
    scalars,
    st.lists(st.dictionaries(st.sampled_from(["type", "url", "path", "urls", "name"]), scalars)),
    st.dictionaries(
        st.sampled_from(
            ["max_articles", "run_seconds", "from", "to", "host", "port", "concurrency"]
        ),
        settings_values,
    ),
)


@BOUNDED
@given(
    st.dictionaries(
        st.sampled_from(
            ["state", "sources", "email", "smtp", "model", "limits", "allow_private_addresses"]
        ),
        digest_values,
    )
)
def test_digest_configs_give_a_config_or_one_config_error(tmp_path_factory, data):
    try:
        parse_config(data, base=Path("/tmp"))
    except ConfigError as error:
        one_line(error)


@BOUNDED
@given(st.none() | st.tuples(st.integers(-5, 20000), st.integers(-5, 20), st.integers(-5, 40)))
def test_feed_entry_dates_are_a_date_or_none(stamp):
    value = _entry_date(stamp)
    assert value is None or isinstance(value, dt.date)
