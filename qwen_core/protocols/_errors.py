"""Error bodies of both protocols -> the typed errors of :mod:`qwen_core.errors`.

Native bodies are ``{"code", "message", "request_id"}``; compatible bodies are
``{"error": {"code", "message", "type", "param"}, "id", "request_id"}``; either may arrive SSE-formatted
(``data:{...}``) when a streamed request fails. See the tables in docs/protocol.md#s3-3 and #s4-4.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from qwen_core.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContentInspectionError,
    ContextLengthError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
)
from qwen_core.protocols._http import header
from qwen_core.protocols._json import loads_body, truncate

_AUTH_CODES: Final = frozenset({"invalidapikey", "invalid_api_key", "not authorized"})
_NOT_FOUND_CODES: Final = frozenset(
    {"modelnotfound", "model_not_found", "model.notexist", "model_not_supported", "workspacenotfound", "notfound"}
)
_RATE_CODES: Final = frozenset({"limitrequests", "limit_requests", "limit_burst_rate", "insufficient_quota"})
#: 429 billing codes: retrying cannot help, the account needs attention.
_BILLING_CODES: Final = frozenset({"arrearage", "commoditynotpurchased", "prepaidbilloverdue", "postpaidbilloverdue"})
_SERVER_CODES: Final = frozenset(
    {"internal_error", "systemerror", "serviceunavailable", "gatewaytimeout", "modelservingerror", "modelunavailable"}
)
_CONTEXT_HINTS: Final = ("range of input length", "context length", "context_length", "maximum input length")
_STATUS_BY_KIND: Final[Mapping[type[APIStatusError], int]] = {
    AuthenticationError: 401, PermissionDeniedError: 403, NotFoundError: 404, RateLimitError: 429, ServerError: 500,
}


def classify_error(
    status: int | None,
    code: str | None,
    message: str | None,
    request_id: str | None = None,
    *,
    model: str | None = None,
    body: Any = None,
) -> APIStatusError:
    """Build the typed error for one error answer of either protocol.

    ``status`` may be ``None`` (an error inside a compatible stream); the class then follows the code alone.
    """
    text = message or (f"HTTP {status}" if status else "the service reported an error")
    cls = _error_class(status, (code or "").lower(), text.lower())
    if status is None or status < 400:
        status = _STATUS_BY_KIND.get(cls, 400)
    return cls(text, code=code, status=status, request_id=request_id, model=model, body=body)


def _error_class(status: int | None, code: str, message: str) -> type[APIStatusError]:
    if "datainspection" in code or "data_inspection" in code:
        return ContentInspectionError
    if code in _BILLING_CODES or code.startswith("accessdenied") or code.endswith(".accessdenied"):
        return PermissionDeniedError
    if status == 401 or code in _AUTH_CODES:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404 or code in _NOT_FOUND_CODES or "model not exist" in message:
        return NotFoundError  # the native service says "Model not exist." with HTTP 400 (docs/protocol.md#q13)
    if status == 429 or code.startswith("throttling") or code in _RATE_CODES:
        return RateLimitError
    if (status is not None and status >= 500) or code.startswith("internalerror") or code in _SERVER_CODES:
        return ServerError
    if status is None or status in (200, 400):
        if code == "context_length_exceeded" or any(hint in message for hint in _CONTEXT_HINTS):
            return ContextLengthError
        return BadRequestError
    return APIStatusError


def error_from_payload(
    status: int | None, payload: Any, headers: Mapping[str, str] | None = None, *, model: str | None = None
) -> APIStatusError:
    """Typed error from a decoded error body of either protocol (anything else keeps its text)."""
    header_id = header(headers, "x-request-id")
    if not isinstance(payload, Mapping):
        return classify_error(status, None, truncate(str(payload)), header_id, model=model, body=payload)
    inner = payload.get("error")
    source: Mapping[str, Any] = inner if isinstance(inner, Mapping) else payload
    code = source.get("code")
    message = source.get("message") or source.get("msg")
    request_id = payload.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        request_id = _strip_chat_id(payload.get("id")) or header_id
    return classify_error(
        status,
        str(code) if code is not None else None,
        str(message) if message is not None else None,
        request_id,
        model=model,
        body=payload,
    )


def error_from_body(
    status: int | None, body: bytes | str, headers: Mapping[str, str] | None = None, *, model: str | None = None
) -> APIStatusError:
    """Typed error from a raw error body: JSON, an SSE-formatted body (``data:{...}``), or plain text."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, (bytes, bytearray)) else body
    text = text.lstrip("\ufeff").strip()
    candidate = _first_sse_data(text) if not text.startswith("{") else text
    if candidate is not None:
        try:
            return error_from_payload(status, loads_body(candidate), headers, model=model)
        except ResponseParseError:
            pass  # not JSON after all: fall through and keep the raw text as the message
    return classify_error(status, None, truncate(text) or None, header(headers, "x-request-id"), model=model, body=text)


def _first_sse_data(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("data:"):
            return line[5:].strip()
    return None


def _strip_chat_id(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[len("chatcmpl-"):] if value.startswith("chatcmpl-") else value


def request_id_from_chat_id(value: Any) -> str | None:
    """The request id inside a compatible ``chatcmpl-<uuid>`` id."""
    return _strip_chat_id(value)
