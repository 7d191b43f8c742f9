"""The suite's ``make`` with ChatQwen bound: ``make(**fields)`` builds a ChatQwen on the ``api`` parameter against
the emulator (pools closed afterwards)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from langchain_qwen import ChatQwen
from qwen_core.emulator import Emulator
from tests.langchain.helpers import ModelFactory


@pytest.fixture
def make(make: Callable[..., Any], emu: Emulator, api: str) -> ModelFactory:
    return partial(make, ChatQwen, emu, api=api)
