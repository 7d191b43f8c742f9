"""Fixtures for the ChatQwen tests: one emulator per module, a model factory per protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from langchain_qwen import ChatQwen
from qwen_core.emulator import Emulator
from tests.langchain.helpers import API_KEY, ModelFactory


@pytest.fixture
async def make(emu: Emulator, api: str) -> AsyncIterator[ModelFactory]:
    """``make(**fields)`` builds a ChatQwen on ``api`` against the emulator; pools are closed afterwards."""
    made: list[ChatQwen] = []

    def factory(**fields: Any) -> ChatQwen:
        fields = {"api_key": API_KEY, "base_url": emu.base_url, "api": api, "max_retries": 0, **fields}
        model = ChatQwen(**fields)
        made.append(model)
        return model

    yield factory
    for model in made:
        await model.aclose()
