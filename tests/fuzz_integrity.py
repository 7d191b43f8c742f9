"""A reproducible fuzz run of both directions: random request inputs into the public classes, mutated real
response bodies into every parser. Zero untyped exceptions and zero documented-invalid bodies sent is a pass.

    .venv/bin/python tests/fuzz_integrity.py                      # 20,000 + 20,000, seed 0 (about 2 minutes)
    .venv/bin/python tests/fuzz_integrity.py --requests 500 --responses 500 --seed 7

Requests: each random input (``fuzzing.random_request_args``: messages, roles, tool calls, per-call options of every
type and range) is built by ``QwenClient`` for both protocols, streamed and not, and sent through ``ChatQwen.invoke``
and LlamaIndex ``Qwen.chat`` over real sockets to the suite's fault server (the protocol alternates per input).
Each must end in a typed :class:`~qwen_core.errors.QwenError` before sending, or an answer after sending a body the
protocol notes call valid. Responses: each mutation of a real capture body (``fuzzing.mutate_body``) goes to every
parser of both protocols (chat, embedding, rerank, error, stream): a well-formed result or a typed parse error.

Exit status 0 when nothing failed; the summary is printed as JSON, failures with the seed that reproduces them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    # run as a script, sys.path[0] is tests/, whose langchain/ and llama_index/ test packages would shadow the
    # frameworks: the repository root goes there instead (tests._support is imported from it)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from qwen_core.catalogue import UnknownModelWarning
from qwen_core.client import QwenClient
from qwen_core.errors import QwenError
from tests._support.constants import APIS
from tests._support.fault_server import FaultServer, sse_head
from tests._support.fuzzing import (
    ANSWERS,
    adapter_failures,
    capture_bodies,
    core_request_of,
    langchain_messages,
    llama_index_messages,
    mutate_body,
    parse_everything,
    random_request_args,
    request_failures,
)


def _core_failures(texts: list[tuple[str, str]], options: dict[str, Any], calls: list[str],
                   clients: list[QwenClient]) -> list[str]:
    try:
        request = core_request_of(texts, options, calls)
    except QwenError:
        return []
    except Exception as exc:  # an untyped refusal while building the request is a failure too
        return [f"ChatRequest: {type(exc).__name__}: {exc}"]
    return request_failures(request, clients)


class RequestFuzz:
    """One fault server per protocol answering every request validly; the adapters and clients pointed at them."""

    def __init__(self, servers: dict[str, FaultServer]) -> None:
        from langchain_qwen import ChatQwen
        from llama_index_qwen import Qwen

        self.servers = servers
        self.clients = [QwenClient(api=api, api_key="sk-fuzz", base_url="http://127.0.0.1:9") for api in APIS]
        common = {"model": "qwen-plus", "api_key": "sk-fuzz", "max_retries": 0}
        self.chat_qwen = {api: ChatQwen(api=api, base_url=s.base_url, **common) for api, s in servers.items()}
        self.qwen = {api: Qwen(api=api, base_url=s.base_url, **common) for api, s in servers.items()}
        self.bodies_checked = 0

    def failures(self, seed: int) -> list[str]:
        """Every failure of one input (seeded), through the core and both adapters."""
        texts, options, calls = random_request_args(random.Random(seed))
        api = APIS[seed % 2]
        sent = self.servers[api].requests
        failures = _core_failures(texts, options, calls, self.clients)
        chat_qwen, qwen = self.chat_qwen[api], self.qwen[api]
        lc_call: Callable[[], Any] = lambda: chat_qwen.invoke(langchain_messages(texts, calls), **options)  # noqa: E731
        li_call: Callable[[], Any] = lambda: qwen.chat(llama_index_messages(texts, calls), **options)  # noqa: E731
        failures += [f"ChatQwen[{api}]: {f}" for f in adapter_failures(lc_call, sent, api)]
        failures += [f"Qwen[{api}]: {f}" for f in adapter_failures(li_call, sent, api)]
        self.bodies_checked += len(sent)
        del sent[:]  # the bodies were checked; keep memory flat over 20,000 inputs
        return failures


def run_requests(count: int, seed: int) -> dict[str, Any]:
    failed: dict[int, list[str]] = {}
    with FaultServer() as compatible, FaultServer() as native:
        servers = {"compatible": compatible, "dashscope": native}
        for api, server in servers.items():
            server.script([ANSWERS[api]], head=sse_head(content_type="application/json"))
        fuzz = RequestFuzz(servers)
        for n in range(seed, seed + count):
            problems = fuzz.failures(n)
            if problems:
                failed[n] = problems
    return {"inputs": count, "adapter_bodies_sent_and_checked": fuzz.bodies_checked,
            "failed_inputs": len(failed), "failures": _first(failed)}


def run_responses(count: int, seed: int) -> dict[str, Any]:
    bodies = capture_bodies()
    names = sorted(bodies)
    failed: dict[int, list[str]] = {}
    for n in range(seed, seed + count):
        rng = random.Random(n)
        name = rng.choice(names)
        problems = parse_everything(mutate_body(bodies[name], rng))
        if problems:
            failed[n] = [f"{name}: {p}" for p in problems]
    return {"mutated_bodies": count, "parser_calls": count * 10, "capture_bodies": len(names),
            "failed_bodies": len(failed), "failures": _first(failed)}


def _first(failed: dict[int, list[str]], limit: int = 20) -> dict[str, list[str]]:
    """The first failures by seed (enough to reproduce each with ``--seed N --requests 1``)."""
    return {str(n): problems[:3] for n, problems in list(failed.items())[:limit]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="random request inputs (default 20,000)")
    parser.add_argument("--responses", type=int, default=20_000, help="mutated response bodies (default 20,000)")
    parser.add_argument("--seed", type=int, default=0, help="first seed; inputs use seed, seed+1, ...")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        summary = {"seed": args.seed, "requests": run_requests(args.requests, args.seed),
                   "responses": run_responses(args.responses, args.seed)}
    summary["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if not summary["requests"]["failed_inputs"] and not summary["responses"]["failed_bodies"] else 1


if __name__ == "__main__":
    sys.exit(main())
