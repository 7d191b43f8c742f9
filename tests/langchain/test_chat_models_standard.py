"""LangChain's standard unit tests for ChatQwen."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from tests._support.constants import API_KEY
from tests.langchain.helpers import ChatQwenCapabilities


class TestChatQwenStandard(ChatQwenCapabilities, ChatModelUnitTests):
    supports_video_inputs = True
    supports_model_override = True
    model_override_value = "qwen-max"

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen-plus", "api_key": API_KEY}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return {"DASHSCOPE_API_KEY": "sk-from-env"}, {"model": "qwen-plus"}, {"api_key": "sk-from-env"}

    @pytest.mark.xfail(
        strict=True,
        reason="langchain-core 1.7 load() refuses any class outside its built-in serialization mapping, even "
        "with allowed_objects='all'; the round trip is proven with allowed_objects=[ChatQwen] in "
        "test_chat_models_unit.py::test_serialization_round_trip_without_the_key",
    )
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)
