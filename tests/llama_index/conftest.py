"""Fixtures for the LlamaIndex ``Qwen`` tests: one emulator per module, an LLM factory per protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from llama_index_qwen import Qwen
from qwen_core.emulator import Emulator

API_KEY = "sk-emulator-secret-0123456789"

LLMFactory = Callable[..., Qwen]


@pytest.fixture
async def make(emu: Emulator, api: str) -> AsyncIterator[LLMFactory]:
    """``make(**fields)`` builds a ``Qwen`` on ``api`` against the emulator; pools are closed afterwards."""
    made: list[Qwen] = []

    def factory(**fields: Any) -> Qwen:
        fields = {"api_key": API_KEY, "base_url": emu.base_url, "api": api, "max_retries": 0, **fields}
        llm = Qwen(**fields)
        made.append(llm)
        return llm

    yield factory
    for llm in made:
        await llm.aclose()
