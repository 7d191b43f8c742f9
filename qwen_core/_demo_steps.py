"""Console output of ``qwen-demo``: numbered steps with timings, indented results, failures kept and counted."""

from __future__ import annotations

import contextlib
import sys
import textwrap
import time
from collections.abc import Iterator

from qwen_core.errors import QwenError

_WIDTH = 100


class Steps:
    """Prints ``[n] title ...`` before a step and ``done (1.2 s)`` after it; a failing step is reported, not fatal."""

    def __init__(self) -> None:
        self.count = 0
        self.failed: list[str] = []

    def section(self, title: str) -> None:
        print(f"\n=== {title} ===", flush=True)

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.count += 1
        print(f"[{self.count}] {title} ...", flush=True)
        started = time.perf_counter()
        try:
            yield
        except QwenError as error:  # the service or the input said no: report it and go on with the tour
            self.failed.append(title)
            print(f"    FAILED: {type(error).__name__}: {error}", flush=True)
            return
        print(f"    done ({time.perf_counter() - started:.1f} s)", flush=True)

    def show(self, label: str, value: object) -> None:
        """One result line, wrapped and indented under the step."""
        text = " ".join(str(value).split())
        lines = textwrap.wrap(f"{label}: {text}", _WIDTH - 4, subsequent_indent="      ") or [label]
        for line in lines[:6]:
            print(f"    {line}", flush=True)

    def progress(self, message: str) -> None:
        """A progress line inside a longer step."""
        print(f"    ... {message}", flush=True)

    def live(self, piece: str) -> None:
        """Streamed text, printed as it arrives."""
        sys.stdout.write(piece.replace("\n", " "))
        sys.stdout.flush()
