"""Benchmark: 10,000 chat requests through ``ChatQwen(use_batch_api=True).batch`` against the accelerated emulator.

Checks every result is the answer to its own input, in input order, and reports the client's peak RSS: the
output file is streamed and parsed line by line into the final messages (never held whole, nor twice), so the
peak grows with the messages themselves, not with the file. The emulator runs in its own process (its memory is
not counted).

    .venv/bin/python benchmarks/scale_batch_api.py               # 10,000 requests
    .venv/bin/python benchmarks/scale_batch_api.py --requests 2000

Prints one JSON object: wall time, batches, peak RSS before and after, output file size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from multiprocessing.connection import Connection
from typing import Any


def _serve(conn: Connection) -> None:
    from qwen_core.emulator import BatchTiming, Emulator

    with Emulator(batch_timing=BatchTiming(validating=0.5, in_progress=2.0, finalizing=0.5)) as emu:
        conn.send(emu.base_url)
        conn.recv()
        sizes = [len(f.content) for f in emu.batches.files.all() if f.purpose == "batch_output"]
        conn.send({"output_file_bytes": sum(sizes)})


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args(argv)
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    base_url = ours.recv()

    from langchain_core.language_models import LanguageModelInput

    from langchain_qwen import ChatQwen

    llm = ChatQwen(api_key="sk-bench", base_url=base_url, use_batch_api=True,  # type: ignore[arg-type]
                   batch_api_poll_interval=0.5, batch_api_progress=False)
    inputs: list[LanguageModelInput] = [f"item number {n}" for n in range(args.requests)]
    llm.batch(inputs[:3])  # warm-up: imports and the connection pool
    before = _peak_rss_mb()
    started = time.perf_counter()
    answers = llm.batch(inputs)
    wall = time.perf_counter() - started
    after = _peak_rss_mb()
    ours.send("done")
    stats: dict[str, Any] = ours.recv()
    server.join(timeout=10)
    in_order = all(answer.content == f"Echo: {text}" for answer, text in zip(answers, inputs, strict=True))
    result = {
        "requests": args.requests, "results": len(answers), "in_input_order": in_order, "wall_s": round(wall, 2),
        "peak_rss_before_mb": round(before, 1), "peak_rss_after_mb": round(after, 1),
        "peak_rss_growth_mb": round(after - before, 1),
        "output_file_mb": round(stats["output_file_bytes"] / 1e6, 2),
    }
    result["ok"] = in_order and len(answers) == args.requests
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
