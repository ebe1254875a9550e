"""A package's public names imported on first use (PEP 562).

`summarizer --help` should not load pydantic, Jinja, SQLite or the pipeline: the packages
name where each public name lives and import it when it is first asked for.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(
    package: str, modules: Mapping[str, str], renamed: Mapping[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose name N lives in `.modules[N]`.

    `renamed` gives a name's own name in its module when the package exports it as another.
    """
    namespace = sys.modules[package].__dict__
    own_names = renamed or {}

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), own_names.get(name, name))
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *modules])

    return __getattr__, __dir__
