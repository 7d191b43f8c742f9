"""Types and documented ranges of every chat request argument, checked before anything is sent.

:func:`validate_request_values` raises :class:`~qwen_core.errors.InvalidRequestError` naming the argument for a
wrong type (``temperature='0.5'``), a value outside the range the service documents (docs/protocol.md#s2-3: negative
``top_k``, ``repetition_penalty <= 0``, ``presence_penalty`` outside [-2, 2], ...), an empty model name, a tool
call without a name, and for what JSON cannot carry faithfully anywhere in the request: lone surrogates
(``'\\ud800'``), integers beyond 64 bits and non-finite floats (``max_tokens=inf`` would go out as ``null``).

Model-dependent and cross-field rules (thinking, tools, JSON mode, seed range per protocol) live in
:mod:`qwen_core.rules`, which runs after this.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, TypeVar

from qwen_core.errors import InvalidRequestError
from qwen_core.types import (
    AudioPart,
    ChatRequest,
    ImagePart,
    Message,
    NamedToolChoice,
    ResponseFormat,
    TextPart,
    ToolCall,
    ToolSpec,
    VideoPart,
)

__all__ = ["check_json_value", "check_text", "validate_request_values"]

#: orjson writes integers in [-2**63, 2**64 - 1]; the service reads 64-bit values at most.
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
_MAX_DEPTH: Final = 100
_TOOL_CHOICES: Final = frozenset({"auto", "none", "required"})
_FORMATS: Final = frozenset({"text", "json_object", "json_schema"})

Check = Callable[[Any], bool]

#: ``(field, type check, type, range check, documented range)``; ``None`` always passes.
_NUMBERS: Final[tuple[tuple[str, Check, str, Check, str], ...]] = (
    ("temperature", lambda v: _is_number(v), "a number", lambda v: 0 <= v < 2, "[0, 2)"),
    ("top_p", lambda v: _is_number(v), "a number", lambda v: 0 < v <= 1, "(0, 1]"),
    ("top_k", lambda v: _is_int(v), "an integer", lambda v: v >= 0, "[0, ...) (above 100 disables it)"),
    ("repetition_penalty", lambda v: _is_number(v), "a number", lambda v: v > 0, "(0, ...) (1.0: no penalty)"),
    ("presence_penalty", lambda v: _is_number(v), "a number", lambda v: -2 <= v <= 2, "[-2, 2]"),
    ("max_tokens", lambda v: _is_int(v), "an integer", lambda v: v >= 1, "[1, ...)"),
    ("seed", lambda v: _is_int(v), "an integer", lambda v: 0 <= v <= 2**63 - 1, "[0, 2**63 - 1]"),
    ("n", lambda v: _is_int(v), "an integer", lambda v: 1 <= v <= 4, "[1, 4]"),
    ("top_logprobs", lambda v: _is_int(v), "an integer", lambda v: 0 <= v <= 5, "[0, 5]"),
    ("thinking_budget", lambda v: _is_int(v), "an integer", lambda v: 1 <= v <= _INT_MAX, "[1, ...)"),
)
_FLAGS: Final = ("parallel_tool_calls", "logprobs", "enable_thinking", "enable_search")

_T = TypeVar("_T")


def _is_int(value: Any) -> bool:
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def _is_number(value: Any) -> bool:
    return (_is_int(value) and _INT_MIN <= value <= _INT_MAX) or (isinstance(value, float) and math.isfinite(value))


def validate_request_values(request: ChatRequest) -> None:
    """Raise :class:`InvalidRequestError` (naming the argument) for a wrong type or an out-of-range value."""
    if not isinstance(request, ChatRequest):
        raise InvalidRequestError(f"expected a ChatRequest, got {type(request).__name__}")
    model = request.model
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequestError(f"model must be a non-empty model name such as 'qwen-plus', got {model!r}")
    check_text(model, "model")
    _check_options(request)
    _check_message_list(request.messages)
    _check_tool_specs(request.tools)
    _check_tool_choice(request.tool_choice)
    if request.response_format is not None:
        _check_response_format(request.response_format)
    if request.search_options is not None:
        _check_mapping(request.search_options, "search_options")
    _check_mapping(request.extra, "extra (model_kwargs / additional_kwargs)")
    _check_headers(request.extra_headers)


def _check_options(request: ChatRequest) -> None:
    for name, is_type, kind, in_range, allowed in _NUMBERS:
        value = getattr(request, name)
        if value is None:
            continue
        if not is_type(value):
            raise InvalidRequestError(f"{name} must be {kind} in {allowed}, got {type(value).__name__} {value!r}")
        if not in_range(value):
            raise InvalidRequestError(f"{name} must be in {allowed}, got {value!r}")
    for name in _FLAGS:
        value = getattr(request, name)
        if value is not None and not isinstance(value, bool):
            raise InvalidRequestError(f"{name} must be True, False or None, got {type(value).__name__} {value!r}")
    if not isinstance(request.stream_usage, bool):
        raise InvalidRequestError(f"stream_usage must be True or False, got {request.stream_usage!r}")
    if request.stop is not None:
        check_json_value(request.stop if isinstance(request.stop, str) else list(request.stop), "stop")


def _each(items: Any, name: str, cls: type[_T], noun: str) -> Iterator[tuple[str, _T]]:
    """``(where, item)`` for each item of the list argument ``name``, which must hold only ``cls`` instances."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise InvalidRequestError(f"{name} must be a list of {noun}, got {type(items).__name__}")
    for position, item in enumerate(items):
        where = f"{name}[{position}]"
        if not isinstance(item, cls):
            raise InvalidRequestError(f"{where} must be a {cls.__name__}, got {type(item).__name__}")
        yield where, item


def _check_message_list(messages: Any) -> None:
    for where, message in _each(messages, "messages", Message, "messages"):
        _check_content(message.content, f"{where}.content")
        for name in ("name", "tool_call_id", "reasoning_content"):
            value = getattr(message, name)
            if value is not None:
                check_text(value, f"{where}.{name}")
        if not isinstance(message.partial, bool):
            raise InvalidRequestError(f"{where}.partial must be True or False, got {message.partial!r}")
        for index, call in enumerate(message.tool_calls):
            _check_tool_call(call, f"{where}.tool_calls[{index}]")


def _check_content(content: Any, where: str) -> None:
    if isinstance(content, str):
        check_text(content, where)
        return
    if not isinstance(content, Sequence):
        raise InvalidRequestError(f"{where} must be a string or a list of content parts, got {type(content).__name__}")
    for index, part in enumerate(content):
        _check_part(part, f"{where}[{index}]")


def _check_part(part: Any, where: str) -> None:
    if isinstance(part, TextPart):
        check_text(part.text, f"{where}.text")
    elif isinstance(part, (ImagePart, AudioPart)):
        check_text(part.url, f"{where}.url")
    elif isinstance(part, VideoPart):
        frames = [part.url] if isinstance(part.url, str) else part.url
        for index, url in enumerate(frames):
            check_text(url, f"{where}.url[{index}]")
    else:
        raise InvalidRequestError(f"{where} must be a text, image, video or audio part, got {type(part).__name__}")


def _check_tool_call(call: Any, where: str) -> None:
    if not isinstance(call, ToolCall):
        raise InvalidRequestError(f"{where} must be a ToolCall, got {type(call).__name__}")
    if not isinstance(call.name, str) or not call.name:
        raise InvalidRequestError(f"{where}.name must be the name of the called function, got {call.name!r}")
    check_text(call.name, f"{where}.name")
    check_text(call.id, f"{where}.id")
    check_text(call.arguments, f"{where}.arguments")
    if not _is_int(call.index):
        raise InvalidRequestError(f"{where}.index must be an integer, got {call.index!r}")


def _check_tool_specs(tools: Any) -> None:
    for where, tool in _each(tools, "tools", ToolSpec, "tools"):
        check_text(tool.name, f"{where}.name")
        check_text(tool.description, f"{where}.description")
        _check_mapping(tool.parameters, f"{where}.parameters")
        if tool.strict is not None and not isinstance(tool.strict, bool):
            raise InvalidRequestError(f"{where}.strict must be True, False or None, got {tool.strict!r}")


def _check_tool_choice(choice: Any) -> None:
    if choice is None or (isinstance(choice, str) and choice in _TOOL_CHOICES):
        return
    if isinstance(choice, NamedToolChoice) and isinstance(choice.name, str) and choice.name:
        check_text(choice.name, "tool_choice.name")
        return
    raise InvalidRequestError(f"tool_choice must be 'auto', 'none', 'required' or a tool's name, got {choice!r}")


def _check_response_format(fmt: Any) -> None:
    if not isinstance(fmt, ResponseFormat) or fmt.type not in _FORMATS:
        raise InvalidRequestError(f"response_format must be text, json_object or json_schema, got {fmt!r}")
    if fmt.schema is not None:
        _check_mapping(fmt.schema, "response_format.schema")
    check_text(fmt.name, "response_format.name")
    if fmt.description is not None:
        check_text(fmt.description, "response_format.description")
    if fmt.strict is not None and not isinstance(fmt.strict, bool):
        raise InvalidRequestError(f"response_format.strict must be True, False or None, got {fmt.strict!r}")


def _check_mapping(value: Any, where: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{where} must be a mapping, got {type(value).__name__}")
    check_json_value(value, where)


def _check_headers(headers: Any) -> None:
    if not isinstance(headers, Mapping):
        raise InvalidRequestError(f"extra_headers must be a mapping, got {type(headers).__name__}")
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str) or any(c in name + value for c in "\r\n\0"):
            raise InvalidRequestError(f"extra_headers[{name!r}] must be a single-line string header")


def check_text(value: Any, where: str) -> None:
    """A string that UTF-8 can carry: no lone surrogates (``'\\ud800'``), which no JSON encoder can send."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{where} must be a string, got {type(value).__name__} {value!r:.60}")
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{where} holds a lone surrogate ({value[exc.start:exc.end]!r} at position {exc.start}), which is not "
            "valid Unicode text; it usually comes from bytes decoded with errors='surrogateescape'"
        ) from None


def check_json_value(value: Any, where: str, depth: int = 0) -> None:
    """Raise unless ``value`` is JSON the service can read: finite numbers, 64-bit integers, valid text."""
    if value is None or isinstance(value, bool):
        return
    if depth > _MAX_DEPTH:
        raise InvalidRequestError(f"{where} is nested more than {_MAX_DEPTH} levels deep (or refers to itself)")
    if isinstance(value, (str, int, float)):
        _check_scalar(value, where)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise InvalidRequestError(f"{where} has a key {key!r}; JSON object keys are strings")
            check_json_value(key, f"{where} key", depth + 1)
            check_json_value(item, f"{where}[{key!r}]", depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset, Sequence)) and not isinstance(value, (bytes, bytearray)):
        for index, item in enumerate(value):
            check_json_value(item, f"{where}[{index}]", depth + 1)
    else:
        raise InvalidRequestError(f"{where} holds a {type(value).__name__}, which is not a JSON value")


def _check_scalar(value: str | int | float, where: str) -> None:
    if isinstance(value, str):
        check_text(value, where)
    elif isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidRequestError(f"{where} is an integer beyond 64 bits ({value}); JSON readers cannot hold it")
    elif not math.isfinite(value):
        raise InvalidRequestError(f"{where} is {value!r}; JSON has no infinity or NaN (it would be sent as null)")
