"""LangChain's standard integration tests for ChatQwen.

With ``DASHSCOPE_API_KEY`` set they run against the real service; otherwise against the offline emulator
(a module-level fixture starts it and points ``base_url`` at it), on both protocols.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_qwen import ChatQwen
from qwen_core.emulator import Emulator, ScriptedReply, ScriptedToolCall, ScriptItem

LIVE = bool(os.environ.get("DASHSCOPE_API_KEY"))
_STATE: dict[str, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def _service() -> Iterator[None]:
    if LIVE:
        yield
        return
    with Emulator() as emu:
        _STATE["emu"] = emu
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
    if LIVE:
        return {"model": "qwen-plus", "api": api}
    return {"model": "qwen-plus", "api": api, "api_key": "sk-emulator", "base_url": _STATE["emu"].base_url}


class _Base(ChatModelIntegrationTests):
    api = "compatible"

    @property
    def chat_model_class(self) -> type[ChatQwen]:
        return ChatQwen

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params(self.api)

    @pytest.fixture
    async def model(self, request: pytest.FixtureRequest) -> AsyncIterator[ChatQwen]:
        """The standard fixture, plus closing the connection pools (each test gets a fresh event loop)."""
        extra = getattr(request, "param", None) or {}
        model = ChatQwen(**{**self.standard_chat_model_params, **self.chat_model_params, **extra})
        yield model
        await model.aclose()

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "qwen-turbo"


class TestChatQwenCompatible(_Base):
    api = "compatible"


class TestChatQwenDashScope(_Base):
    api = "dashscope"
