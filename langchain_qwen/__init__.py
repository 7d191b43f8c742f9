"""LangChain integration for Alibaba's Qwen models (DashScope / Model Studio), on both wire protocols.

``ChatQwen`` is imported eagerly; the other classes load on first access, so ``from langchain_qwen import
ChatQwen`` stays cheap (no HTTP client or SDK is imported until the first call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# First, on purpose: langchain-core's chat model module is imported before its other modules (callbacks,
# messages, output parsers), in the order langchain-core itself loads them, not the order chat_models.py's imports
# would give, and as a plain submodule import (`from langchain_core.language_models import chat_models` goes
# through the package's lazy __getattr__ and measured slower). `benchmarks/run.sh --only import` measures it.
import langchain_core.language_models.chat_models

from langchain_qwen.chat_models import ChatQwen
from qwen_core.lazy_exports import lazy_exports

del langchain_core  # only the import's effect is wanted, not the name

if TYPE_CHECKING:
    from langchain_qwen.embeddings import QwenEmbeddings
    from langchain_qwen.rerank import QwenRerank

#: Public names owned by other modules, imported on first attribute access.
__getattr__, __dir__ = lazy_exports(
    __name__, {"QwenEmbeddings": "langchain_qwen.embeddings", "QwenRerank": "langchain_qwen.rerank"}
)

__all__ = ["ChatQwen", "QwenEmbeddings", "QwenRerank"]
