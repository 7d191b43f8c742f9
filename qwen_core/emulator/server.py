"""The :class:`Emulator`: routing, auth, scripting and faults on top of the asyncio HTTP server."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import replace
from types import TracebackType
from typing import Any

from qwen_core import tokenizer
from qwen_core.emulator import compat, native, vectors
from qwen_core.emulator.batches import BatchService, BatchTiming, is_batch_path
from qwen_core.emulator.cache import SENTINEL_ID, PlanCache
from qwen_core.emulator.errors import EmulatedError
from qwen_core.emulator.http import HTTPProtocol, Request, ResponseWriter
from qwen_core.emulator.plan import JSON_TYPE, Context, JsonPlan, Plan, StreamPlan
from qwen_core.emulator.prompt_cache import MIN_BODY_BYTES, PromptCache
from qwen_core.emulator.ratelimit import RequestRateLimit, retry_headers
from qwen_core.emulator.script import (
    Disconnect,
    Disobey,
    DropConnection,
    HTTPFault,
    MalformedJSON,
    MalformedSSE,
    ProtocolName,
    RawResponse,
    RecordedRequest,
    RequestLog,
    Script,
    ScriptedReply,
    ScriptItem,
    SlowFirstByte,
    StreamError,
)

Route = Callable[[Context], Plan]
_CHAT_PATHS = frozenset({
    "/api/v1/services/aigc/text-generation/generation",
    "/api/v1/services/aigc/multimodal-generation/generation",
    "/compatible-mode/v1/chat/completions",
})
ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/v1/services/aigc/text-generation/generation"): lambda c: native.generation(c, "text"),
    ("POST", "/api/v1/services/aigc/multimodal-generation/generation"): lambda c: native.generation(c, "multimodal"),
    ("POST", "/api/v1/services/embeddings/text-embedding/text-embedding"): vectors.native_embeddings,
    ("POST", "/api/v1/services/rerank/text-rerank/text-rerank"): vectors.native_rerank,
    ("POST", "/api/v1/tokenizer"): native.tokenize,
    ("GET", "/api/v1/uploads"): native.upload_policy,
    ("POST", "/compatible-mode/v1/chat/completions"): compat.chat_completions,
    ("POST", "/compatible-mode/v1/embeddings"): vectors.compat_embeddings,
    ("POST", "/compatible-api/v1/reranks"): vectors.compat_rerank,
}


def protocol_of(path: str) -> ProtocolName:
    """``compatible`` for ``/compatible-mode`` and ``/compatible-api`` paths, else ``native``."""
    return "compatible" if path.startswith("/compatible-") else "native"


def _wants_native_stream(request: Request) -> bool:
    headers = request.headers
    return headers.get("x-dashscope-sse", "").lower() == "enable" or "text/event-stream" in headers.get("accept", "")


class Emulator:
    """An offline DashScope (Qwen) service on loopback: native + OpenAI-compatible protocols, scriptable.

    Example:
        >>> import httpx
        >>> from qwen_core.emulator import Emulator, ScriptedReply
        >>> with Emulator() as emu:
        ...     emu.enqueue(ScriptedReply(text="Hello from the emulator"))
        ...     r = httpx.post(emu.compatible_base + "/chat/completions",
        ...                    headers={"Authorization": "Bearer sk-test"},
        ...                    json={"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]})
        ...     r.json()["choices"][0]["message"]["content"]
        'Hello from the emulator'

    Use it as a sync context manager (the server runs on its own event loop in a daemon thread), with
    :meth:`start` / :meth:`stop`, or as ``async with Emulator() as emu`` to serve on the running loop.

    Args:
        host: interface to bind (loopback by default).
        port: TCP port; 0 picks a free one (see :attr:`port` after start).
        api_keys: accepted keys; None accepts any non-empty ``Authorization: Bearer`` key.
        latency: seconds to wait before every response.
        chunk_interval: seconds to wait between stream events.
        compat_stream_errors_as_sse: compatible stream requests that fail validation get an SSE-formatted
            error body (as observed, docs/protocol.md#q25) instead of plain JSON.
        batch_timing: seconds a Batch API job spends in each state (accelerated: about one second in all by
            default); see :class:`~qwen_core.emulator.batches.BatchTiming`.
        tls: serve HTTPS with this server-side ``ssl.SSLContext`` (e.g. from ``trustme``); ``base_url`` is then
            ``https://...``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_keys: Collection[str] | None = None,
                 latency: float = 0.0, chunk_interval: float = 0.0, compat_stream_errors_as_sse: bool = True,
                 batch_timing: BatchTiming | None = None, tls: ssl.SSLContext | None = None,
                 requests_per_minute: int | None = None) -> None:
        self.host = host
        self.tls = tls
        self.port = port
        self.api_keys = frozenset(api_keys) if api_keys is not None else None
        self.latency = latency
        self.chunk_interval = chunk_interval
        self.compat_stream_errors_as_sse = compat_stream_errors_as_sse
        self.requests = RequestLog()
        self.script = Script()
        self.batches = BatchService(batch_timing, self.script)
        self.rate_limit = RequestRateLimit(requests_per_minute) if requests_per_minute else None
        self._cache = PlanCache()
        self.prompt_cache = PromptCache()
        self._conn_lock = threading.Lock()
        self._connections_opened = 0
        self._open: set[HTTPProtocol] = set()
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- addresses and state
    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` (``https://`` when serving TLS)."""
        return f"{'https' if self.tls is not None else 'http'}://{self.host}:{self.port}"

    @property
    def native_base(self) -> str:
        """``{base_url}/api/v1`` (the dashscope SDK's ``base_address``)."""
        return self.base_url + "/api/v1"

    @property
    def compatible_base(self) -> str:
        """``{base_url}/compatible-mode/v1`` (the OpenAI SDK's ``base_url``)."""
        return self.base_url + "/compatible-mode/v1"

    @property
    def connections_opened(self) -> int:
        """How many TCP connections were accepted since start (or :meth:`reset`)."""
        with self._conn_lock:
            return self._connections_opened

    def enqueue(self, *items: ScriptItem, path: str | None = None, protocol: ProtocolName | None = None) -> None:
        """Queue scripted replies, raw responses or faults for the next matching request(s), in order.

        Args:
            items: each is consumed by one request.
            path: only requests whose path starts with this.
            protocol: only ``"native"`` or only ``"compatible"`` requests.
        """
        self.script.add(items, path, protocol)

    def reset(self) -> None:
        """Forget logged requests, queued items, remembered prompts (the prompt cache) and the connection count."""
        self.requests.clear()
        self.script.clear()
        self.prompt_cache.clear()
        with self._conn_lock:
            self._connections_opened = 0

    # ----------------------------------------------------------------- lifecycle
    async def start_async(self) -> Emulator:
        """Start serving on the running event loop."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, tokenizer.get_encoding)  # load the vocabulary once, off the loop
        self._server = await loop.create_server(self._make_protocol, self.host, self.port, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop_async(self) -> None:
        """Stop serving and close every open connection."""
        if self._server is not None:
            self._server.close()
            for proto in list(self._open):
                proto.close()
            await self._server.wait_closed()
            self._server = None
        self.batches.close()

    def start(self) -> Emulator:
        """Start the server on a private event loop in a daemon thread; returns once it listens."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        errors: list[BaseException] = []
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self.start_async())
            except BaseException as exc:  # report bind errors to the caller
                errors.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="qwen-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            self._thread = None
            raise errors[0]
        return self

    def stop(self) -> None:
        """Stop the background server (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop_async(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        return await self.start_async()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop_async()

    def _make_protocol(self) -> HTTPProtocol:
        return HTTPProtocol(self._handle, self._opened, self._open.discard)

    def _opened(self, proto: HTTPProtocol) -> None:
        self._open.add(proto)
        with self._conn_lock:
            self._connections_opened += 1

    # ----------------------------------------------------------------- request handling
    async def _handle(self, request: Request, writer: ResponseWriter) -> None:
        body = _parse_json(request.body)
        self.requests.append(RecordedRequest(request.method, request.path, request.query, dict(request.headers),
                                             request.body, body))
        protocol = protocol_of(request.path)
        if request.method == "POST" and request.path == "/oss-upload":
            writer.send(200, {"content-type": "text/plain", "server": "AliyunOSS"}, b"")
            return
        item = self.script.take(request.path, protocol, request.path in _CHAT_PATHS)
        if isinstance(item, DropConnection):
            writer.abort()
            return
        if isinstance(item, SlowFirstByte):
            await asyncio.sleep(item.delay)
        if self.latency:
            await asyncio.sleep(self.latency)
        ctx = Context(request, body, str(uuid.uuid4()), self.base_url,
                      item if isinstance(item, (ScriptedReply, Disobey)) else None, compat_stream_errors_as_sse=
                      self.compat_stream_errors_as_sse, prompt_cache=self._prompt_cache_of(request))
        plan = self._plan(ctx, protocol, item)
        if isinstance(plan, JsonPlan):
            if isinstance(item, MalformedJSON):
                plan.body = plan.body[: max(1, len(plan.body) // 2)]
            writer.send(plan.status, plan.headers, plan.body)
            return
        await self._stream(plan, writer, item)

    def _plan(self, ctx: Context, protocol: ProtocolName, item: ScriptItem | None) -> Plan:
        request = ctx.request
        if isinstance(item, RawResponse):
            return JsonPlan(item.status, dict(item.headers), item.body)
        stream = _wants_native_stream(request) if protocol == "native" else \
            isinstance(ctx.body, dict) and ctx.body.get("stream") is True
        auth = self._auth_error(request)
        if auth is not None:
            return self._error(ctx, protocol, auth, stream=False)
        if isinstance(item, HTTPFault):
            plan = self._error(ctx, protocol, EmulatedError(item.status, item.code, item.message), stream=False)
            if item.retry_after is not None and isinstance(plan, JsonPlan):
                plan.headers["retry-after"] = f"{item.retry_after:g}"
            return plan
        if is_batch_path(request.path):
            return self.batches.handle(ctx)  # stateful: never cached
        throttled = self._throttled(ctx, protocol)
        if throttled is not None:
            return throttled
        route = ROUTES.get((request.method, request.path))
        if route is None:
            not_found = EmulatedError(404, "NotFound", f"Not found: {request.path}")
            return self._error(ctx, protocol, not_found, stream=False)
        if not isinstance(ctx.body, dict) and request.method == "POST":
            err = EmulatedError(400, "InvalidParameter", "Required body invalid, please check the request body format.")
            return self._error(ctx, protocol, err, stream)
        if item is not None or ctx.prompt_cache is not None:
            return route(ctx)  # scripted, or its cached-token count depends on earlier requests
        key = (request.method, request.path, request.query, stream, request.body)
        cached = self._cache.get(key, ctx.request_id)
        if cached is not None:
            return cached
        plan = route(replace(ctx, request_id=SENTINEL_ID))
        self._cache.put(key, plan)
        return self._cache.get(key, ctx.request_id) or route(ctx)

    def _prompt_cache_of(self, request: Request) -> Callable[[Any], int] | None:
        """The implicit prompt cache for a chat request long enough to hit it (per API key), else None."""
        if request.path not in _CHAT_PATHS or len(request.body) < MIN_BODY_BYTES:
            return None
        scope = request.headers.get("authorization", "")
        return lambda req: self.prompt_cache.observe(scope, req)

    def _error(self, ctx: Context, protocol: ProtocolName, err: EmulatedError, stream: bool) -> Plan:
        if protocol == "compatible":
            return compat.error_plan(ctx, err, stream)
        return native.error_plan(ctx, err, stream)

    def _throttled(self, ctx: Context, protocol: ProtocolName) -> Plan | None:
        """The 429 of a model call over ``requests_per_minute`` (per key and model), else None."""
        if self.rate_limit is None or ctx.request.method != "POST":
            return None
        model = ctx.body.get("model") if isinstance(ctx.body, dict) else None
        key = ctx.request.headers.get("authorization", "")
        wait = self.rate_limit.take((key, str(model)))
        if wait is None:
            return None
        err = EmulatedError(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
        plan = self._error(ctx, protocol, err, stream=False)
        if isinstance(plan, JsonPlan):
            plan.headers.update(retry_headers(wait))
        return plan

    def _auth_error(self, request: Request) -> EmulatedError | None:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or (self.api_keys is not None and key not in self.api_keys):
            return EmulatedError(401, "InvalidApiKey", "Invalid API-key provided.", "invalid_api_key")
        return None

    async def _stream(self, plan: StreamPlan, writer: ResponseWriter, item: ScriptItem | None) -> None:
        events = plan.events
        cut: int | None = None
        tail: bytes | None = None
        if isinstance(item, Disconnect):
            cut = item.after_events
        elif isinstance(item, StreamError):
            cut = item.after_events
            tail = plan.error_event(item.after_events + 1, item.code, item.message, item.status)
        elif isinstance(item, MalformedSSE):
            events = [*events[: item.after_events], plan.malformed_event(item.after_events + 1),
                      *events[item.after_events:]]
        writer.start_chunked(plan.status, plan.headers)
        for i, event in enumerate(events if cut is None else events[:cut]):
            if i and self.chunk_interval:
                await asyncio.sleep(self.chunk_interval)
            await writer.chunk(event)
        if isinstance(item, Disconnect):
            writer.abort()
            return
        if tail is not None:
            await writer.chunk(tail)
        writer.end_chunked()


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


__all__ = ["JSON_TYPE", "ROUTES", "Emulator", "protocol_of"]
