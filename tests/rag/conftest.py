"""Fixtures for the RAG tests: one emulator per module, adapter factories that close their pools afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from rag_helpers import API_KEY, APIS

from qwen_core.emulator import Emulator


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
async def make() -> AsyncIterator[Callable[..., Any]]:
    """``make(cls, emu, **fields)``: an adapter against ``emu`` (no retries unless asked); pools closed after."""
    made: list[Any] = []

    def factory(cls: type[Any], emu: Emulator, **fields: Any) -> Any:
        fields = {"api_key": API_KEY, "base_url": emu.base_url, "max_retries": 0, **fields}
        obj = cls(**fields)
        made.append(obj)
        return obj

    yield factory
    for obj in made:
        await obj.aclose()
