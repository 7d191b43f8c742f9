"""Neutral, framework-free request and result types shared by both wire protocols.

Requests are immutable dataclasses built by the adapters; results and stream deltas are immutable
dataclasses produced by the pure parsers in :mod:`qwen_core.protocols`. Nothing here knows about a
wire format or a framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

__all__ = [
    "ROLES",
    "Api",
    "AudioPart",
    "ChatDelta",
    "ChatRequest",
    "ChatResult",
    "Choice",
    "Content",
    "ContentPart",
    "EmbeddingRequest",
    "EmbeddingResult",
    "ImagePart",
    "Message",
    "NamedToolChoice",
    "RerankHit",
    "RerankRequest",
    "RerankResult",
    "ResponseFormat",
    "Role",
    "Stop",
    "TextPart",
    "ToolCall",
    "ToolCallChunk",
    "ToolChoice",
    "ToolChoiceMode",
    "ToolSpec",
    "Usage",
    "VideoPart",
]

Role = Literal["system", "user", "assistant", "tool"]
ROLES: frozenset[str] = frozenset({"system", "user", "assistant", "tool"})

Api = Literal["compatible", "dashscope"]


@dataclass(frozen=True, slots=True)
class TextPart:
    """A text fragment of a multi-part message."""

    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image given by an ``http(s)://`` URL, an ``oss://`` URL or a ``data:image/...;base64,`` URI."""

    url: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class VideoPart:
    """A video given by a URL, or by a list of frame image URLs."""

    url: str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AudioPart:
    """An audio clip given by a URL or data URI."""

    url: str


ContentPart = Union[TextPart, ImagePart, VideoPart, AudioPart]
Content = Union[str, tuple[ContentPart, ...]]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call requested by the model. ``arguments`` is the raw JSON string."""

    id: str
    name: str
    arguments: str
    index: int = 0


@dataclass(slots=True)
class ToolCallChunk:
    """A streamed tool-call fragment. Continuation fragments carry ``id=None`` and ``name=None``.

    Treat as read-only. Not frozen on purpose: one is built per streamed fragment, and a frozen dataclass's
    ``__init__`` costs several times more.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message.

    ``partial=True`` on a final assistant message asks for prefix continuation: the model continues
    ``content`` and the reply holds only the continuation.
    """

    role: Role
    content: Content = ""
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    reasoning_content: str | None = None
    partial: bool = False


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function tool offered to the model. ``parameters`` is a JSON schema object."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


#: Stop sequences as the service documents them: a string, strings, token ids, or token-id sequences (``[[37763,
#: 367]]``); all elements of one kind.
Stop = Union[str, Sequence[str], Sequence[int], Sequence[Sequence[int]]]

ToolChoiceMode = Literal["auto", "none", "required"]


@dataclass(frozen=True, slots=True)
class NamedToolChoice:
    """Force the model to call the tool with this name."""

    name: str


ToolChoice = Union[ToolChoiceMode, NamedToolChoice]


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """Structured output: ``json_object`` or ``json_schema`` (with ``schema`` and ``name``)."""

    type: Literal["text", "json_object", "json_schema"]
    schema: Mapping[str, Any] | None = None
    name: str = "response"
    description: str | None = None
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything needed to ask for one chat completion, independent of the wire protocol.

    Only options that are set (not ``None``) go on the wire. ``extra`` is merged into the payload as-is
    (top-level keys on the compatible endpoint, ``parameters`` on the native one) for options the service
    adds later; ``extra_headers`` are sent with this request only, after the settings' headers (they win);
    ``timeout`` is this request's read timeout in seconds (``None``: the settings').
    """

    model: str
    messages: Sequence[Message]
    tools: Sequence[ToolSpec] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: Stop | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    n: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    enable_thinking: bool | None = None
    thinking_budget: int | None = None
    enable_search: bool | None = None
    search_options: Mapping[str, Any] | None = None
    stream_usage: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None


@dataclass(slots=True)
class Usage:
    """Token usage. Detail fields are ``None`` when the service did not report them.

    Treat as read-only. Not frozen on purpose: native streams report usage on every frame, so one is built per
    streamed token.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    image_tokens: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Choice:
    """One generated alternative (``n > 1`` gives several)."""

    index: int = 0
    text: str = ""
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    logprobs: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class ChatResult:
    """A complete chat response. The convenience properties read the first choice."""

    choices: tuple[Choice, ...]
    usage: Usage | None = None
    request_id: str | None = None
    model: str | None = None
    search_info: Mapping[str, Any] | None = None

    @property
    def text(self) -> str:
        return self.choices[0].text if self.choices else ""

    @property
    def reasoning(self) -> str:
        return self.choices[0].reasoning if self.choices else ""

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        return self.choices[0].tool_calls if self.choices else ()

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None


@dataclass(slots=True)
class ChatDelta:
    """One parsed stream event: only the new fragments since the previous event.

    Treat as read-only. Not frozen on purpose: one is built per streamed token, and a frozen dataclass's
    ``__init__`` (``object.__setattr__`` per field) costs several times more on that hot path.

    ``usage`` is the usage known so far (the parsers normalise the native cumulative usage and the
    compatible final usage chunk to the same meaning: the latest value wins).
    """

    index: int = 0
    text: str = ""
    reasoning: str = ""
    tool_call_chunks: tuple[ToolCallChunk, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    request_id: str | None = None
    model: str | None = None
    logprobs: Sequence[Mapping[str, Any]] | None = None
    search_info: Mapping[str, Any] | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    """Texts to embed in one wire request (the caller batches to the model's limit)."""

    model: str
    texts: Sequence[str]
    text_type: Literal["query", "document"] | None = None
    dimensions: int | None = None
    instruct: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """Vectors in input order."""

    vectors: tuple[tuple[float, ...], ...]
    total_tokens: int = 0
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class RerankRequest:
    model: str
    query: str
    documents: Sequence[str]
    top_n: int | None = None
    return_documents: bool | None = None
    instruct: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RerankHit:
    index: int
    relevance_score: float
    document: str | None = None


@dataclass(frozen=True, slots=True)
class RerankResult:
    """Hits sorted by descending relevance score."""

    hits: tuple[RerankHit, ...]
    total_tokens: int = 0
    request_id: str | None = None
