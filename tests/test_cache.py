import json

import pytest

from summarizer.cache import ResponseCache, request_key
from summarizer.errors import CacheMiss

REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "hi"}],
    "temperature": 0.0,
    "response_format": {"type": "json_schema", "json_schema": {"schema": {"a": 1}}},
}
RESPONSE = {"id": "x", "choices": []}


def test_key_changes_with_model_messages_schema_and_sampling_not_transport():
    key = request_key(REQUEST)
    assert request_key({**REQUEST, "model": "n"}) != key
    assert request_key({**REQUEST, "messages": [{"role": "user", "content": "ho"}]}) != key
    assert request_key({**REQUEST, "temperature": 0.5}) != key
    schema = {"type": "json_schema", "json_schema": {"schema": {"a": 2}}}
    assert request_key({**REQUEST, "response_format": schema}) != key
    assert request_key({**REQUEST, "timeout": 30}) == key
    assert request_key(dict(reversed(list(REQUEST.items())))) == key


def test_auto_reads_through_and_stores_readable_json(tmp_path):
    cache = ResponseCache("auto", tmp_path)
    key = request_key(REQUEST)
    assert cache.lookup(key) is None
    cache.store(key, REQUEST, RESPONSE, {"model": "m"})
    assert cache.lookup(key) == RESPONSE
    entry = json.loads((tmp_path / f"{key}.json").read_text())
    assert entry["request"]["messages"][0]["content"] == "hi"
    assert entry["response"] == RESPONSE
    assert cache.stats().entries == 1
    assert cache.clear() == 1 and cache.stats().entries == 0


def test_replay_miss_names_the_key_and_how_to_record(tmp_path):
    with pytest.raises(CacheMiss) as caught:
        ResponseCache("replay", tmp_path).lookup("abc123")
    assert "abc123" in str(caught.value) and "record" in str(caught.value)


def test_replay_never_writes_and_record_never_reads(tmp_path):
    key = request_key(REQUEST)
    ResponseCache("replay", tmp_path).store(key, REQUEST, RESPONSE, {})
    assert not list(tmp_path.iterdir())
    recorder = ResponseCache("record", tmp_path)
    recorder.store(key, REQUEST, RESPONSE, {})
    assert recorder.lookup(key) is None
    assert ResponseCache("replay", tmp_path).lookup(key) == RESPONSE


def test_off_neither_reads_nor_writes(tmp_path):
    cache = ResponseCache("off", tmp_path)
    cache.store("k", REQUEST, RESPONSE, {})
    assert cache.lookup("k") is None and not list(tmp_path.iterdir())


def test_damaged_entry_is_a_miss_in_auto(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    assert ResponseCache("auto", tmp_path).lookup("bad") is None
