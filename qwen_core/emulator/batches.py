"""The emulator's Batch API (``/compatible-mode/v1/batches``) with accelerated time.

A batch walks the service's states on a clock measured in seconds instead of hours (:class:`BatchTiming`):
``validating`` -> ``in_progress`` (request counts grow) -> ``finalizing`` -> ``completed``; ``failed`` when the
input breaks the rules (after validating, with ``errors``); ``expired`` when ``expire_after`` passes first (the
requests processed by then are in the output file, the others in the error file as ``batch_expired``);
``cancelling`` -> ``cancelled`` on cancel (likewise, ``batch_cancelled``). Each line is answered by the same
handlers as the live endpoints, so a batch answer equals the live answer, in the service's line format.

Input rules checked (the service's, from its "OpenAI-compatible Batch" page): JSONL with ``custom_id`` (unique),
``method`` POST, ``url`` equal to the batch's endpoint and a ``body`` with ``model``; one model per file; at most
50,000 lines, 6 MB per line, 500 MB per file; models that support batches; ``batch-test-model`` only on
``/v1/chat/ds-test``, at most 100 lines and 1 MB (it skips inference and answers a fixed text).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from qwen_core.emulator import compat, vectors
from qwen_core.emulator.batch_files import FileStore, not_found
from qwen_core.emulator.errors import EmulatedError, invalid
from qwen_core.emulator.http import Request
from qwen_core.emulator.plan import Context, JsonPlan, Plan, dumps, json_answer
from qwen_core.emulator.script import HTTPFault, Script, ScriptedReply, ScriptItem

ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings", "/v1/chat/ds-test")
TEST_MODEL = "batch-test-model"
MAX_LINES = 50_000
MAX_LINE_BYTES = 6 * 1024 * 1024
TEST_MAX_LINES = 100
TEST_MAX_BYTES = 1024 * 1024
#: Families the service runs batches for (Beijing's list; Singapore has max/plus/flash/turbo).
BATCH_MODEL_PREFIXES = (
    "qwen-max", "qwen3-max", "qwen-plus", "qwen-flash", "qwen-turbo", "qwen-long", "qwq-plus", "qwen3.5-",
    "qwen3.6-", "qwen3.7-", "qwen-vl-", "qwen3-vl-", "qwen-ocr", "deepseek-", "text-embedding-v",
)
_WINDOW = re.compile(r"^(\d+)h$")
_TEST_REPLY = "This is a test result."


@dataclass(frozen=True)
class BatchTiming:
    """How long (in real seconds) a batch spends in each state; ``expire_after`` plays the completion window."""

    validating: float = 0.2
    in_progress: float = 0.6
    finalizing: float = 0.2
    cancelling: float = 0.2
    expire_after: float | None = None


@dataclass
class _Outcome:
    """Per line, in file order: (custom_id, output line or None, error line or None)."""

    lines: list[tuple[str, bytes | None, bytes | None]] = field(default_factory=list)


@dataclass
class BatchRecord:
    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    metadata: dict[str, Any] | None
    created: float
    created_at: int
    total: int
    problems: list[dict[str, Any]]
    outcome: Future[_Outcome]
    cancel_at: float | None = None
    files: tuple[str | None, str | None] | None = None
    counts: tuple[int, int] = (0, 0)

    def _phase_ends(self, timing: BatchTiming) -> tuple[float, float, float]:
        validated = self.created + timing.validating
        processed = validated + timing.in_progress
        return validated, processed, processed + timing.finalizing

    def state(self, timing: BatchTiming, now: float) -> tuple[str, float]:
        """(status, fraction of requests processed) at ``now``."""
        validated, processed, finalized = self._phase_ends(timing)
        if self.problems and now >= validated:
            return "failed", 0.0
        stop = self._stopped_at(timing, processed)
        progress = min(1.0, max(0.0, (min(now, stop[1]) - validated) / max(timing.in_progress, 1e-9)))
        if stop[0] == "cancelled" and now >= stop[1]:
            return ("cancelled" if now >= stop[1] + timing.cancelling else "cancelling"), progress
        if stop[0] == "expired" and now >= stop[1]:
            return "expired", progress
        if now < validated:
            return "validating", 0.0
        if now < processed:
            return "in_progress", progress
        if now < finalized or not self.outcome.done():
            return "finalizing", 1.0
        return "completed", 1.0

    def _stopped_at(self, timing: BatchTiming, processed: float) -> tuple[str, float]:
        if self.cancel_at is not None and self.cancel_at < processed + timing.finalizing:
            return "cancelled", self.cancel_at
        if timing.expire_after is not None and self.created + timing.expire_after < processed:
            return "expired", self.created + timing.expire_after
        return "", float("inf")


class BatchService:
    """The files and batches endpoints; lines run on a worker thread so the event loop keeps serving."""

    def __init__(self, timing: BatchTiming | None = None, script: Script | None = None) -> None:
        self.timing = timing or BatchTiming()
        self._script = script
        self.files = FileStore()
        self._batches: dict[str, BatchRecord] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwen-emulator-batch")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ----------------------------------------------------------------- routing
    def handle(self, ctx: Context) -> Plan:
        """Route one ``/compatible-mode/v1/files…`` or ``…/batches…`` request."""
        request = ctx.request
        parts = request.path.removeprefix("/compatible-mode/v1/").split("/")
        try:
            return _json(ctx, self._route(ctx, request, parts))
        except EmulatedError as err:
            return compat.error_plan(ctx, err, False)

    def _route(self, ctx: Context, request: Request, parts: list[str]) -> Any:
        method, head, rest = request.method, parts[0], parts[1:]
        if head == "files":
            return self._files(ctx, request, method, rest)
        if method == "POST" and not rest:
            return self.create(ctx.body)
        if method == "GET" and not rest:
            return self.list()
        if method == "GET" and len(rest) == 1:
            return self.retrieve(rest[0])
        if method == "POST" and len(rest) == 2 and rest[1] == "cancel":
            return self.cancel(rest[0])
        raise EmulatedError(404, "NotFound", f"Not found: {request.path}")

    def _files(self, ctx: Context, request: Request, method: str, rest: list[str]) -> Any:
        if method == "POST" and not rest:
            return self.files.upload(request.headers.get("content-type", ""), request.body).to_json()
        if method == "GET" and len(rest) == 1:
            return self.files.get(rest[0]).to_json()
        if method == "GET" and len(rest) == 2 and rest[1] == "content":
            return self.files.get(rest[0]).content
        if method == "DELETE" and len(rest) == 1:
            self.files.delete(rest[0])
            return {"id": rest[0], "object": "file", "deleted": True}
        raise EmulatedError(404, "NotFound", f"Not found: {request.path}")

    # ----------------------------------------------------------------- batches
    def create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid("Required body invalid, please check the request body format.")
        endpoint, window = body.get("endpoint"), body.get("completion_window")
        if endpoint not in ENDPOINTS:
            raise invalid(f"Invalid endpoint {endpoint!r}; use one of {', '.join(ENDPOINTS)}.")
        match = _WINDOW.match(window) if isinstance(window, str) else None
        if match is None or not 24 <= int(match.group(1)) <= 336:
            raise invalid(f"Invalid completion_window {window!r}; use '24h' (up to '336h').")
        source = self.files.get(str(body.get("input_file_id")))
        lines = source.content.splitlines()
        problems = validate_lines(lines, str(endpoint), len(source.content))
        record = BatchRecord(
            id=f"batch_{uuid.uuid4()}", endpoint=str(endpoint), input_file_id=source.id, completion_window=str(window),
            metadata=body.get("metadata") if isinstance(body.get("metadata"), dict) else None,
            created=time.monotonic(), created_at=int(time.time()), total=0 if problems else len(lines),
            problems=problems,
            outcome=_done(_Outcome()) if problems else self._pool.submit(run_lines, lines, self._script),
        )
        with self._lock:
            self._batches[record.id] = record
        return self._object(record)

    def _get(self, batch_id: str) -> BatchRecord:
        with self._lock:
            record = self._batches.get(batch_id)
        if record is None:
            raise not_found("batch", batch_id)
        return record

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        return self._object(self._get(batch_id))

    def list(self) -> dict[str, Any]:
        with self._lock:
            records = list(self._batches.values())
        data = [self._object(record) for record in reversed(records)]
        return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None, "has_more": False}

    def cancel(self, batch_id: str) -> dict[str, Any]:
        record = self._get(batch_id)
        status, _ = record.state(self.timing, time.monotonic())
        if status in ("completed", "failed", "expired", "cancelled"):
            raise invalid(f"Batch {batch_id} is {status} and cannot be cancelled.")
        if record.cancel_at is None:
            record.cancel_at = time.monotonic()
        return self._object(record)

    def _object(self, record: BatchRecord) -> dict[str, Any]:
        now = time.monotonic()
        status, progress = record.state(self.timing, now)
        done = int(record.total * progress)
        output_id = error_id = None
        completed = failed = 0
        if status in ("completed", "expired", "cancelled"):
            output_id, error_id, completed, failed = self._results(record, status, done)
        elif status in ("in_progress", "finalizing", "cancelling"):
            completed = done
        return _batch_json(record, status, self._timestamps(record, status), output_id, error_id, completed, failed)

    def _timestamps(self, record: BatchRecord, status: str) -> dict[str, int | None]:
        start = record.created_at
        validated, processed, finalized = (start + int(t - record.created) for t in record._phase_ends(self.timing))
        stamps: dict[str, int | None] = {"in_progress_at": None, "finalizing_at": None, "completed_at": None,
                                         "failed_at": None, "expired_at": None, "cancelling_at": None,
                                         "cancelled_at": None}
        if status not in ("validating", "failed"):
            stamps["in_progress_at"] = validated
        if status == "failed":
            stamps["failed_at"] = validated
        if status in ("finalizing", "completed"):
            stamps["finalizing_at"] = processed
        if status == "completed":
            stamps["completed_at"] = finalized
        if status in ("cancelling", "cancelled") and record.cancel_at is not None:
            stamps["cancelling_at"] = start + int(record.cancel_at - record.created)
            stamps["cancelled_at"] = stamps["cancelling_at"] if status == "cancelled" else None
        if status == "expired":
            stamps["expired_at"] = int(time.time())
        return stamps

    def _results(self, record: BatchRecord, status: str, done: int) -> tuple[str | None, str | None, int, int]:
        if record.files is None:
            outcome = record.outcome.result()
            reason = {"expired": "batch_expired", "cancelled": "batch_cancelled"}.get(status)
            out, err = _split(outcome, done if reason else len(outcome.lines), reason)
            out_file = self.files.add(b"".join(out), f"{record.id}_output.jsonl", "batch_output") if out else None
            err_file = self.files.add(b"".join(err), f"{record.id}_error.jsonl", "batch_output") if err else None
            record.files = (out_file.id if out_file else None, err_file.id if err_file else None)
            record.counts = (len(out), len(err))
        return record.files[0], record.files[1], record.counts[0], record.counts[1]


def _done(outcome: _Outcome) -> Future[_Outcome]:
    future: Future[_Outcome] = Future()
    future.set_result(outcome)
    return future


def _json(ctx: Context, payload: Any) -> Plan:
    if isinstance(payload, bytes):
        return JsonPlan(200, ctx.service_headers("application/octet-stream", finished=True), payload)
    return json_answer(ctx, payload)


def _batch_json(record: BatchRecord, status: str, stamps: dict[str, int | None], output_id: str | None,
                error_id: str | None, completed: int, failed: int) -> dict[str, Any]:
    errors = {"object": "list", "data": record.problems} if record.problems else None
    return {
        "id": record.id, "object": "batch", "endpoint": record.endpoint, "errors": errors,
        "input_file_id": record.input_file_id, "completion_window": record.completion_window, "status": status,
        "output_file_id": output_id, "error_file_id": error_id, "created_at": record.created_at,
        "expires_at": record.created_at + 86_400, **stamps,
        "request_counts": {"total": record.total, "completed": completed, "failed": failed},
        "metadata": record.metadata,
    }


def _split(outcome: _Outcome, processed: int, reason: str | None) -> tuple[list[bytes], list[bytes]]:
    """Output and error lines, in a scrambled (but fixed) order, as the service lists them in any order."""
    out: list[tuple[int, bytes]] = []
    err: list[tuple[int, bytes]] = []
    for position, (custom_id, ok, failed) in enumerate(outcome.lines):
        key = zlib.crc32(custom_id.encode())
        if position >= processed and reason is not None:
            err.append((key, _unprocessed_line(custom_id, reason)))
        elif ok is not None:
            out.append((key, ok))
        elif failed is not None:
            err.append((key, failed))
    return [line for _, line in sorted(out)], [line for _, line in sorted(err)]


def _unprocessed_line(custom_id: str, reason: str) -> bytes:
    message = ("This request could not be executed before the completion window expired." if reason ==
               "batch_expired" else "This request was not executed because the batch was cancelled.")
    return dumps({"id": f"batch_req_{uuid.uuid4().hex}", "custom_id": custom_id, "response": None,
                  "error": {"code": reason, "message": message}}) + b"\n"


# --------------------------------------------------------------------------------------------- validation


def validate_lines(lines: list[bytes], endpoint: str, size: int) -> list[dict[str, Any]]:
    """The service's reasons to fail a batch (empty when the file is valid)."""
    if not lines:
        return [_problem("empty_file", "The input file is empty.", None)]
    if len(lines) > MAX_LINES:
        return [_problem("too_many_requests", f"The file holds {len(lines)} requests; the limit is {MAX_LINES}.",
                         None)]
    models: set[str] = set()
    ids: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        problem = _check_line(raw, endpoint, ids, models)
        if problem is not None:
            return [_problem("invalid_request", problem, number)]
    if len(models) > 1:
        return [_problem("mixed_models", f"All requests must use one model; found {sorted(models)}.", None)]
    return _model_problems(models.pop(), endpoint, len(lines), size)


def _check_line(raw: bytes, endpoint: str, ids: set[str], models: set[str]) -> str | None:
    if len(raw) > MAX_LINE_BYTES:
        return f"The request is {len(raw)} bytes; the limit is {MAX_LINE_BYTES} bytes per line."
    try:
        line = json.loads(raw)
    except ValueError:
        return "The line is not valid JSON."
    if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str) or not line["custom_id"]:
        return "Each line needs a string custom_id."
    if line["custom_id"] in ids:
        return f"Duplicate custom_id {line['custom_id']!r}."
    ids.add(line["custom_id"])
    if line.get("method") != "POST" or line.get("url") != endpoint:
        return f"method must be POST and url must be the batch's endpoint {endpoint!r}."
    body = line.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "Each line needs a body with a model."
    models.add(body["model"])
    return None


def _model_problems(model: str, endpoint: str, count: int, size: int) -> list[dict[str, Any]]:
    if model == TEST_MODEL:
        if endpoint != "/v1/chat/ds-test":
            return [_problem("invalid_request", "batch-test-model runs on the /v1/chat/ds-test url only.", None)]
        if count > TEST_MAX_LINES or size > TEST_MAX_BYTES:
            return [_problem("test_file_too_large", "batch-test-model files hold at most 100 lines and 1 MB.", None)]
        return []
    if endpoint == "/v1/chat/ds-test":
        return [_problem("invalid_request", "The /v1/chat/ds-test url is for batch-test-model only.", None)]
    if not model.startswith(BATCH_MODEL_PREFIXES):
        return [_problem("model_not_supported", f"The model {model!r} does not support batch inference.", None)]
    return []


def _problem(code: str, message: str, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": None, "line": line}


# --------------------------------------------------------------------------------------------- execution

_HANDLERS: dict[str, Callable[[Context], Plan]] = {
    "/v1/chat/completions": compat.chat_completions,
    "/v1/embeddings": vectors.compat_embeddings,
}


def run_lines(lines: list[bytes], script: Script | None = None) -> _Outcome:
    """Answer every line with the live handlers (validated lines only).

    Queued script items apply to lines as to live requests of the same path (``/compatible-mode/v1/...``), in
    file order: a :class:`ScriptedReply` sets a chat line's answer, an :class:`HTTPFault` fails the line.
    """
    outcome = _Outcome()
    for raw in lines:
        line = json.loads(raw)
        path = "/compatible-mode/v1" + line["url"][3:]
        item = script.take(path, "compatible", line["url"] == "/v1/chat/completions") if script else None
        outcome.lines.append(_answer(line["custom_id"], path, line["url"], line["body"], item))
    return outcome


def _answer(custom_id: str, path: str, url: str, body: dict[str, Any],
            item: ScriptItem | None) -> tuple[str, bytes | None, bytes | None]:
    request_id = str(uuid.uuid4())
    if url == "/v1/chat/ds-test":
        return custom_id, _line(custom_id, request_id, 200, _test_body(request_id)), None
    reply = item if isinstance(item, ScriptedReply) else None
    ctx = Context(Request("POST", path, "", "HTTP/1.1", {}, b""), body, request_id, "", reply)
    if isinstance(item, HTTPFault):
        plan: Plan = compat.error_plan(ctx, EmulatedError(item.status, item.code, item.message), False)
    elif body.get("stream") is True:
        plan = compat.error_plan(ctx, invalid("Batch requests cannot be streamed: remove 'stream'."), False)
    else:
        plan = _HANDLERS[url](ctx)
    assert isinstance(plan, JsonPlan)
    answer = json.loads(plan.body)
    if plan.status < 300:
        return custom_id, _line(custom_id, request_id, plan.status, answer), None
    error = answer.get("error") or {}
    return custom_id, None, _line(custom_id, request_id, plan.status, answer,
                                  {"code": error.get("code"), "message": error.get("message")})


def _line(custom_id: str, request_id: str, status: int, body: Any, error: Any = None) -> bytes:
    record = {"id": request_id, "custom_id": custom_id,
              "response": {"status_code": status, "request_id": request_id, "body": body}, "error": error}
    return dumps(record) + b"\n"


def _test_body(request_id: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{request_id}", "object": "chat.completion", "created": int(time.time()),
            "model": TEST_MODEL, "system_fingerprint": None,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": _TEST_REPLY},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 5, "total_tokens": 6}}


def is_batch_path(path: str) -> bool:
    return path.startswith(("/compatible-mode/v1/files", "/compatible-mode/v1/batches"))


__all__ = ["BatchService", "BatchTiming", "is_batch_path"]
