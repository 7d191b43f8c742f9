"""The RAG modules import only their own framework and the core; no HTTP client, SDK or tokenizer at import."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = {"httpx", "aiohttp", "openai", "dashscope", "tiktoken"}


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in out.split()}


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import qwen_core.embedding, qwen_core.rerank", HEAVY | {"langchain_core", "llama_index", "pydantic"}),
        ("import langchain_qwen.embeddings, langchain_qwen.rerank", HEAVY | {"llama_index", "llama_index_qwen"}),
        ("import llama_index_qwen.embeddings, llama_index_qwen.postprocessor",
         HEAVY | {"langchain_core", "langchain", "langchain_qwen"}),
    ],
)
def test_import_isolation(statement: str, forbidden: set[str]) -> None:
    assert not _modules_after(statement) & forbidden
