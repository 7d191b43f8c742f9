"""Chat requests and calls the core tests share: a one-message request, and one answer through each of
QwenClient's four paths."""

from __future__ import annotations

import asyncio

from qwen_core.client import QwenClient
from qwen_core.types import ChatRequest, Message

#: QwenClient's four ways to get an answer.
MODES = ("chat", "stream", "achat", "astream")


def ask(text: str = "Hi", model: str = "qwen-plus", **options: object) -> ChatRequest:
    """A request with one user message ``text`` (and any request ``options``)."""
    return ChatRequest(model=model, messages=[Message("user", text)], **options)  # type: ignore[arg-type]


def answer(client: QwenClient, mode: str, text: str = "ping") -> str:
    """The answer to ``text`` through one of the four paths (each on its own event loop when async)."""
    if mode == "chat":
        return client.chat(ask(text)).text
    if mode == "stream":
        return "".join(delta.text or "" for delta in client.stream(ask(text)))

    async def run() -> str:
        try:
            if mode == "achat":
                return (await client.achat(ask(text))).text
            return "".join([delta.text or "" async for delta in client.astream(ask(text))])
        finally:
            await client.aclose()

    return asyncio.run(run())
