"""The main job: a short tour of Qwen through this package, on both wire protocols.

Runs against the real DashScope service when ``DASHSCOPE_API_KEY`` is set, and against the built-in offline
emulator otherwise; it says which. Run it with ``qwen-demo`` (or ``python -m qwen_core.demo``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator

from qwen_core.client import QwenClient
from qwen_core.settings import API_KEY_ENV
from qwen_core.types import Api, ChatRequest, Message, ToolSpec

WEATHER_TOOL = ToolSpec(
    name="get_weather",
    description="Get the current weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@contextlib.contextmanager
def _target() -> Iterator[dict[str, str | None]]:
    """Connection settings for the real service, or for an emulator started for the demo."""
    if os.environ.get(API_KEY_ENV):
        print(f"Using the real DashScope service ({API_KEY_ENV} is set).")
        yield {"api_key": None, "base_url": None}
        return
    from qwen_core.emulator import Emulator

    with Emulator() as emu:
        print(f"{API_KEY_ENV} is not set: using the built-in offline emulator at {emu.base_url}.")
        yield {"api_key": "sk-emulator", "base_url": emu.base_url}


def _tour(api: Api, connection: dict[str, str | None]) -> None:
    print(f"\n== api={api!r}")
    with QwenClient(api=api, api_key=connection["api_key"], base_url=connection["base_url"]) as client:
        hello = [Message("user", "In one sentence: what is Qwen?")]
        result = client.chat(ChatRequest(model="qwen-plus", messages=hello))
        print(f"invoke   : {result.text!r} (usage: {result.usage.total_tokens if result.usage else '?'} tokens)")

        pieces = [delta.text for delta in client.stream(ChatRequest(model="qwen-plus", messages=hello)) if delta.text]
        print(f"stream   : {len(pieces)} chunks -> {''.join(pieces)!r}")

        thinking = client.chat(ChatRequest(model="qwen-plus", messages=hello, enable_thinking=True))
        print(f"thinking : reasoning {len(thinking.reasoning)} chars, answer {thinking.text[:60]!r}")

        ask = [Message("user", "What's the weather in Hangzhou?")]
        tools = client.chat(ChatRequest(model="qwen-plus", messages=ask, tools=[WEATHER_TOOL]))
        for call in tools.tool_calls:
            print(f"tool call: {call.name}({call.arguments})")

        async def _async_call() -> str:
            try:
                answer = await client.achat(ChatRequest(model="qwen-plus", messages=hello))
                return answer.text
            finally:
                await client.aclose()

        print(f"async    : {asyncio.run(_async_call())!r}")


def main() -> int:
    with _target() as connection:
        for api in ("compatible", "dashscope"):
            _tour(api, connection)
    print("\nDone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
