"""qwen_core imports no framework; adapters (chat and RAG modules) import only their own framework; HTTP clients,
SDKs and tokenizers load lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest


def modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_core_imports_no_framework() -> None:
    loaded = modules_after(
        "import qwen_core, qwen_core.client, qwen_core.settings, qwen_core.catalogue, qwen_core.types, "
        "qwen_core.sse, qwen_core.streaming, qwen_core.rules, qwen_core.retry, qwen_core.errors, "
        "qwen_core.protocols.native, qwen_core.protocols.compatible, qwen_core.transport.sync, "
        "qwen_core.transport.aio, qwen_core.emulator, qwen_core.tokenizer"
    )
    assert not loaded & {"langchain_core", "langchain", "llama_index", "langchain_qwen", "llama_index_qwen"}


def test_core_client_defers_http_and_sdks() -> None:
    loaded = modules_after("from qwen_core.client import QwenClient")
    assert not loaded & {"httpx", "urllib3", "aiohttp", "openai", "dashscope", "tiktoken"}


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("from langchain_qwen import ChatQwen", {"llama_index", "aiohttp", "openai", "dashscope", "tiktoken"}),
        ("from llama_index_qwen import Qwen", {"langchain_core", "langchain", "aiohttp", "openai", "dashscope"}),
    ],
)
def test_adapters_import_only_their_framework(statement: str, forbidden: set[str]) -> None:
    assert not modules_after(statement) & forbidden


#: What no RAG module may load at import.
HEAVY = {"httpx", "aiohttp", "openai", "dashscope", "tiktoken"}


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import qwen_core.embedding, qwen_core.rerank", HEAVY | {"langchain_core", "llama_index", "pydantic"}),
        ("import langchain_qwen.embeddings, langchain_qwen.rerank", HEAVY | {"llama_index", "llama_index_qwen"}),
        ("import llama_index_qwen.embeddings, llama_index_qwen.postprocessor",
         HEAVY | {"langchain_core", "langchain", "langchain_qwen"}),
    ],
)
def test_rag_modules_import_only_their_framework(statement: str, forbidden: set[str]) -> None:
    assert not modules_after(statement) & forbidden
