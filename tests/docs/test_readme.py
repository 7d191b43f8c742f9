"""Every Python example in README.md runs, against the emulator (the key and base URL come from the environment)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qwen_core.emulator import Emulator

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int) -> None:
    with Emulator() as emu:
        env = {**os.environ, "DASHSCOPE_API_KEY": "sk-readme", "DASHSCOPE_BASE_URL": emu.base_url}
        done = subprocess.run(
            [sys.executable, "-c", BLOCKS[index]], env=env, capture_output=True, text=True, timeout=90
        )
    assert done.returncode == 0, f"README example {index} failed:\n{BLOCKS[index]}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), "the example printed nothing"
