"""Names the LangChain tests share."""

from __future__ import annotations

from collections.abc import Callable

from langchain_qwen import ChatQwen

#: ``make(**fields)`` from conftest: a ChatQwen on the parametrized protocol, against the emulator.
ModelFactory = Callable[..., ChatQwen]


class ChatQwenCapabilities:
    """What ChatQwen declares to langchain-tests' standard suites, shared by the unit suite
    (tests/langchain/test_chat_models_standard.py) and the integration suite (integration_tests/langchain): put it
    before the suite's base class (plain class attributes override the suite's properties). The integration suite
    runs the image tests on a vision model."""

    chat_model_class = ChatQwen
    has_tool_choice = True
    supports_json_mode = True
    supports_image_inputs = True
    supports_image_urls = True
