"""Constants and small helpers shared by the RAG tests (the adapter factory `make` is in tests/conftest.py)."""

from __future__ import annotations

from qwen_core.emulator import Emulator, RecordedRequest

NATIVE_EMBEDDING_PATH = "/api/v1/services/embeddings/text-embedding/text-embedding"
COMPAT_EMBEDDING_PATH = "/compatible-mode/v1/embeddings"
NATIVE_RERANK_PATH = "/api/v1/services/rerank/text-rerank/text-rerank"
COMPAT_RERANK_PATH = "/compatible-api/v1/reranks"
EMBEDDING_PATHS = {"dashscope": NATIVE_EMBEDDING_PATH, "compatible": COMPAT_EMBEDDING_PATH}
RERANK_PATHS = {"dashscope": NATIVE_RERANK_PATH, "compatible": COMPAT_RERANK_PATH}


def requests_to(emu: Emulator, path: str) -> list[RecordedRequest]:
    """The requests ``emu`` received on ``path``, in order."""
    return [r for r in emu.requests if r.path == path]
