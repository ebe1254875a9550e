"""Model calls: the only package that imports openai and instructor.

- `transport`: the HTTP transport to OpenAI-compatible endpoints and its error classes;
- `profiles`: what each kind of backend accepts, and the request shaped for it;
- `strict`: the answer schema as OpenAI's strict structured outputs accept it;
- `context`: asking a server how large its model's context window is;
- `providers`: which backend, profile and context window answer a configured model;
- `client`: structured answers through Instructor, the response cache and both retry layers;
- `instructor_shim`: a version-pinned shim over Instructor's internals that batches install.
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
