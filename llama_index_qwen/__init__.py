"""LlamaIndex integration for Alibaba Qwen models (DashScope / Model Studio), on both wire protocols.

``Qwen`` is imported eagerly; everything else loads on first attribute access, so importing this package
stays cheap and never imports HTTP clients or SDKs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from llama_index_qwen.llms import Qwen

if TYPE_CHECKING:
    from llama_index_qwen._tokenizer import qwen_tokenizer
    from llama_index_qwen.embeddings import QwenEmbedding
    from llama_index_qwen.postprocessor import QwenRerank

#: Lazily imported names -> the module that defines them.
_LAZY: dict[str, str] = {
    "QwenEmbedding": "llama_index_qwen.embeddings",
    "QwenRerank": "llama_index_qwen.postprocessor",
    "qwen_tokenizer": "llama_index_qwen._tokenizer",
}

__all__ = ["Qwen", "QwenEmbedding", "QwenRerank", "qwen_tokenizer"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
