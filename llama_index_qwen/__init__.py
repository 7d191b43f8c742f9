"""LlamaIndex integration for Alibaba Qwen models (DashScope / Model Studio), on both wire protocols.

``Qwen`` is imported eagerly; everything else loads on first attribute access, so importing this package
stays cheap and never imports HTTP clients or SDKs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llama_index_qwen.llms import Qwen
from qwen_core.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from llama_index_qwen._tokenizer import qwen_tokenizer
    from llama_index_qwen.embeddings import QwenEmbedding
    from llama_index_qwen.postprocessor import QwenRerank

#: Lazily imported names -> the module that defines them.
__getattr__, __dir__ = lazy_exports(__name__, {
    "QwenEmbedding": "llama_index_qwen.embeddings",
    "QwenRerank": "llama_index_qwen.postprocessor",
    "qwen_tokenizer": "llama_index_qwen._tokenizer",
})

__all__ = ["Qwen", "QwenEmbedding", "QwenRerank", "qwen_tokenizer"]
