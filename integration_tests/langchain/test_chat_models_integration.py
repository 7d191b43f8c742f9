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
