"""Child processes in tests: a fork (the emulator's threads make Python 3.12+ warn about it), waiting for a child
with a deadline, and a call in a freshly spawned process."""

from __future__ import annotations

import multiprocessing
import os
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def fork() -> int:
    """``os.fork()``, without 3.12+'s warning about forking a process with threads (the emulator's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def wait_for_exit(pid: int, deadline: float) -> int:
    """The exit code of child ``pid``; a child still running at ``deadline`` (monotonic) is killed: -9."""
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.005)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -9


def in_spawned_process(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a freshly spawned process: the arguments travel pickled, as to a worker pool."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result(timeout=120)
