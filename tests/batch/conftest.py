"""An emulator whose batch jobs finish in about a third of a second, and a client polling it quickly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qwen_core.batch import PollSchedule, WaitOptions
from qwen_core.client import QwenClient
from qwen_core.emulator import BatchTiming, Emulator
from tests._support.constants import API_KEY

FAST = BatchTiming(validating=0.05, in_progress=0.2, finalizing=0.05, cancelling=0.05)
QUICK_POLL = PollSchedule(initial=0.05, factor=1.2, maximum=0.2)
QUIET = WaitOptions(schedule=QUICK_POLL, timeout=30, show_progress=False)


@pytest.fixture(scope="module")
def _batch_emulator() -> Iterator[Emulator]:
    with Emulator(batch_timing=FAST) as emu:
        yield emu


@pytest.fixture
def emu(_batch_emulator: Emulator) -> Iterator[Emulator]:
    _batch_emulator.reset()
    _batch_emulator.batches.timing = FAST
    yield _batch_emulator
    _batch_emulator.batches.timing = FAST


@pytest.fixture
def client(emu: Emulator) -> Iterator[QwenClient]:
    with QwenClient(api_key=API_KEY, base_url=emu.base_url) as qwen:
        yield qwen
