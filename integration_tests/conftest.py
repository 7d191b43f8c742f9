"""The service the integration tests talk to: the real one when ``DASHSCOPE_API_KEY`` is set, else an emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from qwen_core.emulator import Emulator
from tests._support.constants import API_KEY


@pytest.fixture(scope="module")
def service() -> Iterator[Emulator | None]:
    """An emulator started for the module, or ``None`` when the tests run against the real service."""
    if os.environ.get("DASHSCOPE_API_KEY"):
        yield None
        return
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def connection(service: Emulator | None) -> dict[str, str]:
    """Connection fields: none (the environment's, live) or the emulator's."""
    return {} if service is None else {"api_key": API_KEY, "base_url": service.base_url}
