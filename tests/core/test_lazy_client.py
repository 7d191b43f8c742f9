"""LazyClient across a fork: the child gets its own lock and pools, even when a parent's thread held the lock."""

from __future__ import annotations

import os
import time

import pytest

from qwen_core.emulator import Emulator
from qwen_core.lazy_client import LazyClient
from qwen_core.settings import QwenSettings
from tests._support.calls import ask
from tests._support.processes import fork, wait_for_exit


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is not available on this platform")
def test_child_neither_deadlocks_on_a_held_lock_nor_shares_the_pool(emu: Emulator) -> None:
    emu.reset()
    lazy = LazyClient(QwenSettings.resolve(api_key="sk-lazy", base_url=emu.base_url, env={}), "compatible")
    assert lazy.get().chat(ask("warm")).text == "Echo: warm"
    lazy._lock.acquire()  # as if another thread were inside close() when the process forked
    try:
        pid = fork()
        if pid == 0:
            ok = False
            try:
                ok = lazy.get().chat(ask("child")).text == "Echo: child"
                lazy.close()  # takes the lock: must not wait for the parent's holder
                ok = ok and lazy.get().chat(ask("again")).text == "Echo: again"
            finally:
                os._exit(0 if ok else 1)
        assert lazy.get().chat(ask("parent")).text == "Echo: parent"
        assert wait_for_exit(pid, time.monotonic() + 30) == 0
    finally:
        lazy._lock.release()
    lazy.close()
    assert emu.connections_opened == 3  # the parent's one, and the child's before and after close()
