"""The files and batches endpoints on the wire: request builders and the batch object, pure (no I/O).

Endpoints (on the compatible base, ``…/compatible-mode/v1``), as the OpenAI SDK's ``files`` and ``batches``
resources call them:

* ``POST /files`` (multipart/form-data: ``file``, ``purpose=batch``) -> a file object ``{"id": "file-batch-…"}``
* ``POST /batches`` ``{"input_file_id", "endpoint", "completion_window": "24h", "metadata"}`` -> a batch object
* ``GET /batches/{id}``, ``POST /batches/{id}/cancel`` -> a batch object
* ``GET /files/{id}/content`` -> the file's bytes (JSONL)

A batch object's ``status`` moves ``validating`` -> ``in_progress`` -> ``finalizing`` -> ``completed``, or ends
``failed`` (the input was rejected; ``errors`` says why), ``expired`` (the completion window ran out; finished
requests are in the output file) or ``cancelling`` -> ``cancelled``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from qwen_core.errors import InvalidRequestError, ResponseParseError
from qwen_core.protocols._http import base_headers
from qwen_core.protocols._json import dumps_body, loads_body
from qwen_core.protocols.base import WireRequest
from qwen_core.settings import QwenSettings

BatchState = Literal[
    "validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled"
]
#: States after which nothing changes any more.
TERMINAL_STATES: Final = frozenset({"completed", "failed", "expired", "cancelled"})
#: The only completion window every region accepts.
DEFAULT_COMPLETION_WINDOW: Final = "24h"


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """How many requests a batch holds, and how many finished well or failed so far."""

    total: int = 0
    completed: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class BatchIssue:
    """Why a batch failed validation (``line`` is 1-based when the service names one)."""

    code: str | None
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """One batch object as the service reports it."""

    id: str
    status: str
    endpoint: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: RequestCounts = RequestCounts()
    errors: tuple[BatchIssue, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        """Whether the batch reached a final state."""
        return self.status in TERMINAL_STATES


def parse_batch(body: bytes) -> BatchStatus:
    """A batch object from a response body."""
    payload = loads_body(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str) or "status" not in payload:
        raise ResponseParseError(f"the service's batch object has no id or status: {str(payload)[:200]!r}")
    raw_counts = payload.get("request_counts")
    counts: dict[str, Any] = raw_counts if isinstance(raw_counts, dict) else {}
    return BatchStatus(
        id=payload["id"],
        status=str(payload["status"]),
        endpoint=payload.get("endpoint"),
        input_file_id=payload.get("input_file_id"),
        output_file_id=payload.get("output_file_id") or None,
        error_file_id=payload.get("error_file_id") or None,
        counts=RequestCounts(
            total=int(counts.get("total") or 0),
            completed=int(counts.get("completed") or 0),
            failed=int(counts.get("failed") or 0),
        ),
        errors=_batch_errors(payload.get("errors")),
        raw=payload,
    )


def _batch_errors(value: Any) -> tuple[BatchIssue, ...]:
    items = value.get("data") if isinstance(value, dict) else value
    if not isinstance(items, list):
        return ()
    return tuple(
        BatchIssue(
            code=str(item["code"]) if item.get("code") is not None else None,
            message=str(item.get("message") or ""),
            line=item.get("line") if isinstance(item.get("line"), int) else None,
        )
        for item in items
        if isinstance(item, dict)
    )


def parse_file_id(body: bytes) -> str:
    """The ``id`` of an uploaded file object."""
    payload = loads_body(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise ResponseParseError(f"the service's file object has no id: {str(payload)[:200]!r}")
    return str(payload["id"])


# --------------------------------------------------------------------------------------------- requests


def _json_request(settings: QwenSettings, method: str, path: str, payload: Mapping[str, Any] | None) -> WireRequest:
    headers = base_headers(settings, stream=False, native=False)
    body = dumps_body(payload) if payload is not None else b""
    if payload is None:
        del headers["Content-Type"]
    return WireRequest(url=settings.compatible_base + path, headers=headers, body=body, method=method)


def upload_request(settings: QwenSettings, content: bytes, filename: str = "batch.jsonl") -> WireRequest:
    """``POST /files``: ``content`` as a multipart upload with ``purpose=batch``."""
    boundary = "qwen-batch-" + secrets.token_hex(12)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/jsonl\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    headers = base_headers(settings, stream=False, native=False)
    headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    return WireRequest(url=settings.compatible_base + "/files", headers=headers, body=body)


def create_request(
    settings: QwenSettings,
    input_file_id: str,
    endpoint: str,
    *,
    completion_window: str = DEFAULT_COMPLETION_WINDOW,
    metadata: Mapping[str, str] | None = None,
) -> WireRequest:
    """``POST /batches``."""
    payload: dict[str, Any] = {
        "input_file_id": input_file_id, "endpoint": endpoint, "completion_window": completion_window,
    }
    if metadata:
        payload["metadata"] = dict(metadata)
    return _json_request(settings, "POST", "/batches", payload)


def retrieve_request(settings: QwenSettings, batch_id: str) -> WireRequest:
    """``GET /batches/{id}``."""
    return _json_request(settings, "GET", f"/batches/{_path_id(batch_id)}", None)


def cancel_request(settings: QwenSettings, batch_id: str) -> WireRequest:
    """``POST /batches/{id}/cancel``."""
    return _json_request(settings, "POST", f"/batches/{_path_id(batch_id)}/cancel", {})


def content_request(settings: QwenSettings, file_id: str) -> WireRequest:
    """``GET /files/{id}/content`` (streamed: output files can be large)."""
    wire = _json_request(settings, "GET", f"/files/{_path_id(file_id)}/content", None)
    return WireRequest(url=wire.url, headers={**wire.headers, "Accept": "*/*"}, body=b"", stream=True, method="GET")


def _path_id(value: str) -> str:
    """An id as a path segment; ids with ``/``, ``?`` or whitespace are refused rather than sent."""
    if not isinstance(value, str) or not value or any(ch in value for ch in "/?#% \t\r\n"):
        raise InvalidRequestError(f"not a valid batch or file id: {value!r}")
    return value


__all__ = [
    "DEFAULT_COMPLETION_WINDOW",
    "TERMINAL_STATES",
    "BatchIssue",
    "BatchState",
    "BatchStatus",
    "RequestCounts",
    "cancel_request",
    "content_request",
    "create_request",
    "parse_batch",
    "parse_file_id",
    "retrieve_request",
    "upload_request",
]
