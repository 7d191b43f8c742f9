"""Walls for the offline suite (no DashScope credentials or base URL leak in from the environment), and the
emulator fixtures the adapter suites share: one emulator per module, reset around each test, both protocols."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qwen_core.emulator import Emulator

APIS = ("compatible", "dashscope")

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
