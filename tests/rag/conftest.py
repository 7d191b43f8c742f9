"""Fixtures for the RAG tests: one emulator per module, adapter factories that close their pools afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from qwen_core.emulator import Emulator
from tests.rag.helpers import API_KEY


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
