"""Small pure helpers shared by both wire protocols: JSON bodies, tools, finish reasons, tool-call ids."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import orjson

from qwen_core.errors import InvalidRequestError, ResponseParseError
from qwen_core.settings import QwenSettings
from qwen_core.types import (
    ChatRequest,
    Content,
    Message,
    NamedToolChoice,
    ResponseFormat,
    Stop,
    TextPart,
    ToolCall,
    ToolSpec,
)

_BOM: Final = "\ufeff"
_BOM_BYTES: Final = b"\xef\xbb\xbf"
#: Values the services use for "not finished yet" (native streams send the *string* "null", docs/protocol.md#q1).
_UNFINISHED: Final = frozenset({"", "null"})
_MAX_RAW_ERROR_CHARS: Final = 500


def dumps_body(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, non-ASCII unescaped (what the service and the SDKs send).

    Raises:
        InvalidRequestError: the payload holds what JSON cannot carry (a lone surrogate, an integer beyond 64
            bits, an object that is not JSON); chat requests are checked earlier, argument by argument
            (:mod:`qwen_core.validation`).
    """
    try:
        return orjson.dumps(payload, default=_jsonable, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError as exc:
        raise InvalidRequestError(f"the request cannot be sent as JSON: {exc}") from None


def _jsonable(value: Any) -> Any:
    """Mappings and sequences orjson does not know natively (e.g. ``MappingProxyType`` from user input)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def loads_body(body: bytes | str) -> Any:
    """Decode a JSON response body; tolerate a UTF-8 BOM (some real captures start with one).

    Raises:
        ResponseParseError: the body is not JSON.
    """
    if isinstance(body, (bytes, bytearray)):
        try:
            return orjson.loads(body[3:] if body.startswith(_BOM_BYTES) else body)
        except ValueError:
            pass  # not strict UTF-8 JSON: retry leniently below, so the error message shows the text
    text = body.decode("utf-8", errors="replace") if isinstance(body, (bytes, bytearray)) else body
    if text.startswith(_BOM):
        text = text[1:]
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError:
        raise ResponseParseError(f"the service answered with a body that is not JSON: {truncate(text)!r}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # json accepts NaN and Infinity; the service never sends them


def loads_event_data(data: str) -> Any:
    """Decode one SSE ``data`` payload (hot path: one call per streamed token; orjson is ~4x json's speed)."""
    try:
        return orjson.loads(data)
    except ValueError:
        raise ResponseParseError(f"stream event data is not JSON: {truncate(data)!r}") from None


def truncate(text: str, limit: int = _MAX_RAW_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def is_finished(value: str | None) -> bool:
    """Whether ``value`` is a real finish reason (``None``, ``""`` and ``"null"`` are not, docs/protocol.md#q1)."""
    return value is not None and value not in _UNFINISHED


def synthesize_tool_call_id(request_id: str | None, index: int, choice_index: int = 0) -> str:
    """A deterministic id for a tool call the service sent with an empty id (docs/protocol.md#q8)."""
    prefix = request_id.replace("-", "")[:12] if request_id else "0"
    if choice_index:
        return f"call_{prefix}_{choice_index}_{index}"
    return f"call_{prefix}_{index}"


def text_of(content: Content) -> str:
    """The text of a message's content (text parts joined by newlines; media parts ignored)."""
    if isinstance(content, str):
        return content
    return "\n".join(part.text for part in content if isinstance(part, TextPart))


def has_media(messages: Iterable[Message]) -> bool:
    """Whether any message carries an image, video or audio part."""
    for message in messages:
        content = message.content
        if not isinstance(content, str) and any(not isinstance(part, TextPart) for part in content):
            return True
    return False


def tool_names_by_id(messages: Sequence[Message]) -> dict[str, str]:
    """Tool call id -> function name, from the assistant messages' tool calls."""
    return {call.id: call.name for message in messages for call in message.tool_calls}


def wire_tool_calls(calls: Sequence[ToolCall], *, with_index: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for position, call in enumerate(calls):
        item: dict[str, Any] = {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
        if with_index:
            item["index"] = position
        out.append(item)
    return out


def wire_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools:
        function: dict[str, Any] = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
        if tool.strict is not None:
            function["strict"] = tool.strict
        out.append({"type": "function", "function": function})
    return out


def wire_tool_choice(choice: str | NamedToolChoice) -> str | dict[str, Any]:
    if isinstance(choice, NamedToolChoice):
        return {"type": "function", "function": {"name": choice.name}}
    return choice


def wire_response_format(fmt: ResponseFormat) -> dict[str, Any]:
    if fmt.type != "json_schema":
        return {"type": fmt.type}
    schema: dict[str, Any] = {"name": fmt.name, "schema": fmt.schema}
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    if fmt.description:
        schema["description"] = fmt.description
    return {"type": "json_schema", "json_schema": schema}


#: Options both protocols send under the same name, only when set.
_SHARED_OPTIONS: Final = (
    "temperature", "top_p", "top_k", "max_tokens", "seed", "repetition_penalty", "presence_penalty", "n",
    "logprobs", "top_logprobs", "enable_thinking", "thinking_budget", "enable_search", "parallel_tool_calls",
)


def wire_stop(stop: Stop) -> str | list[Any]:
    """``stop`` as the documents give it: a string as is, sequences as lists (token-id sequences nested)."""
    if isinstance(stop, str):
        return stop
    return [item if isinstance(item, (str, int)) else list(item) for item in stop]


def put_options(request: ChatRequest, out: dict[str, Any]) -> None:
    """Add every set option to ``out`` (native ``parameters`` or the compatible top level)."""
    for name in _SHARED_OPTIONS:
        value = getattr(request, name)
        if value is not None:
            out[name] = value
    if request.stop is not None:
        out["stop"] = wire_stop(request.stop)
    if request.search_options is not None:
        out["search_options"] = dict(request.search_options)
    if request.tools:
        out["tools"] = wire_tools(request.tools)
        if request.tool_choice is not None:
            out["tool_choice"] = wire_tool_choice(request.tool_choice)
    if request.response_format is not None:
        out["response_format"] = wire_response_format(request.response_format)
    if request.extra:
        out.update(request.extra)


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup (``name`` lower-case)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


class AuthorizationValue(str):
    """The ``Authorization`` header value: a real ``str`` for the HTTP clients, masked wherever it is shown.

    ``repr`` (what tracebacks rendered with locals, error trackers, debuggers and ``repr`` of the headers dict or
    of a :class:`~qwen_core.protocols.base.WireRequest` print, including the HTTP libraries' own frames) never
    shows the key, and it refuses to be pickled, like :class:`~qwen_core.settings.SecretStr`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'Bearer **********'"

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("the Authorization header cannot be pickled: it holds an API key")


def base_headers(
    settings: QwenSettings, *, stream: bool, native: bool, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Auth, content type, stream switch (native: header only, docs/protocol.md#q2), workspace, User-Agent, then the
    user's headers.

    The user's headers (``settings.extra_headers``, i.e. ``default_headers``, then the call's ``extra``) replace
    a header of the same name in any letter case, so a gateway may get its own ``User-Agent`` or ``Authorization``.
    """
    headers = {
        "Authorization": AuthorizationValue(f"Bearer {settings.api_key.get_secret_value()}"),
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "User-Agent": settings.user_agent,
    }
    if stream and native:
        # the only switch the native API honours; no body field (docs/protocol.md#q2)
        headers["X-DashScope-SSE"] = "enable"
    if settings.workspace:
        headers["X-DashScope-WorkSpace"] = settings.workspace
    if settings.extra_headers:
        _merge_headers(headers, settings.extra_headers)
    if extra:
        _merge_headers(headers, extra)
    return headers


def _merge_headers(headers: dict[str, str], extra: Mapping[str, str]) -> None:
    """Set each of ``extra`` in ``headers``, replacing a same-named header whatever its letter case (a user's own
    ``Authorization``, e.g. a gateway's credential, is masked like the library's)."""
    lower = {name.lower(): name for name in headers}
    for name, value in extra.items():
        key = name.lower()
        existing = lower.get(key)
        if existing is not None and existing != name:
            del headers[existing]
        headers[name] = AuthorizationValue(value) if key == "authorization" else value
        lower[key] = name


def require_mapping(payload: Any, what: str) -> dict[str, Any]:
    if type(payload) is not dict:
        raise ResponseParseError(f"{what} is not a JSON object: {truncate(repr(payload))}")
    return payload
