"""Shared emulator fixtures: one background server per module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qwen_core.emulator import Emulator

KEY = "sk-test"
AUTH = {"Authorization": f"Bearer {KEY}"}
TEXT_PATH = "/api/v1/services/aigc/text-generation/generation"
MM_PATH = "/api/v1/services/aigc/multimodal-generation/generation"
SSE = {"X-DashScope-SSE": "enable", "Accept": "text/event-stream"}


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emu(server: Emulator) -> Emulator:
    server.reset()
    return server
