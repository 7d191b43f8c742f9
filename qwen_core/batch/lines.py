"""Batch input and output files, line by line: pure functions, no I/O.

An input file is JSONL, one request per line::

    {"custom_id":"0","method":"POST","url":"/v1/chat/completions","body":{...the live call's JSON body...}}

The ``body`` is the exact bytes the live call would send: :func:`chat_line` and :func:`embedding_line` take them
from the compatible protocol's builders (``CompatibleProtocol.build_chat`` / ``build_embedding``), so a batch
request and a live one can never drift apart. ``custom_id`` is the input position of the line's first item (a
chat request is one item, an embedding line carries up to the model's row limit of texts), so results map back
to inputs by ``custom_id`` alone, whatever order the output file lists them in, and a job resumed from its batch
ids after a restart needs nothing else.

Output and error files list one result per line (the service's format)::

    {"id":"...","custom_id":"0","response":{"status_code":200,"request_id":"...","body":{...}},"error":null}
    {"id":"...","custom_id":"1","response":{"status_code":400,"request_id":"...","body":{"error":{...}}},
     "error":{"code":"invalid_parameter_error","message":"..."}}

The service's limits (the "OpenAI-compatible Batch" page): at most 50,000 requests and 500 MB per file, 6 MB per
line, one model per file; ``batch-test-model`` (end-to-end checks without inference, on the ``/v1/chat/ds-test``
url) at most 100 lines and 1 MB. :func:`split_lines` cuts a job into as many files as these limits need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import orjson

from qwen_core.catalogue import ModelInfo
from qwen_core.errors import APIError, BatchJobError, InvalidRequestError, ResponseParseError, UnsupportedFeatureError
from qwen_core.forced_output import plan_forced_output
from qwen_core.protocols._errors import classify_error, error_from_payload
from qwen_core.protocols.compatible import (
    CompatibleProtocol,
    compatible_result_from_payload,
    parse_compatible_embedding,
)
from qwen_core.rules import validate_chat_request
from qwen_core.settings import QwenSettings
from qwen_core.types import ChatRequest, ChatResult, EmbeddingRequest, EmbeddingResult

Endpoint = Literal["/v1/chat/completions", "/v1/embeddings", "/v1/chat/ds-test"]

CHAT_ENDPOINT: Final = "/v1/chat/completions"
EMBEDDINGS_ENDPOINT: Final = "/v1/embeddings"
#: ``batch-test-model`` answers on this url only (it skips inference and returns a fixed answer).
TEST_ENDPOINT: Final = "/v1/chat/ds-test"
TEST_MODEL: Final = "batch-test-model"

_MB: Final = 1024 * 1024
#: Error codes of requests the service never ran (the batch expired or was cancelled first).
_UNPROCESSED_CODES: Final = frozenset({"batch_expired", "batch_cancelled"})


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """How much one batch (one input file) may hold. The defaults are the service's documented limits."""

    max_requests: int = 50_000
    max_file_bytes: int = 500 * _MB
    max_line_bytes: int = 6 * _MB

    def __post_init__(self) -> None:
        for name in ("max_requests", "max_file_bytes", "max_line_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRequestError(f"BatchLimits.{name} must be a positive integer, got {value!r}")


#: The service's limits for real models.
SERVICE_LIMITS: Final = BatchLimits()
#: The stricter limits of ``batch-test-model``.
TEST_MODEL_LIMITS: Final = BatchLimits(max_requests=100, max_file_bytes=_MB)


def limits_for(model: str, limits: BatchLimits | None = None) -> BatchLimits:
    """``limits`` if given (never above the service's), else the service's limits for ``model``."""
    ceiling = TEST_MODEL_LIMITS if model == TEST_MODEL else SERVICE_LIMITS
    if limits is None:
        return ceiling
    return BatchLimits(
        max_requests=min(limits.max_requests, ceiling.max_requests),
        max_file_bytes=min(limits.max_file_bytes, ceiling.max_file_bytes),
        max_line_bytes=min(limits.max_line_bytes, ceiling.max_line_bytes),
    )


def endpoint_for_chat(model: str) -> Endpoint:
    """The url chat lines of ``model`` go to (``batch-test-model`` has its own)."""
    return TEST_ENDPOINT if model == TEST_MODEL else CHAT_ENDPOINT


# --------------------------------------------------------------------------------------------- input lines

_PROTOCOL: Final = CompatibleProtocol()  # the Batch API is on the compatible endpoint only


def _line(custom_id: int, url: str, body: bytes) -> bytes:
    head = b'{"custom_id":"%d","method":"POST","url":"%s","body":' % (custom_id, url.encode())
    return head + body + b"}"


def chat_line(custom_id: int, request: ChatRequest, info: ModelInfo, settings: QwenSettings) -> bytes:
    """One chat request as an input line; the request is checked against the service's rules first.

    The body is built non-streamed: batch requests are never streamed (thinking models answer in one body). A
    forced tool call or JSON format follows the live calls' policy (:mod:`qwen_core.forced_output`: thinking off
    for that request on hybrid models); a request that would need guiding (checked and retried answers, e.g. on
    a thinking-only model) cannot be retried inside a batch and is refused here.
    """
    if request.extra_headers:
        raise InvalidRequestError(
            "per-request headers (extra_headers) cannot travel in a batch job: a batch line carries only the JSON "
            "body. Send these requests as live calls, or drop the headers."
        )
    plan = plan_forced_output(request, info)
    if plan.guided:
        raise UnsupportedFeatureError(
            f"{request.model} cannot be forced to call a tool or answer in JSON natively, and a batch cannot check "
            "and retry answers: send this request as a live call, or use a model that supports it natively"
        )
    request = plan.request
    validate_chat_request(request, info, "compatible")
    wire = _PROTOCOL.build_chat(request, settings, info, stream=False)
    return _line(custom_id, endpoint_for_chat(request.model), wire.body)


def embedding_line(custom_id: int, request: EmbeddingRequest, settings: QwenSettings) -> bytes:
    """One embedding request (up to the model's row limit of texts) as an input line."""
    wire = _PROTOCOL.build_embedding(request, settings)
    return _line(custom_id, EMBEDDINGS_ENDPOINT, wire.body)


def split_lines(lines: Sequence[bytes], limits: BatchLimits) -> list[list[bytes]]:
    """Consecutive groups of ``lines``, each within ``limits`` (request count and file size).

    Raises:
        InvalidRequestError: a single line is larger than ``limits.max_line_bytes`` (before any request).
    """
    parts: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for position, line in enumerate(lines):
        length = len(line) + 1  # the newline
        if len(line) > limits.max_line_bytes:
            raise InvalidRequestError(
                f"request {position} is {len(line):,} bytes; the Batch API accepts at most "
                f"{limits.max_line_bytes:,} bytes per request. Shorten it or send it as a live call."
            )
        if current and (len(current) >= limits.max_requests or size + length > limits.max_file_bytes):
            parts.append(current)
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        parts.append(current)
    return parts


def file_bytes(lines: Iterable[bytes]) -> bytes:
    """The JSONL file of ``lines``."""
    return b"".join(line + b"\n" for line in lines)


# --------------------------------------------------------------------------------------------- output lines


@dataclass(frozen=True, slots=True)
class LineResult:
    """One line of an output or error file: the position of its first input item and its body or error."""

    start: int
    body: Any = None
    error: APIError | None = None
    request_id: str | None = None


def parse_result_line(line: bytes) -> LineResult:
    """Parse one output- or error-file line; a failed request becomes its typed error (code, status, request id)."""
    try:
        record = orjson.loads(line)
        start = int(record["custom_id"])
    except (ValueError, KeyError, TypeError):
        raise ResponseParseError(f"unreadable batch result line: {line[:200]!r}") from None
    response = record.get("response") if isinstance(record.get("response"), dict) else {}
    status = response.get("status_code")
    request_id = response.get("request_id") or record.get("id")
    body = response.get("body")
    error = record.get("error")
    if error or (isinstance(status, int) and status >= 400):
        return LineResult(start, None, _line_error(status, body, error, request_id), request_id)
    return LineResult(start, body, None, request_id)


def _line_error(status: Any, body: Any, error: Any, request_id: Any) -> APIError:
    code_status = status if isinstance(status, int) and status >= 400 else None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        typed = error_from_payload(code_status, body)
        if typed.request_id is None:
            typed.request_id = request_id
        return typed
    details = error if isinstance(error, dict) else {}
    code = details.get("code")
    message = details.get("message")
    if code in _UNPROCESSED_CODES:
        return BatchJobError(str(message or code), code=str(code), request_id=str(request_id) if request_id else None)
    return classify_error(
        code_status, str(code) if code is not None else None, str(message) if message is not None else None,
        str(request_id) if request_id else None, body=error,
    )


def chat_result(item: LineResult) -> ChatResult:
    """The chat result of a successful line."""
    result = compatible_result_from_payload(item.body)
    return result if result.request_id else _with_request_id(result, item.request_id)


def _with_request_id(result: ChatResult, request_id: str | None) -> ChatResult:
    return replace(result, request_id=request_id)


def embedding_result(item: LineResult) -> EmbeddingResult:
    """The embedding result of a successful line."""
    return parse_compatible_embedding(orjson.dumps(item.body))


class LineSplitter:
    """Incremental :func:`iter_lines` for async streams: feed chunks, get complete lines."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self._pending += chunk
        *complete, self._pending = self._pending.split(b"\n")
        return [line for line in complete if line.strip()]

    def flush(self) -> list[bytes]:
        rest, self._pending = self._pending, b""
        return [rest] if rest.strip() else []


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Complete non-empty lines from a stream of byte chunks (a downloaded file, never held whole)."""
    splitter = LineSplitter()
    for chunk in chunks:
        yield from splitter.feed(chunk)
    yield from splitter.flush()


__all__ = [
    "CHAT_ENDPOINT",
    "EMBEDDINGS_ENDPOINT",
    "SERVICE_LIMITS",
    "TEST_ENDPOINT",
    "TEST_MODEL",
    "TEST_MODEL_LIMITS",
    "BatchLimits",
    "Endpoint",
    "LineResult",
    "LineSplitter",
    "chat_line",
    "chat_result",
    "embedding_line",
    "embedding_result",
    "endpoint_for_chat",
    "file_bytes",
    "iter_lines",
    "limits_for",
    "parse_result_line",
    "split_lines",
]
