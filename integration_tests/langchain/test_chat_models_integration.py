"""LangChain's standard integration tests for ChatQwen.

With ``DASHSCOPE_API_KEY`` set they run against the real service; otherwise against the offline emulator
(a module-level fixture starts it and points ``base_url`` at it), on both protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_qwen import ChatQwen
from qwen_core.emulator import Emulator, ScriptedReply, ScriptedToolCall, ScriptItem
from tests.langchain.helpers import ChatQwenCapabilities

_STATE: dict[str, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def _service(service: Emulator | None, connection: dict[str, str]) -> Iterator[None]:
    # the standard suite reads its parameters from properties, which cannot take fixtures
    _STATE.update(emu=service, connection=connection)
    yield
    _STATE.clear()


_JOKE = '{"setup": "Why do cats sit on keyboards?", "punchline": "To keep an eye on the mouse."}'
#: Scripted behaviour standing in for the model where a standard test needs model judgement (emulator only):
#: test name prefix -> replies, one per request the test makes.
_BEHAVIOUR: dict[str, list[ScriptItem]] = {
    "test_tool_calling": [ScriptedReply(tool_calls=[ScriptedToolCall("magic_function", {"input": 3})])] * 2,
    "test_json_mode": [ScriptedReply(text=_JOKE)] * 4,
    "test_unicode_tool_call_integration": [
        ScriptedReply(tool_calls=[ScriptedToolCall(
            "unicode_customer", {"customer_name": "你好公司", "description": "d"})]),
        ScriptedReply(tool_calls=[ScriptedToolCall(
            "unicode_customer", {"customer_name": "こんにちは株式会社", "description": "d"})]),
    ],
}


@pytest.fixture(autouse=True)
def _behaviour(request: pytest.FixtureRequest) -> Iterator[None]:
    emu = _STATE.get("emu")
    if emu is None:
        yield
        return
    name = request.node.name.split("[")[0]
    emu.enqueue(*_BEHAVIOUR.get(name.removesuffix("_async"), []))
    yield
    emu.reset()


def _params(api: str) -> dict[str, Any]:
    return {"model": "qwen-plus", "api": api, **_STATE["connection"]}


#: The image tests run on a vision model (qwen-plus reads text only).
VISION_MODEL = "qwen3-vl-plus"
#: The picture the standard image tests download; offline, a local PNG stands in for it (no network here).
_IMAGE_URL = "https://raw.githubusercontent.com/langchain-ai/docs/"


def _png() -> bytes:
    """A valid 2x2 RGB PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(autouse=True)
def _offline_image(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if _STATE.get("emu") is None or not request.node.name.startswith("test_image"):
        return
    import httpx

    real_get = httpx.get

    def get(url: str, *args: Any, **kwargs: Any) -> httpx.Response:
        if str(url).startswith(_IMAGE_URL):
            return httpx.Response(200, content=_png(), headers={"content-type": "image/png"})
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(httpx, "get", get)


class _Base(ChatQwenCapabilities, ChatModelIntegrationTests):
    # image tests run on VISION_MODEL (the model fixture picks it)
    api = "compatible"

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params(self.api)

    @pytest.fixture
    async def model(self, request: pytest.FixtureRequest) -> AsyncIterator[ChatQwen]:
        """The standard fixture, plus closing the connection pools (each test gets a fresh event loop)."""
        extra = getattr(request, "param", None) or {}
        if request.node.name.startswith("test_image"):
            extra = {"model": VISION_MODEL, **extra}
        model = ChatQwen(**{**self.standard_chat_model_params, **self.chat_model_params, **extra})
        yield model
        await model.aclose()

    @property
    def model_override_value(self) -> str:
        return "qwen-turbo"


class TestChatQwenCompatible(_Base):
    api = "compatible"


class TestChatQwenDashScope(_Base):
    api = "dashscope"
