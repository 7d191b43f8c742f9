"""`QwenClient`: the framework-free entry point that adapters build on.

It validates a neutral request against the service's rules and the model catalogue, builds the wire request
with the chosen protocol, sends it through the transport and parses the answer. The sync and async methods
share every step except the I/O.

Example:
    >>> from qwen_core.client import QwenClient
    >>> from qwen_core.emulator import Emulator
    >>> from qwen_core.types import ChatRequest, Message
    >>> with Emulator() as emu:
    ...     client = QwenClient(api_key="sk-test", base_url=emu.base_url)
    ...     result = client.chat(ChatRequest(model="qwen-plus", messages=[Message("user", "Hello")]))
    ...     client.close()
    >>> bool(result.text)
    True
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping
from contextlib import aclosing, closing
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qwen_core.catalogue import DEFAULT_CATALOGUE, ModelCatalogue, ModelInfo
from qwen_core.errors import ConfigurationError
from qwen_core.forced_output import ForcedOutputPlan, GuidedCall, plan_forced_output, result_deltas
from qwen_core.protocols.base import WireProtocol, WireRequest
from qwen_core.rules import requires_stream, validate_chat_request, validate_stream_request
from qwen_core.settings import QwenSettings, SecretStr
from qwen_core.stream_parser import DEFAULT_MAX_EVENT_BYTES, StreamParser
from qwen_core.streaming import StreamAccumulator
from qwen_core.transport import async_transport, sync_transport
from qwen_core.types import (
    Api,
    ChatDelta,
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    RerankRequest,
    RerankResult,
)
from qwen_core.validation import validate_request_values

if TYPE_CHECKING:
    from qwen_core.batch.client import BatchClient


__all__ = ["QwenClient", "protocol_for"]


def protocol_for(api: Api) -> WireProtocol:
    """The wire protocol object for ``api`` (``"compatible"`` or ``"dashscope"``)."""
    if api == "compatible":
        from qwen_core.protocols.compatible import CompatibleProtocol

        return CompatibleProtocol()
    if api == "dashscope":
        from qwen_core.protocols.native import NativeProtocol

        return NativeProtocol()
    raise ConfigurationError(f"unknown api {api!r}; use 'compatible' (OpenAI-compatible endpoint) or 'dashscope'")


class QwenClient:
    """A client for Qwen chat, embedding and rerank calls over either wire protocol.

    Args:
        settings: resolved settings; when omitted they are resolved from ``settings_kwargs`` and the environment
            (see :meth:`QwenSettings.resolve`: ``api_key``, ``region``, ``base_url``, ``workspace``, ``timeout``,
            ``total_timeout``, ``max_retries``, ``extra_headers``, ``proxy``, ``verify``, ``cert``,
            ``http_client``, ``http_async_client``).
        api: ``"compatible"`` (the OpenAI-compatible endpoint, default) or ``"dashscope"`` (the native API).
        catalogue: the model catalogue to consult (defaults to the built-in one).

    A stream is complete only when the protocol says so (see :mod:`qwen_core.stream_parser`); otherwise it raises
    :class:`~qwen_core.errors.IncompleteStreamError` (with ``partial``) after yielding every delta received. One
    stream event may hold at most :attr:`max_event_bytes` (set it on the instance to change the cap).
    """

    #: Cap on one stream event's size (:class:`~qwen_core.errors.StreamEventTooLargeError` above it): 16 MiB.
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES

    def __init__(
        self,
        settings: QwenSettings | None = None,
        *,
        api: Api = "compatible",
        catalogue: ModelCatalogue | None = None,
        **settings_kwargs: Any,
    ) -> None:
        if isinstance(settings_kwargs.get("api_key"), str):  # no raw key in this frame's locals if resolving fails
            settings_kwargs["api_key"] = SecretStr(settings_kwargs["api_key"])
        self.settings = settings if settings is not None else QwenSettings.resolve(**settings_kwargs)
        self.api: Api = api
        self.protocol = protocol_for(api)
        self.catalogue = DEFAULT_CATALOGUE if catalogue is None else catalogue
        self._sync = sync_transport(self.settings)
        self._async = async_transport(self.settings)

    def __repr__(self) -> str:
        # safe on a half-built client too: tracebacks rendered with locals repr ``self`` of a failing __init__
        settings = getattr(self, "settings", None)
        return f"QwenClient(api={getattr(self, 'api', None)!r}, root_url={getattr(settings, 'root_url', None)!r})"

    @property
    def batch(self) -> BatchClient:
        """The service's Batch API (files and batches on the compatible endpoint), over this client's pools."""
        from qwen_core.batch.client import BatchClient

        return BatchClient(self.settings, self._sync, self._async)

    # -- preparation (pure, shared) ---------------------------------------------------------------

    def model_info(self, model: str, overrides: Mapping[str, Any] | None = None) -> ModelInfo:
        """Catalogue facts for ``model``, with optional field overrides."""
        return self.catalogue.chat_model(model, **(overrides or {}))

    def prepare_chat(self, request: ChatRequest, info: ModelInfo | None = None, *, stream: bool) -> WireRequest:
        """Validate ``request`` and build its wire request (raises before any I/O on bad input)."""
        validate_request_values(request)
        return self._build_chat(request, info or self.model_info(request.model), stream=stream)

    def _build_chat(self, request: ChatRequest, info: ModelInfo, *, stream: bool) -> WireRequest:
        """The service's rules for ``request`` (its values were checked on entry), then its wire request."""
        validate_chat_request(request, info, self.api)
        if stream:
            validate_stream_request(request, self.api)
        return self.protocol.build_chat(request, self.settings, info, stream=stream)

    def _plan(self, request: ChatRequest, info: ModelInfo | None) -> tuple[ModelInfo, ForcedOutputPlan]:
        """Entry of every chat call: argument types and ranges checked, model facts, the forced-output plan."""
        validate_request_values(request)
        info = info or self.model_info(request.model)
        return info, plan_forced_output(request, info)

    def _with_model(self, result: ChatResult, request: ChatRequest) -> ChatResult:
        return result if result.model else replace(result, model=request.model)

    # -- chat -------------------------------------------------------------------------------------

    def chat(self, request: ChatRequest, info: ModelInfo | None = None) -> ChatResult:
        """One complete answer. Thinking requests (which the service only serves streamed) stream internally.

        A forced tool call or a JSON format follows :mod:`qwen_core.forced_output`'s policy (thinking off for
        that call on hybrid models; otherwise checked, corrected and retried, raising
        :class:`~qwen_core.errors.ModelNonComplianceError` when the model never complies).
        """
        info, plan = self._plan(request, info)
        if not plan.guided:
            return self._chat_once(plan.request, info)
        guide = GuidedCall(plan, request.model)
        while (attempt := guide.next_request()) is not None:
            done = guide.accept(self._chat_once(attempt, info))
            if done is not None:
                return done
        raise guide.failure()

    def _chat_once(self, request: ChatRequest, info: ModelInfo) -> ChatResult:
        if requires_stream(request, info):
            accumulator = StreamAccumulator()
            for delta in self._stream_once(request, info):
                accumulator.add(delta)
            return self._with_model(accumulator.result(), request)
        wire = self._build_chat(request, info, stream=False)
        body = self._sync.send(wire, self.protocol.parse_error)
        return self._with_model(self.protocol.parse_chat(body), request)

    def stream(self, request: ChatRequest, info: ModelInfo | None = None) -> Generator[ChatDelta, None, None]:
        """Yield deltas as the service produces them; the connection is released if iteration stops early.

        A guided request (see :meth:`chat`) yields its checked answer once it is complete.
        """
        info, plan = self._plan(request, info)
        if plan.guided:
            yield from result_deltas(self.chat(request, info))
            return
        yield from self._stream_once(plan.request, info)

    def _stream_once(self, request: ChatRequest, info: ModelInfo) -> Generator[ChatDelta, None, None]:
        wire = self._build_chat(request, info, stream=True)
        parser = StreamParser(self.protocol, max_event_bytes=self.max_event_bytes)
        with closing(self._sync.stream(wire, self.protocol.parse_error)) as chunks:
            for chunk in chunks:
                yield from parser.feed(chunk)
        yield from parser.flush()

    async def achat(self, request: ChatRequest, info: ModelInfo | None = None) -> ChatResult:
        """Async :meth:`chat` (native asyncio)."""
        info, plan = self._plan(request, info)
        if not plan.guided:
            return await self._achat_once(plan.request, info)
        guide = GuidedCall(plan, request.model)
        while (attempt := guide.next_request()) is not None:
            done = guide.accept(await self._achat_once(attempt, info))
            if done is not None:
                return done
        raise guide.failure()

    async def _achat_once(self, request: ChatRequest, info: ModelInfo) -> ChatResult:
        if requires_stream(request, info):
            accumulator = StreamAccumulator()
            async for delta in self._astream_once(request, info):
                accumulator.add(delta)
            return self._with_model(accumulator.result(), request)
        wire = self._build_chat(request, info, stream=False)
        body = await self._async.send(wire, self.protocol.parse_error)
        return self._with_model(self.protocol.parse_chat(body), request)

    async def astream(
        self, request: ChatRequest, info: ModelInfo | None = None
    ) -> AsyncGenerator[ChatDelta, None]:
        """Async :meth:`stream` (native asyncio); cancelling or closing early releases the connection."""
        info, plan = self._plan(request, info)
        if plan.guided:
            for delta in result_deltas(await self.achat(request, info)):
                yield delta
            return
        async with aclosing(self._astream_once(plan.request, info)) as deltas:
            async for delta in deltas:
                yield delta

    async def _astream_once(self, request: ChatRequest, info: ModelInfo) -> AsyncGenerator[ChatDelta, None]:
        wire = self._build_chat(request, info, stream=True)
        parser = StreamParser(self.protocol, max_event_bytes=self.max_event_bytes)
        async with aclosing(self._async.stream(wire, self.protocol.parse_error)) as chunks:
            async for chunk in chunks:
                for delta in parser.feed(chunk):
                    yield delta
        for delta in parser.flush():
            yield delta

    # -- embeddings and rerank --------------------------------------------------------------------

    def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        """Embed one batch (at most the model's batch size) in one request."""
        body = self._sync.send(self.protocol.build_embedding(request, self.settings), self.protocol.parse_error)
        return self.protocol.parse_embedding(body)

    async def aembed(self, request: EmbeddingRequest) -> EmbeddingResult:
        wire = self.protocol.build_embedding(request, self.settings)
        return self.protocol.parse_embedding(await self._async.send(wire, self.protocol.parse_error))

    def rerank(self, request: RerankRequest) -> RerankResult:
        body = self._sync.send(self.protocol.build_rerank(request, self.settings), self.protocol.parse_error)
        return self.protocol.parse_rerank(body)

    async def arerank(self, request: RerankRequest) -> RerankResult:
        wire = self.protocol.build_rerank(request, self.settings)
        return self.protocol.parse_rerank(await self._async.send(wire, self.protocol.parse_error))

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connection pool."""
        self._sync.close()

    async def aclose(self) -> None:
        """Close the sync pool and this event loop's async pool."""
        self._sync.close()
        await self._async.aclose()

    def __enter__(self) -> QwenClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> QwenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
