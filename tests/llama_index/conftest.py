"""The suite's ``make`` with ``Qwen`` bound: ``make(**fields)`` builds a ``Qwen`` on the ``api`` parameter against
the emulator (pools closed afterwards)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from llama_index_qwen import Qwen
from qwen_core.emulator import Emulator
from tests.llama_index.helpers import LLMFactory


@pytest.fixture
def make(make: Callable[..., Any], emu: Emulator, api: str) -> LLMFactory:
    return partial(make, Qwen, emu, api=api)
