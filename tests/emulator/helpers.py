"""Helpers for emulator tests: native SSE parsing and JSON key-layout comparison."""

from __future__ import annotations

import json
from typing import Any

from qwen_core.sse import SSEDecoder, SSEEvent

#: Usage/choice keys whose presence varies between real responses (quirk Q18; ``index`` only with n>1/tools).
VARIABLE_KEYS = frozenset({
    "prompt_tokens_details", "input_tokens_details", "output_tokens_details", "total_tokens", "index",
    "image_tokens", "image_search", "text_tokens", "reasoning_content", "logprobs",
})


def events(raw: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    return decoder.feed(raw) + decoder.flush()


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


def layout(value: Any) -> Any:
    """The key structure of a JSON value: dicts by keys, lists by their first element, scalars by kind."""
    if isinstance(value, dict):
        return {k: layout(v) for k, v in value.items()}
    if isinstance(value, list):
        return [layout(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    return "str"


def layout_diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences between two layouts, ignoring :data:`VARIABLE_KEYS` and empty lists on either side."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        diffs = []
        for key in expected.keys() | actual.keys():
            if key in VARIABLE_KEYS and (key not in expected or key not in actual):
                continue
            if key not in actual:
                diffs.append(f"{path}.{key} missing")
            elif key not in expected:
                diffs.append(f"{path}.{key} unexpected")
            else:
                diffs.extend(layout_diff(expected[key], actual[key], f"{path}.{key}"))
        return diffs
    if isinstance(expected, list) and isinstance(actual, list):
        if not expected or not actual:
            return []
        return layout_diff(expected[0], actual[0], f"{path}[0]")
    if expected != actual:
        return [f"{path}: {expected} != {actual}"]
    return []
