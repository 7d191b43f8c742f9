"""What both wire protocols do alike: each call is a JSON ``POST`` with the protocol's headers, and every answer
is parsed by one of the protocol module's pure functions. A protocol names its URLs, payload builders and parsers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from qwen_core.catalogue import ModelInfo
from qwen_core.protocols._errors import error_from_body
from qwen_core.protocols._http import post_json
from qwen_core.protocols.base import WireRequest
from qwen_core.settings import QwenSettings
from qwen_core.types import Api, ChatRequest, EmbeddingRequest, RerankRequest


class JsonProtocol:
    """A :class:`~qwen_core.protocols.base.WireProtocol` built from a protocol module's functions."""

    name: Api
    #: Whether a complete stream ends with ``data: [DONE]`` (compatible) or with a finish reason only (native).
    stream_requires_done: bool
    #: Whether requests carry the native API's headers (its stream switch is a header, docs/protocol.md#q2).
    native: ClassVar[bool]

    parse_error = staticmethod(error_from_body)

    @staticmethod
    def chat_payload(request: ChatRequest, info: ModelInfo, *, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def embedding_payload(request: EmbeddingRequest) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def rerank_payload(request: RerankRequest) -> dict[str, Any]:
        raise NotImplementedError

    def chat_url(self, request: ChatRequest, settings: QwenSettings, info: ModelInfo) -> str:
        raise NotImplementedError

    def embedding_url(self, settings: QwenSettings) -> str:
        raise NotImplementedError

    def rerank_url(self, settings: QwenSettings) -> str:
        raise NotImplementedError

    def build_chat(self, request: ChatRequest, settings: QwenSettings, info: ModelInfo, *, stream: bool) -> WireRequest:
        return post_json(
            self.chat_url(request, settings, info),
            settings,
            self.chat_payload(request, info, stream=stream),
            native=self.native,
            stream=stream,
            timeout=request.timeout,
            extra_headers=request.extra_headers,
        )

    def build_embedding(self, request: EmbeddingRequest, settings: QwenSettings) -> WireRequest:
        return post_json(self.embedding_url(settings), settings, self.embedding_payload(request), native=self.native)

    def build_rerank(self, request: RerankRequest, settings: QwenSettings) -> WireRequest:
        return post_json(self.rerank_url(settings), settings, self.rerank_payload(request), native=self.native)
