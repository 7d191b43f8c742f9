"""The interface both wire protocols implement: pure functions from neutral types to wire bytes and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from qwen_core.catalogue import ModelInfo
from qwen_core.errors import APIStatusError
from qwen_core.settings import QwenSettings
from qwen_core.sse import SSEEvent
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

__all__ = ["WireProtocol", "WireRequest"]


@dataclass(frozen=True, slots=True)
class WireRequest:
    """An HTTP request ready to send: absolute URL, headers (incl. auth), the body as bytes, and the method.

    ``timeout``: this request's read timeout in seconds (a per-call timeout); None uses the settings'.
    ``method``: calls are ``POST`` with a JSON body; the Batch API's file and batch endpoints also ``GET``.
    """

    url: str
    headers: Mapping[str, str]
    body: bytes
    stream: bool = False
    timeout: float | None = None
    method: str = "POST"


class WireProtocol(Protocol):
    """One DashScope wire protocol. Every method is pure: no I/O, no global state."""

    name: Api
    #: Whether a complete stream ends with ``data: [DONE]`` (compatible) or with a finish reason only (native).
    stream_requires_done: bool

    def build_chat(
        self, request: ChatRequest, settings: QwenSettings, info: ModelInfo, *, stream: bool
    ) -> WireRequest:
        """Build the HTTP request for a chat call (``stream`` selects SSE)."""
        ...

    def parse_chat(self, body: bytes, *, status: int = 200, headers: Mapping[str, str] | None = None) -> ChatResult:
        """Parse a non-streamed chat response body."""
        ...

    def parse_stream_event(self, event: SSEEvent) -> tuple[ChatDelta, ...]:
        """Parse one SSE event into zero or more deltas (one per choice); raise the typed error of an
        in-stream error event; return ``()`` for events that carry nothing (``[DONE]``, keep-alives)."""
        ...

    def parse_error(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> APIStatusError:
        """Map an error response (JSON, or an SSE-formatted error body) to a typed error."""
        ...

    def build_embedding(self, request: EmbeddingRequest, settings: QwenSettings) -> WireRequest: ...

    def parse_embedding(self, body: bytes) -> EmbeddingResult: ...

    def build_rerank(self, request: RerankRequest, settings: QwenSettings) -> WireRequest: ...

    def parse_rerank(self, body: bytes) -> RerankResult: ...
