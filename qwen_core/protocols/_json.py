"""JSON bodies both protocols send and receive: compact encoding, lenient decoding (a UTF-8 BOM), typed errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import orjson

from qwen_core.errors import InvalidRequestError, ResponseParseError

_BOM: Final = "\ufeff"
_BOM_BYTES: Final = b"\xef\xbb\xbf"
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
    """Decode one SSE ``data`` payload (hot path: one call per streamed token, hence orjson)."""
    try:
        return orjson.loads(data)
    except ValueError:
        raise ResponseParseError(f"stream event data is not JSON: {truncate(data)!r}") from None


def truncate(text: str, limit: int = _MAX_RAW_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def require_mapping(payload: Any, what: str) -> dict[str, Any]:
    if type(payload) is not dict:
        raise ResponseParseError(f"{what} is not a JSON object: {truncate(repr(payload))}")
    return payload
