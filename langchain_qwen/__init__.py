"""LangChain integration for Alibaba's Qwen models (DashScope / Model Studio), on both wire protocols.

``ChatQwen`` is imported eagerly; the other classes load on first access, so ``from langchain_qwen import
ChatQwen`` stays cheap (no HTTP client or SDK is imported until the first call).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# First, on purpose: langchain-core loads faster when its chat model module comes before its other modules
# (callbacks, messages, output parsers), the order chat_models.py's imports would otherwise give. In fresh
# interpreters here, `from langchain_qwen import ChatQwen` took 150-200 ms (15-20%) longer without this line.
from langchain_core.language_models import chat_models as _lc_chat_models  # noqa: F401

from langchain_qwen.chat_models import ChatQwen

if TYPE_CHECKING:
    from langchain_qwen.embeddings import QwenEmbeddings
    from langchain_qwen.rerank import QwenRerank

#: Public names owned by other modules, imported on first attribute access.
_LAZY: dict[str, str] = {
    "QwenEmbeddings": "langchain_qwen.embeddings",
    "QwenRerank": "langchain_qwen.rerank",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'langchain_qwen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["ChatQwen", "QwenEmbeddings", "QwenRerank"]
