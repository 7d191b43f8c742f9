"""The pytest plugin is registered through the pytest11 entry point and costs nothing at load time."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points


def test_plugin_is_registered_as_pytest11() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("qwen_emulator") == "qwen_core.pytest_plugin"


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    heavy = ("qwen_core.emulator", "qwen_core.client", "langchain_core", "llama_index", "aiohttp", "urllib3",
             "tiktoken", "asyncio")
    code = ("import sys, qwen_core.pytest_plugin; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} or m in {heavy!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout
