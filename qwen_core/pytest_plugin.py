"""pytest plugin: the offline emulator and ready-made Qwen objects as fixtures (registered via ``pytest11``).

Installed with ``qwen-integrations``, it is active in every pytest run; nothing here is imported until a test asks
for one of its fixtures (the emulator and the frameworks load lazily inside them), so the plugin costs nothing
for suites that do not use it.

Fixtures:
    qwen_emulator: an :class:`~qwen_core.emulator.Emulator` started for one test (stopped after it).
    qwen_emulator_session: one emulator for the whole session (call ``reset()`` yourself where needed).
    qwen_connection: ``{"api_key": ..., "base_url": ...}`` pointing at ``qwen_emulator``, to pass as ``**kwargs``.
    qwen_env: sets ``DASHSCOPE_API_KEY`` / ``DASHSCOPE_BASE_URL`` to ``qwen_emulator`` for the test (so code that
        builds its own objects from the environment runs offline); returns the emulator.
    qwen_client: a core :class:`~qwen_core.client.QwenClient` on ``qwen_emulator`` (closed after the test).
    chat_qwen, qwen_embeddings, qwen_rerank: LangChain ``ChatQwen``, ``QwenEmbeddings``, ``QwenRerank``.
    qwen_llm, qwen_embedding, qwen_node_rerank: LlamaIndex ``Qwen``, ``QwenEmbedding``, ``QwenRerank``.

Example:
    ```python
    from qwen_core.emulator import ScriptedReply

    def test_my_chain(chat_qwen, qwen_emulator):
        qwen_emulator.enqueue(ScriptedReply(text="Paris"))
        assert chat_qwen.invoke("Capital of France?").content == "Paris"
        assert qwen_emulator.requests.last.json["messages"][-1]["content"] == "Capital of France?"
    ```
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from qwen_core.client import QwenClient
    from qwen_core.emulator import Emulator

__all__ = [
    "EMULATOR_KEY",
    "chat_qwen",
    "qwen_client",
    "qwen_connection",
    "qwen_embedding",
    "qwen_embeddings",
    "qwen_emulator",
    "qwen_emulator_session",
    "qwen_env",
    "qwen_llm",
    "qwen_node_rerank",
    "qwen_rerank",
]

#: The key the fixtures' objects send (any non-empty key is accepted unless ``api_keys`` says otherwise).
EMULATOR_KEY = "sk-emulator"
_INSTALL_HINT = {"langchain": "qwen-integrations[langchain]", "llama-index": "qwen-integrations[llama-index]"}


def _framework_class(module: str, name: str, extra: str) -> Any:
    """``module.name``, or a test failure that says which extra to install."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as error:
        pytest.fail(f"the {name} fixture needs the {extra} extra: pip install '{_INSTALL_HINT[extra]}' ({error})",
                    pytrace=False)


def _started() -> Emulator:
    from qwen_core.emulator import Emulator

    return Emulator().start()


@pytest.fixture
def qwen_emulator() -> Iterator[Emulator]:
    """A fresh emulator on 127.0.0.1 (ephemeral port) for this test; stopped afterwards."""
    emulator = _started()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def qwen_emulator_session() -> Iterator[Emulator]:
    """One emulator for the whole session (faster for many tests; ``reset()`` clears its script and log)."""
    emulator = _started()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def qwen_connection(qwen_emulator: Emulator) -> dict[str, str]:
    """Keyword arguments that point any class of this package at ``qwen_emulator``."""
    return {"api_key": EMULATOR_KEY, "base_url": qwen_emulator.base_url}


@pytest.fixture
def qwen_env(qwen_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Point ``DASHSCOPE_API_KEY`` / ``DASHSCOPE_BASE_URL`` at ``qwen_emulator`` for this test."""
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", qwen_emulator.base_url)
    monkeypatch.delenv("DASHSCOPE_WORKSPACE_ID", raising=False)
    return qwen_emulator


@pytest.fixture
def qwen_client(qwen_connection: dict[str, str]) -> Iterator[QwenClient]:
    """A core ``QwenClient`` (compatible protocol) on the emulator."""
    from qwen_core.client import QwenClient

    client = QwenClient(api_key=qwen_connection["api_key"], base_url=qwen_connection["base_url"])
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def chat_qwen(qwen_connection: dict[str, str]) -> Any:
    """LangChain ``ChatQwen(model="qwen-plus")`` on the emulator."""
    return _framework_class("langchain_qwen", "ChatQwen", "langchain")(model="qwen-plus", **qwen_connection)


@pytest.fixture
def qwen_embeddings(qwen_connection: dict[str, str]) -> Any:
    """LangChain ``QwenEmbeddings`` (``text-embedding-v4``) on the emulator."""
    return _framework_class("langchain_qwen", "QwenEmbeddings", "langchain")(**qwen_connection)


@pytest.fixture
def qwen_rerank(qwen_connection: dict[str, str]) -> Any:
    """LangChain ``QwenRerank`` (a document compressor) on the emulator."""
    return _framework_class("langchain_qwen", "QwenRerank", "langchain")(**qwen_connection)


@pytest.fixture
def qwen_llm(qwen_connection: dict[str, str]) -> Any:
    """LlamaIndex ``Qwen(model="qwen-plus")`` on the emulator."""
    return _framework_class("llama_index_qwen", "Qwen", "llama-index")(model="qwen-plus", **qwen_connection)


@pytest.fixture
def qwen_embedding(qwen_connection: dict[str, str]) -> Any:
    """LlamaIndex ``QwenEmbedding`` (``text-embedding-v4``) on the emulator."""
    return _framework_class("llama_index_qwen", "QwenEmbedding", "llama-index")(**qwen_connection)


@pytest.fixture
def qwen_node_rerank(qwen_connection: dict[str, str]) -> Any:
    """LlamaIndex ``QwenRerank`` (a node postprocessor) on the emulator."""
    return _framework_class("llama_index_qwen", "QwenRerank", "llama-index")(**qwen_connection)
