"""Names the LangChain tests share."""

from __future__ import annotations

from collections.abc import Callable

from langchain_qwen import ChatQwen

#: ``make(**fields)`` from conftest: a ChatQwen on the parametrized protocol, against the emulator.
ModelFactory = Callable[..., ChatQwen]
