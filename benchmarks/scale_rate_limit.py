"""Benchmark: ``aembed_documents`` of 100,000 texts against an emulator limited to a fixed requests-per-minute rate.

With no concurrency setting (``max_concurrency`` left at its default), the run must finish with zero failed
items and sustain at least 90% of the limit: the process's adaptive limiter (``qwen_core.limits``) backs off on
the emulator's ``429 Throttling.RateQuota`` (honouring its ``Retry-After``) and probes upward while calls
succeed. The emulator runs in its own process (so the two sides do not share one interpreter lock).

    .venv/bin/python benchmarks/scale_rate_limit.py                 # 100,000 texts at 6,000 requests/minute
    .venv/bin/python benchmarks/scale_rate_limit.py --texts 20000   # shorter

Prints one JSON object: wall time, requests accepted per second against the limit, throttled answers, failures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection
from typing import Any


def _serve(rpm: int, conn: Connection) -> None:
    from qwen_core.emulator import Emulator

    with Emulator(requests_per_minute=rpm) as emu:
        conn.send(emu.base_url)
        conn.recv()  # until the benchmark is done
        assert emu.rate_limit is not None
        conn.send({"throttled": emu.rate_limit.throttled, "requests": len(emu.requests)})


async def _embed(base_url: str, texts: list[str]) -> tuple[list[list[float]], float]:
    from langchain_qwen import QwenEmbeddings

    embeddings = QwenEmbeddings(api_key="sk-bench", base_url=base_url, api="compatible",  # type: ignore[arg-type]
                                dimensions=64)
    started = time.perf_counter()
    vectors = await embeddings.aembed_documents(texts)
    wall = time.perf_counter() - started
    await embeddings.aclose()
    return vectors, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--rpm", type=int, default=6_000, help="the emulator's requests-per-minute limit")
    args = parser.parse_args(argv)
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(args.rpm, theirs), daemon=True)
    server.start()
    base_url = ours.recv()
    texts = [f"passage number {n} about topic {n % 97}" for n in range(args.texts)]
    vectors, wall = asyncio.run(_embed(base_url, texts))
    ours.send("done")
    stats: dict[str, Any] = ours.recv()
    server.join(timeout=10)
    requests = -(-args.texts // 10)  # text-embedding-v4: 10 texts per request
    limit_rps = args.rpm / 60
    burst = max(1.0, limit_rps)  # the bucket starts full: one second of the rate comes free
    sustained = (requests - burst) / wall
    missing = sum(1 for v in vectors if len(v) != 64)
    result = {
        "texts": args.texts, "vectors": len(vectors), "failed_items": args.texts - len(vectors) + missing,
        "requests": requests, "throttled_answers": stats["throttled"], "wall_s": round(wall, 2),
        "limit_rps": limit_rps, "sustained_rps": round(sustained, 2), "share_of_limit": round(sustained / limit_rps, 4),
    }
    result["ok"] = result["failed_items"] == 0 and result["share_of_limit"] >= 0.9
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
