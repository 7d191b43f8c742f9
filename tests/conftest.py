"""Walls for the offline suite (no DashScope credentials or base URL leak in from the environment), and the
fixtures the suites share: one emulator per module, reset around each test, both protocols, an adapter factory.

Framework folders specialise ``make`` (tests/langchain: ``make(**fields)`` builds a ChatQwen on the ``api``
parameter; tests/llama_index: a ``Qwen``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from qwen_core.emulator import Emulator
from tests._support.connection import build
from tests._support.constants import APIS

_ENV_VARS = ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "DASHSCOPE_WORKSPACE_ID", "DASHSCOPE_HTTP_BASE_URL",
             # network settings the resolver reads: a developer's proxy or CA must not redirect loopback tests
             *(name for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
               for name in (base, base.upper())),
             "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")


@pytest.fixture(autouse=True)
def _no_dashscope_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)


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
    """``make(cls, emu, **fields)``: an adapter class against ``emu`` with the suite's key and no retries unless
    asked; every object made is closed (its connection pools) after the test."""
    made: list[Any] = []

    def factory(cls: type[Any], emu: Emulator, **fields: Any) -> Any:
        made.append(build(cls, emu, **fields))
        return made[-1]

    yield factory
    for obj in made:
        await obj.aclose()
