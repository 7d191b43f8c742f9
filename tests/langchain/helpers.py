"""Names the ChatQwen tests share (imported by module name: ``conftest`` is not importable reliably)."""

from __future__ import annotations

from collections.abc import Callable

from langchain_qwen import ChatQwen

API_KEY = "sk-emulator-secret-0123456789"

#: ``make(**fields)`` from conftest: a ChatQwen on the parametrized protocol, against the emulator.
ModelFactory = Callable[..., ChatQwen]
