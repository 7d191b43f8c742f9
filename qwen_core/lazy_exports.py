"""Package attributes imported on first access (PEP 562): importing a package loads only what it needs.

A package's ``__init__`` declares which public names live in which module::

    __getattr__, __dir__ = lazy_exports(__name__, {"QwenEmbeddings": "langchain_qwen.embeddings"})

``from package import QwenEmbeddings`` then imports ``langchain_qwen.embeddings`` on that first access, keeps the
value in the package's namespace (later accesses are plain lookups), and ``dir(package)`` lists the lazy names.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, lazy: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``package``'s module ``__getattr__`` and ``__dir__`` for ``lazy`` (public name -> module defining it)."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = lazy.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(importlib.import_module(module), name)
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(lazy))

    return __getattr__, __dir__
