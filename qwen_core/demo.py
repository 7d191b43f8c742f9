"""The main job: a tour of Qwen through LangChain (``ChatQwen``), LlamaIndex (``Qwen``) and the core client.

Runs against the real DashScope service when ``DASHSCOPE_API_KEY`` is set, and against the built-in offline
emulator otherwise; it says which. Run it with ``qwen-demo`` (or ``python -m qwen_core.demo``); install with
``pip install "qwen-integrations[all]"`` so both frameworks are there (a missing one is skipped with a message).
Exit status 0 when every step worked, 1 otherwise.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from qwen_core._demo_steps import Steps
from qwen_core.client import QwenClient
from qwen_core.settings import API_KEY_ENV
from qwen_core.types import Api, ChatRequest, Message

__all__ = ["TOURS", "main"]

#: (title, module that must be importable, extra to install, module with the tour)
TOURS = (
    ("LangChain: ChatQwen", "langchain_core", "langchain", "qwen_core._demo_langchain"),
    ("LlamaIndex: Qwen, QwenEmbedding, QwenRerank", "llama_index.core", "llama-index", "qwen_core._demo_llama_index"),
)


@contextlib.contextmanager
def _target() -> Iterator[dict[str, Any]]:
    """Connection arguments for the real service, or for an emulator started for the demo."""
    if os.environ.get(API_KEY_ENV):
        print(f"Using the real DashScope service ({API_KEY_ENV} is set).")
        yield {}
        return
    from qwen_core.emulator import Emulator

    with Emulator() as emu:
        print(f"{API_KEY_ENV} is not set: using the built-in offline emulator at {emu.base_url}")
        print("(answers are the emulator's deterministic ones; set the key to talk to Qwen itself).")
        yield {"api_key": "sk-emulator", "base_url": emu.base_url}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _core_tour(connection: dict[str, Any], steps: Steps) -> None:
    hello = [Message("user", "In one sentence: what is Qwen?")]
    apis: tuple[Api, ...] = ("compatible", "dashscope")
    for api in apis:
        with QwenClient(api=api, **connection) as client, steps.step(f"QwenClient(api={api!r}).chat"):
            result = client.chat(ChatRequest(model="qwen-plus", messages=hello))
            steps.show("answer", result.text)
    with QwenClient(**connection) as client, steps.step("thinking: reasoning before the answer"):
        thought = client.chat(ChatRequest(model="qwen-plus", messages=hello, enable_thinking=True))
        steps.show("reasoning", f"{len(thought.reasoning)} characters: {thought.reasoning[:120]}")
        steps.show("answer", thought.text)


def main() -> int:
    steps = Steps()
    with _target() as connection:
        for title, needs, extra, module in TOURS:
            steps.section(title)
            if not _installed(needs):
                print(f"    skipped: {needs} is not installed (pip install \"qwen-integrations[{extra}]\")")
                continue
            tour: Callable[[dict[str, Any], Steps], None] = importlib.import_module(module).tour
            tour(connection, steps)
        steps.section("Core: QwenClient, no framework")
        _core_tour(connection, steps)
    if steps.failed:
        print(f"\n{len(steps.failed)} of {steps.count} steps failed: {', '.join(steps.failed)}")
        return 1
    print(f"\nDone: {steps.count} steps.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
