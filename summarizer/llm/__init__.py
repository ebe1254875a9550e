"""Model calls: the only package that imports openai and instructor.

- `transport`: the HTTP transport to OpenAI-compatible endpoints and its error classes;
- `providers`: which backend answers a configured model;
- `client`: structured answers through Instructor, the response cache and both retry layers;
- `instructor_shim`: an opt-in shim over Instructor's internals, for throughput.
"""

from .client import Backend, CallLog, ModelClient
from .providers import DEFAULT_OPENAI_MODEL, build_backend
from .transport import OpenAICompatibleBackend

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "Backend",
    "CallLog",
    "ModelClient",
    "OpenAICompatibleBackend",
    "build_backend",
]
