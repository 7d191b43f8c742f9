"""langchain-tests standard suites for QwenEmbeddings (unit: construction; the integration suite runs offline here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_qwen.embeddings import QwenEmbeddings
from qwen_core.emulator import Emulator
from tests._support.constants import API_KEY


class TestQwenEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[QwenEmbeddings]:
        return QwenEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-v4", "api_key": API_KEY, "dimensions": 256}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"DASHSCOPE_API_KEY": "sk-from-env", "DASHSCOPE_BASE_URL": "https://dashscope-intl.aliyuncs.com"},
            {"model": "text-embedding-v3"},
            {"api_key": "sk-from-env", "model": "text-embedding-v3"},
        )


@pytest.fixture(scope="module")
def _offline_emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


class TestQwenEmbeddingsOffline(EmbeddingsIntegrationTests):
    """The standard integration suite against the emulator (integration_tests/ runs it on the real service)."""

    @pytest.fixture(autouse=True)
    def _emulator(self, _offline_emulator: Emulator) -> None:
        self._base_url = _offline_emulator.base_url

    @property
    def embeddings_class(self) -> type[QwenEmbeddings]:
        return QwenEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"api_key": "sk-offline", "base_url": self._base_url, "max_retries": 0}

    @pytest.fixture
    async def model(self) -> Any:  # type: ignore[override]
        embeddings = QwenEmbeddings(**self.embedding_model_params)
        yield embeddings
        await embeddings.aclose()


def test_settings_resolved_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-env")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "https://dashscope-intl.aliyuncs.com/api/v1")
    model = QwenEmbeddings()
    assert model.client.settings.root_url == "https://dashscope-intl.aliyuncs.com"
    assert model.client.settings.api_key.get_secret_value() == "sk-env"
    assert model.client is model.client  # one client per instance
    assert QwenEmbeddings(api_key="sk", region="ap-southeast-1", base_url=None).client.settings.root_url == (
        "https://dashscope-intl.aliyuncs.com"
    )


def test_public_exports() -> None:
    import langchain_qwen

    assert langchain_qwen.QwenEmbeddings is QwenEmbeddings
    from langchain_qwen.rerank import QwenRerank

    assert langchain_qwen.QwenRerank is QwenRerank
    import langchain_qwen.embeddings as lc_embeddings
    import langchain_qwen.rerank as lc_rerank
    import llama_index_qwen.embeddings as li_embeddings
    import llama_index_qwen.postprocessor as li_post

    for module in (lc_embeddings, lc_rerank, li_embeddings, li_post):
        assert all(hasattr(module, name) for name in module.__all__)
