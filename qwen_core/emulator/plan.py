"""What a handler returns (a JSON or an SSE response plan) and the per-request context it receives.

Handlers build whole responses as plans; the server then applies latency and faults and writes them, so
fault injection works the same way for every endpoint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qwen_core.emulator.http import Request
from qwen_core.emulator.script import ChatScript

__all__ = ["JSON_TYPE", "SSE_TYPE", "Context", "JsonPlan", "Plan", "StreamPlan", "as_dict", "dumps", "json_answer"]

JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream;charset=UTF-8"


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON (the service sends non-ASCII characters unescaped)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Context:
    """One request as the endpoint handlers see it."""

    request: Request
    body: Any
    request_id: str
    base_url: str
    script: ChatScript | None = None
    compat_stream_errors_as_sse: bool = True
    #: Cached input tokens of a chat request (the emulator's implicit prompt cache); None: no cache.
    prompt_cache: Callable[[Any], int] | None = None
    arrive_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def service_headers(self, content_type: str, finished: bool, timeout: int = 180) -> dict[str, str]:
        """The DashScope gateway headers of docs/protocol.md#s1-4."""
        now = int(time.time() * 1000)
        return {
            "content-type": content_type,
            "x-request-id": self.request_id,
            "x-dashscope-call-gateway": "true",
            "x-dashscope-timeout": str(timeout),
            "x-dashscope-finished": "true" if finished else "false",
            "req-cost-time": str(max(0, now - self.arrive_ms)),
            "req-arrive-time": str(self.arrive_ms),
            "resp-start-time": str(now),
            "x-envoy-upstream-service-time": str(max(0, now - self.arrive_ms)),
            "server": "istio-envoy",
        }


@dataclass
class JsonPlan:
    """A complete response with a body (sent in one write)."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class StreamPlan:
    """An SSE response: ``events`` are complete wire events (sent one chunk each).

    ``error_event(n, code, message, status)`` builds an error event to send as event number ``n`` (1-based),
    ``malformed_event(n)`` an event whose data line is not valid JSON.
    """

    status: int
    headers: dict[str, str]
    events: list[bytes]
    error_event: Callable[[int, str, str, int], bytes]
    malformed_event: Callable[[int], bytes]


Plan = JsonPlan | StreamPlan


def json_answer(ctx: Context, payload: Any) -> JsonPlan:
    """A successful JSON answer: ``200``, the service's headers, ``payload`` as compact JSON."""
    return JsonPlan(200, ctx.service_headers(JSON_TYPE, finished=True), dumps(payload))
