"""The embedded-model backend: assembly, verification, grammar, backend choice."""

import hashlib
import json
import subprocess
import sys

import pytest

from summarizer import ArticleSummary, BackendUnavailable, ConfigError
from summarizer import local as local_module
from summarizer.config import load_settings
from summarizer.llm import ModelClient, OpenAICompatibleBackend, build_backend
from summarizer.local import LocalBackend, grammar_for


def schema_request(kind: str) -> dict:
    schema = ArticleSummary.model_json_schema()
    if kind == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "ArticleSummary", "schema": schema},
            }
        }
    return {"response_format": {"type": "json_object", "schema": schema}}


@pytest.mark.parametrize("kind", ["json_schema", "json_object"])
def test_the_schema_becomes_a_grammar_in_both_request_shapes(kind):
    # LlamaGrammar.from_json_schema raises on a schema it cannot convert, unlike
    # llama-cpp-python's response_format path, which silently drops the constraint.
    grammar = grammar_for(schema_request(kind))
    assert grammar is not None
    assert "summary" in grammar._grammar and "key_points" in grammar._grammar


def test_no_schema_means_no_grammar():
    assert grammar_for({"messages": []}) is None


def test_grammar_writes_keys_in_schema_order_not_alphabetically():
    rules = grammar_for(schema_request("json_schema"))._grammar
    root = next(line for line in rules.splitlines() if line.startswith("root ::="))
    assert root.index("summary") < root.index("key") < root.index("actors") < root.index("events")


def test_llama_server_gets_the_schema_inside_json_object(tmp_path):
    settings = load_settings(
        model="m", base_url="http://127.0.0.1:9/v1", response_format="json_object"
    )
    client = ModelClient(settings, OpenAICompatibleBackend(settings, "m"), None)  # type: ignore[arg-type]
    from summarizer.llm import CallLog

    prepared = client._prepare(schema_request("json_schema"), CallLog())
    assert prepared["response_format"]["type"] == "json_object"
    assert prepared["response_format"]["schema"]["title"] == "ArticleSummary"
    assert prepared["max_tokens"] == settings.max_output_tokens


def fake_parts(tmp_path, monkeypatch, chunks: list[bytes]) -> bytes:
    paths = []
    for number, chunk in enumerate(chunks, 1):
        path = tmp_path / f"part{number:02d}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    whole = b"".join(chunks)
    monkeypatch.setattr(local_module, "EMBEDDED_PARTS", len(chunks))
    monkeypatch.setattr(local_module, "EMBEDDED_BYTES", len(whole))
    monkeypatch.setattr(local_module, "_part_path", lambda n: paths[n - 1])
    monkeypatch.setattr(local_module, "cache_home", lambda: tmp_path / "cache")
    return whole


def test_parts_are_assembled_in_order_and_verified(tmp_path, monkeypatch):
    whole = fake_parts(tmp_path, monkeypatch, [b"GGUF", b"-middle-", b"end"])
    monkeypatch.setattr(local_module, "EMBEDDED_SHA256", hashlib.sha256(whole).hexdigest())
    path = local_module.embedded_model_path()
    assert path.read_bytes() == whole
    assert local_module.embedded_model_path() == path  # second call reuses the file


def test_a_checksum_mismatch_fails_clearly_and_leaves_nothing(tmp_path, monkeypatch):
    fake_parts(tmp_path, monkeypatch, [b"GGUF", b"tampered"])
    monkeypatch.setattr(local_module, "EMBEDDED_SHA256", "0" * 64)
    with pytest.raises(BackendUnavailable, match="SHA-256"):
        local_module.embedded_model_path()
    assert not any((tmp_path / "cache" / "models").iterdir())


def test_missing_part_names_the_install_command(monkeypatch):
    monkeypatch.setattr(local_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BackendUnavailable, match=r"summarizer\[local\]"):
        local_module._part_path(3)


def test_backend_choice_configured_model_wins_then_key_then_embedded(monkeypatch):
    monkeypatch.delenv("SUMMARIZER_MODEL")
    assert isinstance(build_backend(load_settings()), LocalBackend)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    chosen = build_backend(load_settings())
    assert isinstance(chosen, OpenAICompatibleBackend) and chosen.name == "openai"
    assert isinstance(build_backend(load_settings(model="local")), LocalBackend)


def test_other_gguf_by_path_and_missing_file(tmp_path):
    with pytest.raises(BackendUnavailable, match="no GGUF"):
        build_backend(load_settings(model=f"local:{tmp_path}/missing.gguf"))
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF")
    backend = build_backend(load_settings(model=f"local:{model}", threads=1, context_window=1024))
    assert backend.model == "local:tiny" and backend.context_window == 1024


def test_hosted_model_without_key_or_url_says_what_to_set(monkeypatch):
    with pytest.raises(BackendUnavailable, match="OPENAI_API_KEY"):
        build_backend(load_settings(model="gpt-4.1-mini"))
    monkeypatch.delenv("SUMMARIZER_MODEL")
    with pytest.raises(ConfigError, match="--model"):
        build_backend(load_settings(base_url="http://127.0.0.1:1/v1"))


def test_precedence_flag_over_env_over_file(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('model = "from-file"\nmax_reasks = 5\nconcurrency = 3\n')
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(config))
    monkeypatch.setenv("SUMMARIZER_MAX_REASKS", "4")
    monkeypatch.delenv("SUMMARIZER_MODEL")
    settings = load_settings(concurrency=None)
    assert (settings.model, settings.max_reasks, settings.concurrency) == ("from-file", 4, 3)
    assert load_settings(max_reasks=1).max_reasks == 1


def test_invalid_setting_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_CACHE", "sometimes")
    with pytest.raises(ConfigError, match="cache"):
        load_settings()


def test_settings_never_print_the_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    settings = load_settings()
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in json.dumps(
        settings.model_dump(mode="json")
    )


def test_loading_the_vocabulary_from_many_threads_keeps_stdout_and_stderr_and_is_quiet():
    # llama-cpp-python points fds 1 and 2 at /dev/null while it builds a model; unserialised,
    # the first articles of a batch counting tokens together left a process silent for good.
    # llama.cpp's warnings (a vocabulary-only load always warns about its context) stay out.
    script = """
import sys, threading
from summarizer.local import LocalBackend
from summarizer.config import load_settings
backend = LocalBackend(load_settings(model="local"))
threads = [threading.Thread(target=backend.count_tokens, args=("Putin spoke.",)) for _ in range(4)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print("stdout still open", flush=True)
print("stderr still open", file=sys.stderr, flush=True)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert "stdout still open" in done.stdout
    assert done.stderr == "stderr still open\n"
