"""Fixtures for the ChatQwen tests: one emulator per module, a model factory per protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from langchain_qwen import ChatQwen
from qwen_core.emulator import Emulator

API_KEY = "sk-emulator-secret-0123456789"
APIS = ("compatible", "dashscope")

ModelFactory = Callable[..., ChatQwen]


@pytest.fixture(scope="module")
def _emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emu(_emulator: Emulator) -> Iterator[Emulator]:
    _emulator.reset()
    yield _emulator
    _emulator.reset()


@pytest.fixture(params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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
