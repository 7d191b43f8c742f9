"""Model facts as data: limits and capabilities per model, with safe defaults and user overrides.

Look a model up with :func:`get_model_info`; snapshot names (``qwen-plus-2025-07-28``) and ``-latest``
aliases resolve to their family entry. Unknown models get conservative defaults (no thinking, tools allowed,
json_object only, text endpoint). Register or override entries with :meth:`ModelCatalogue.register`, or pass
``model_info=`` to a client; user entries win over built-in ones.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

ThinkingMode = Literal["none", "hybrid", "thinking_only"]
NativeEndpoint = Literal["text", "multimodal"]

_SNAPSHOT_SUFFIX = re.compile(r"-(latest|\d{4}-\d{2}-\d{2}|\d{4})$")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What one chat model can do and how large its windows are (tokens)."""

    name: str
    context_window: int = 131_072
    max_input_tokens: int = 129_024
    max_output_tokens: int = 8_192
    supports_tools: bool = True
    supports_vision: bool = False
    thinking: ThinkingMode = "none"
    thinking_default: bool = False
    max_thinking_tokens: int | None = None
    supports_json_object: bool = True
    supports_json_schema: bool = False
    native_endpoint: NativeEndpoint = "text"
    supports_search: bool = False
    supports_n: bool = False
    supports_logprobs: bool = False
    known: bool = True

    def thinking_enabled(self, enable_thinking: bool | None) -> bool:
        """Whether a request with this ``enable_thinking`` value runs in thinking mode."""
        if self.thinking == "thinking_only":
            return True
        if self.thinking == "hybrid":
            return self.thinking_default if enable_thinking is None else enable_thinking
        return False


@dataclass(frozen=True, slots=True)
class EmbeddingModelInfo:
    """Limits of one text-embedding model."""

    name: str
    dimensions: tuple[int, ...] = (1024,)
    default_dimension: int = 1024
    max_batch: int = 10
    max_tokens_per_text: int = 8_192
    known: bool = True


@dataclass(frozen=True, slots=True)
class RerankModelInfo:
    """Limits of one rerank model."""

    name: str
    max_documents: int = 500
    max_tokens_per_document: int = 4_000
    max_tokens_per_request: int = 30_000
    supports_instruct: bool = False
    known: bool = True


_QWEN3_OPEN = dict(
    context_window=131_072, max_input_tokens=129_024, max_output_tokens=16_384, thinking="hybrid",
    thinking_default=True, max_thinking_tokens=38_912, supports_logprobs=True, supports_n=True,
)
_CHAT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("qwen-max", 32_768, 30_720, 8_192, supports_search=True, supports_logprobs=True),
    ModelInfo(
        "qwen-plus", 1_000_000, 997_952, 32_768, thinking="hybrid", max_thinking_tokens=81_920,
        supports_json_schema=True, supports_search=True, supports_n=True, supports_logprobs=True,
    ),
    ModelInfo(
        "qwen-turbo", 131_072, 98_304, 16_384, thinking="hybrid", max_thinking_tokens=38_912,
        supports_logprobs=True, supports_n=True,
    ),
    ModelInfo(
        "qwen-flash", 1_000_000, 997_952, 32_768, thinking="hybrid", max_thinking_tokens=81_920,
        supports_json_schema=True, supports_search=True,
    ),
    ModelInfo("qwen-long", 10_000_000, 10_000_000, 32_768, supports_tools=False),
    ModelInfo(
        "qwen3-max", 262_144, 258_048, 65_536, supports_json_schema=True, supports_search=True,
    ),
    ModelInfo("qwen3-coder-plus", 1_048_576, 1_000_000, 65_536),
    ModelInfo("qwq-plus", 131_072, 98_304, 8_192, thinking="thinking_only", thinking_default=True,
              max_thinking_tokens=32_768, supports_json_object=False, supports_search=True),
    ModelInfo("qvq-max", 131_072, 106_496, 8_192, supports_tools=False, supports_vision=True,
              thinking="thinking_only", thinking_default=True, max_thinking_tokens=16_384,
              supports_json_object=False, native_endpoint="multimodal"),
    ModelInfo("qwen-vl-max", 131_072, 129_024, 8_192, supports_tools=False, supports_vision=True,
              native_endpoint="multimodal"),
    ModelInfo("qwen-vl-plus", 131_072, 129_024, 8_192, supports_tools=False, supports_vision=True,
              native_endpoint="multimodal"),
    ModelInfo("qwen3-vl-plus", 262_144, 260_096, 32_768, supports_vision=True, thinking="hybrid",
              max_thinking_tokens=81_920, native_endpoint="multimodal"),
    ModelInfo("qwen3-vl-flash", 262_144, 260_096, 32_768, supports_vision=True, thinking="hybrid",
              max_thinking_tokens=81_920, native_endpoint="multimodal"),
    ModelInfo("qwen3.5-plus", 1_000_000, 991_808, 65_536, supports_vision=True, thinking="hybrid",
              thinking_default=True, max_thinking_tokens=81_920, native_endpoint="multimodal",
              supports_search=True),
    ModelInfo("qwen3-235b-a22b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-32b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-30b-a3b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-14b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-8b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-4b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-1.7b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-0.6b", **_QWEN3_OPEN),  # type: ignore[arg-type]
    ModelInfo("qwen3-235b-a22b-thinking-2507", 131_072, 126_976, 32_768, thinking="thinking_only",
              thinking_default=True, max_thinking_tokens=81_920, supports_json_object=False),
    ModelInfo("qwen3-235b-a22b-instruct-2507", 131_072, 129_024, 32_768, supports_logprobs=True),
    ModelInfo("qwen3-next-80b-a3b-thinking", 131_072, 126_976, 32_768, thinking="thinking_only",
              thinking_default=True, max_thinking_tokens=81_920, supports_json_object=False),
    ModelInfo("qwen3-next-80b-a3b-instruct", 131_072, 129_024, 32_768),
)

_EMBEDDING_MODELS: tuple[EmbeddingModelInfo, ...] = (
    EmbeddingModelInfo("text-embedding-v4", (2048, 1536, 1024, 768, 512, 256, 128, 64), 1024, 10, 8_192),
    EmbeddingModelInfo("text-embedding-v3", (1024, 768, 512, 256, 128, 64), 1024, 10, 8_192),
    EmbeddingModelInfo("text-embedding-v2", (1536,), 1536, 25, 2_048),
    EmbeddingModelInfo("text-embedding-v1", (1536,), 1536, 25, 2_048),
)

_RERANK_MODELS: tuple[RerankModelInfo, ...] = (
    RerankModelInfo("gte-rerank-v2", 500, 4_000, 30_000),
    RerankModelInfo("gte-rerank", 500, 4_000, 30_000),
    RerankModelInfo("qwen3-rerank", 500, 4_000, 120_000, supports_instruct=True),
)


class ModelCatalogue:
    """A lookup table of model facts; user registrations override the built-in entries."""

    def __init__(
        self,
        chat: Iterable[ModelInfo] = _CHAT_MODELS,
        embedding: Iterable[EmbeddingModelInfo] = _EMBEDDING_MODELS,
        rerank: Iterable[RerankModelInfo] = _RERANK_MODELS,
    ) -> None:
        self._lock = threading.Lock()
        self._chat: dict[str, ModelInfo] = {m.name: m for m in chat}
        self._embedding: dict[str, EmbeddingModelInfo] = {m.name: m for m in embedding}
        self._rerank: dict[str, RerankModelInfo] = {m.name: m for m in rerank}
        self._resolved: dict[tuple[str, tuple[tuple[str, Any], ...]], ModelInfo] = {}  # per-call lookups, memoised

    def register(self, info: ModelInfo | EmbeddingModelInfo | RerankModelInfo) -> None:
        """Add or replace an entry (the user's word wins over the built-in table)."""
        with self._lock:
            self._resolved.clear()
            if isinstance(info, ModelInfo):
                self._chat[info.name] = info
            elif isinstance(info, EmbeddingModelInfo):
                self._embedding[info.name] = info
            else:
                self._rerank[info.name] = info

    def chat_model(self, name: str, **overrides: Any) -> ModelInfo:
        """Facts for chat model ``name`` (family entry for snapshots; defaults when unknown)."""
        key = (name, tuple(sorted(overrides.items())))
        try:
            return self._resolved[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable override value: resolve without memoising
            return self._resolve_chat(name, overrides)
        resolved = self._resolved[key] = self._resolve_chat(name, overrides)
        return resolved

    def _resolve_chat(self, name: str, overrides: dict[str, Any]) -> ModelInfo:
        info = _lookup(self._chat, name)
        base = replace(info, name=name) if info is not None else ModelInfo(name, known=False)
        return replace(base, **overrides) if overrides else base

    def embedding_model(self, name: str) -> EmbeddingModelInfo:
        info = _lookup(self._embedding, name)
        return replace(info, name=name) if info is not None else EmbeddingModelInfo(name, known=False)

    def rerank_model(self, name: str) -> RerankModelInfo:
        info = _lookup(self._rerank, name)
        return replace(info, name=name) if info is not None else RerankModelInfo(name, known=False)

    def chat_models(self) -> Mapping[str, ModelInfo]:
        return dict(self._chat)


def _lookup(table: Mapping[str, Any], name: str) -> Any:
    key = name.strip().lower()
    while True:
        if key in table:
            return table[key]
        shorter = _SNAPSHOT_SUFFIX.sub("", key)
        if shorter == key:
            return None
        key = shorter


#: The default catalogue used when a client is not given its own.
DEFAULT_CATALOGUE = ModelCatalogue()


def get_model_info(name: str, **overrides: Any) -> ModelInfo:
    """Facts for chat model ``name`` from the default catalogue, with optional field overrides."""
    return DEFAULT_CATALOGUE.chat_model(name, **overrides)


def get_embedding_model_info(name: str) -> EmbeddingModelInfo:
    return DEFAULT_CATALOGUE.embedding_model(name)


def get_rerank_model_info(name: str) -> RerankModelInfo:
    return DEFAULT_CATALOGUE.rerank_model(name)
