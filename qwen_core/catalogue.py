"""Model facts as data: limits and capabilities per model, with safe defaults and user overrides.

Look a model up with :func:`get_model_info`; snapshot names (``qwen-plus-2025-07-28``) and ``-latest``
aliases resolve to their family entry, except dated snapshots whose documented facts differ from the family's
(listed by name: qwen-plus-0919 has a 131,072-token context, no thinking and no json_schema, qwen-turbo-1101 no
thinking, ...). Unknown models get conservative defaults (no thinking, tools allowed, json_object only, text
endpoint) and an :class:`UnknownModelWarning`, once per name. Register or override entries with
:meth:`ModelCatalogue.register`, or pass ``model_info=`` to a client; user entries win over built-in ones.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from qwen_core.errors import InvalidRequestError

__all__ = [
    "DEFAULT_CATALOGUE",
    "EmbeddingModelInfo",
    "ModelCatalogue",
    "ModelInfo",
    "NativeEndpoint",
    "RerankModelInfo",
    "ThinkingMode",
    "UnknownModelWarning",
    "get_embedding_model_info",
    "get_model_info",
    "get_rerank_model_info",
]

ThinkingMode = Literal["none", "hybrid", "thinking_only"]
NativeEndpoint = Literal["text", "multimodal"]



class UnknownModelWarning(UserWarning):
    """A chat model the catalogue does not know: defaults are used until it is registered."""


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

#: Dated snapshots whose documented facts differ from their family's current entry (each under its dated name
#: and its short alias): Qwen2.5-generation snapshots have no thinking mode, a 131,072-token context (1M for
#: qwen-turbo-2024-11-01) and no json_schema; qwen-max-longcontext has a 30,000-token window.
_QWEN25_PLUS = dict(context_window=131_072, max_input_tokens=129_024, max_output_tokens=8_192, supports_n=True,
                    supports_logprobs=True)
_QWEN25_TURBO_1M = dict(context_window=1_000_000, max_input_tokens=1_000_000, max_output_tokens=8_192,
                        supports_logprobs=True)
_SNAPSHOTS: tuple[ModelInfo, ...] = (
    *(ModelInfo(name, **_QWEN25_PLUS) for name in (  # type: ignore[arg-type]
        "qwen-plus-2024-09-19", "qwen-plus-0919", "qwen-plus-2024-11-25", "qwen-plus-1125", "qwen-plus-2024-11-27",
        "qwen-plus-1127", "qwen-plus-2024-12-20", "qwen-plus-1220", "qwen-plus-2025-01-25", "qwen-plus-0125",
    )),
    *(ModelInfo(name, 131_072, 129_024, 8_192, supports_logprobs=True)
      for name in ("qwen-turbo-2024-09-19", "qwen-turbo-0919")),
    *(ModelInfo(name, **_QWEN25_TURBO_1M) for name in (  # type: ignore[arg-type]
        "qwen-turbo-2024-11-01", "qwen-turbo-1101", "qwen-turbo-2025-02-11", "qwen-turbo-0211",
    )),
    ModelInfo("qwen-max-longcontext", 30_000, 28_000, 2_000),
    *(ModelInfo(name, 32_768, 30_720, 8_192, supports_logprobs=True)
      for name in ("qwen-max-2024-09-19", "qwen-max-0919", "qwen-max-2024-04-28", "qwen-max-0428")),
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
        chat: Iterable[ModelInfo] = (*_CHAT_MODELS, *_SNAPSHOTS),
        embedding: Iterable[EmbeddingModelInfo] = _EMBEDDING_MODELS,
        rerank: Iterable[RerankModelInfo] = _RERANK_MODELS,
    ) -> None:
        self._lock = threading.Lock()
        self._chat: dict[str, ModelInfo] = {m.name: m for m in chat}
        self._embedding: dict[str, EmbeddingModelInfo] = {m.name: m for m in embedding}
        self._rerank: dict[str, RerankModelInfo] = {m.name: m for m in rerank}
        self._resolved: dict[tuple[str, tuple[tuple[str, Any], ...]], ModelInfo] = {}  # per-call lookups, memoised
        self._warned: set[str] = set()

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
        if info is None and not overrides:
            self._warn_unknown(name)
        base = replace(info, name=name) if info is not None else ModelInfo(name, known=False)
        return replace(base, **overrides) if overrides else base

    def _warn_unknown(self, name: str) -> None:
        with self._lock:
            if name in self._warned:
                return
            self._warned.add(name)
        warnings.warn(
            f"model {name!r} is not in the qwen-integrations catalogue: default limits and capabilities are used "
            "and the service decides what works; register it (qwen_core.catalogue.DEFAULT_CATALOGUE.register("
            "ModelInfo(...))) or pass model_info overrides to silence this",
            UnknownModelWarning, stacklevel=4,
        )

    def known_chat_model(self, name: str) -> ModelInfo | None:
        """Facts for chat model ``name`` when the catalogue knows it (no defaults, no warning)."""
        info = _lookup(self._chat, name)
        return replace(info, name=name) if info is not None else None

    def embedding_model(self, name: str) -> EmbeddingModelInfo:
        info = _lookup(self._embedding, name)
        return replace(info, name=name) if info is not None else EmbeddingModelInfo(name, known=False)

    def rerank_model(self, name: str) -> RerankModelInfo:
        info = _lookup(self._rerank, name)
        return replace(info, name=name) if info is not None else RerankModelInfo(name, known=False)

    def chat_models(self) -> Mapping[str, ModelInfo]:
        return dict(self._chat)

    def __getstate__(self) -> dict[str, Any]:
        """The tables (copies and pickles of an adapter that holds this catalogue carry it); not the lock or memo."""
        return {"chat": self._chat, "embedding": self._embedding, "rerank": self._rerank, "warned": self._warned}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["chat"].values(), state["embedding"].values(), state["rerank"].values())  # type: ignore[misc]
        self._warned = set(state["warned"])


def _lookup(table: Mapping[str, Any], name: str) -> Any:
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(f"model must be a non-empty model name such as 'qwen-plus', got {name!r}")
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
