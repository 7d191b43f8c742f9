"""A local tokenizer hook: ``Settings.tokenizer = qwen_tokenizer`` counts Qwen tokens offline."""

from __future__ import annotations


def qwen_tokenizer(text: str) -> list[int]:
    """Token ids of ``text`` with Qwen's BPE vocabulary (offline; the vocabulary loads once, on first use).

    LlamaIndex only needs ``len(tokenizer(text))``, so this works as ``Settings.tokenizer``::

        from llama_index.core import Settings
        from llama_index_qwen import qwen_tokenizer

        Settings.tokenizer = qwen_tokenizer
    """
    from qwen_core.tokenizer import encode

    return encode(text)
