"""qwen-demo, run as a user runs it: offline on the emulator, with a key (here pointed at an emulator by
DASHSCOPE_BASE_URL), and with a framework missing."""

from __future__ import annotations

import os
import subprocess
import sys

from qwen_core.emulator import Emulator

_DASHSCOPE_ENV = ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "DASHSCOPE_WORKSPACE_ID")
#: Makes llama_index unimportable in the child, as if the [llama-index] extra were not installed.
_WITHOUT_LLAMA_INDEX = """
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "llama_index" or name.startswith("llama_index."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, _Hide())
from qwen_core.demo import main
sys.exit(main())
"""


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _DASHSCOPE_ENV}
    return subprocess.run([sys.executable, *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=240)


def test_demo_tours_both_frameworks_offline() -> None:
    done = _run(["-m", "qwen_core.demo"])
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "using the built-in offline emulator" in out
    for expected in ("=== LangChain: ChatQwen ===", "ChatQwen(model='qwen-plus').invoke", "stream, token by token",
                     "tool call: get_weather({'city': 'Hangzhou'})", "parsed: CityFacts(",
                     "create_agent", "... tools: ", "=== LlamaIndex: Qwen, QwenEmbedding, QwenRerank ===",
                     "Qwen(model='qwen-plus').chat", "embedding 5 documents", "source (rerank score",
                     "QwenClient(api='dashscope').chat", "reasoning:", "Done:"):
        assert expected in out, expected
    assert "FAILED" not in out and "Traceback" not in done.stderr


def test_demo_with_a_key_uses_the_configured_service() -> None:
    with Emulator() as emu:
        done = _run(["-m", "qwen_core.demo"], DASHSCOPE_API_KEY="sk-demo", DASHSCOPE_BASE_URL=emu.base_url)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "Using the real DashScope service (DASHSCOPE_API_KEY is set)." in done.stdout
        assert len(emu.requests) >= 12
        assert {r.headers["authorization"] for r in emu.requests} == {"Bearer sk-demo"}


def test_demo_without_llama_index_says_what_to_install() -> None:
    done = _run(["-c", _WITHOUT_LLAMA_INDEX])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert 'skipped: llama_index.core is not installed (pip install "qwen-integrations[llama-index]")' in done.stdout
    assert "=== LangChain: ChatQwen ===" in done.stdout and "Done:" in done.stdout
