"""Helpers for emulator tests: request constants, native SSE parsing and JSON structure (key paths and types)
comparison."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from qwen_core.sse import SSEDecoder, SSEEvent
from tests._support.constants import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
TEXT_PATH = "/api/v1/services/aigc/text-generation/generation"
MM_PATH = "/api/v1/services/aigc/multimodal-generation/generation"
SSE = {"X-DashScope-SSE": "enable", "Accept": "text/event-stream"}


def events(raw: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    return decoder.feed(raw) + decoder.flush()


def sse_line_kinds(raw: bytes) -> list[tuple[str, ...]]:
    """Per native SSE frame, the kind of each line: ``id``, ``event:<name>``, ``:HTTP_STATUS/<code>``, ``data``."""
    lines = [line for line in raw.decode("utf-8-sig").replace("\r\n", "\n").split("\n") if line]
    kinds = [line if line.startswith(("event:", ":HTTP_STATUS/")) else line.split(":", 1)[0] for line in lines]
    return [tuple(kinds[n: n + 4]) for n in range(0, len(kinds), 4)]


def native_frames(raw: bytes) -> list[dict[str, Any]]:
    """Data payloads of a native SSE body, checking each frame's four field lines on the way."""
    lines = [line for line in raw.decode("utf-8-sig").replace("\r\n", "\n").split("\n") if line]
    assert len(lines) % 4 == 0, lines[-4:]
    out = []
    for n in range(len(lines) // 4):
        ident, event, status, data = lines[4 * n: 4 * n + 4]
        assert ident == f"id:{n + 1}", ident
        assert event in ("event:result", "event:error"), event
        assert status.startswith(":HTTP_STATUS/"), status
        assert data.startswith("data:{"), data[:80]
        out.append(json.loads(data[5:]))
    return out


def structure(value: Any, path: str = "$") -> dict[str, str]:
    """Every key path of a JSON value with its JSON type (list items merged under ``path[]``)."""
    out = {path: _json_type(value)}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(structure(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for item in value:
            out.update(structure(item, f"{path}[]"))
    return out


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string"}[type(value)]


def structure_diff(recorded: Any, emulated: Any, tolerated: Callable[[str], bool] = lambda path: False) -> list[str]:
    """Key paths missing from ``emulated``, extra in it (unless ``tolerated``), or of another JSON type."""
    want, got = structure(recorded), structure(emulated)
    diffs = [f"{p} missing" for p in sorted(want.keys() - got.keys())]
    diffs += [f"{p} unexpected" for p in sorted(got.keys() - want.keys()) if not tolerated(p)]
    diffs += [f"{p}: {want[p]} != {got[p]}" for p in sorted(want.keys() & got.keys()) if want[p] != got[p]]
    return diffs
