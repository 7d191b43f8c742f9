"""CPU per non-streamed call: QwenClient on its built-in transports vs on a user's httpx client, and raw POSTs.

Why the built-in transports stay urllib3 (sync) and aiohttp (async) while ``http_client=``/``http_async_client=``
take an httpx client as given: this prints the client process's CPU time per call against the emulator running
in another process (medians of interleaved batches), so the cost of each choice is visible.

    .venv/bin/python benchmarks/transport_cpu.py [--calls 300] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

BODY = json.dumps({"model": "qwen-plus", "messages": [{"role": "user", "content": "ping"}]}).encode()
HEADERS = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}


def _serve(conn: Connection) -> None:
    from qwen_core.emulator import Emulator

    with Emulator() as emu:
        conn.send(emu.base_url)
        conn.recv()  # until the parent says stop


def _subjects(base_url: str) -> dict[str, Callable[[], Any]]:
    import httpx
    import urllib3

    from qwen_core.client import QwenClient
    from qwen_core.types import ChatRequest, Message

    request = ChatRequest(model="qwen-plus", messages=[Message("user", "ping")])
    url = base_url + "/compatible-mode/v1/chat/completions"
    pool, raw_httpx = urllib3.PoolManager(), httpx.Client()
    built_in = QwenClient(api_key="sk-bench", base_url=base_url)
    own = QwenClient(api_key="sk-bench", base_url=base_url, http_client=httpx.Client())
    return {
        "raw urllib3 POST": lambda: pool.urlopen("POST", url, body=BODY, headers=HEADERS).data,
        "raw httpx POST": lambda: raw_httpx.post(url, content=BODY, headers=HEADERS).content,
        "QwenClient.chat (urllib3, default)": lambda: built_in.chat(request),
        "QwenClient.chat (http_client=httpx.Client())": lambda: own.chat(request),
    }


def _async_subjects(base_url: str) -> tuple[dict[str, Callable[[], Awaitable[Any]]], Callable[[], Awaitable[Any]]]:
    """The async subjects, and a coroutine function that closes their clients."""
    import httpx

    from qwen_core.client import QwenClient
    from qwen_core.types import ChatRequest, Message

    request = ChatRequest(model="qwen-plus", messages=[Message("user", "ping")])
    built_in = QwenClient(api_key="sk-bench", base_url=base_url)
    own = QwenClient(api_key="sk-bench", base_url=base_url, http_async_client=httpx.AsyncClient())
    subjects: dict[str, Callable[[], Awaitable[Any]]] = {
        "QwenClient.achat (aiohttp, default)": lambda: built_in.achat(request),
        "QwenClient.achat (http_async_client=httpx.AsyncClient())": lambda: own.achat(request),
    }

    async def close() -> None:
        await built_in.aclose()
        await own.settings.http_async_client.aclose()

    return subjects, close


def _measure(subjects: dict[str, Callable[[], Any]], calls: int, rounds: int,
             run: Callable[[Callable[[], Any]], Any]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for call in subjects.values():  # warm-up: pools, imports, caches
        for _ in range(20):
            run(call)
    for _ in range(rounds):
        for name, call in subjects.items():
            started = time.process_time()
            for _ in range(calls):
                run(call)
            samples[name].append((time.process_time() - started) / calls * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        base_url = parent.recv()
        results = _measure(_subjects(base_url), args.calls, args.rounds, lambda call: call())
        loop = asyncio.new_event_loop()
        async_subjects, close = _async_subjects(base_url)
        results.update(_measure(async_subjects, args.calls, args.rounds, lambda call: loop.run_until_complete(call())))
        loop.run_until_complete(close())
        loop.close()
    finally:
        parent.send("stop")
        server.join(timeout=10)
    for name, micros in results.items():
        print(f"{micros:8.0f} us CPU per call  {name}")


if __name__ == "__main__":
    main()
