"""Replay every real-service capture against the emulator: same framing, same JSON structure.

For every capture (all 23 are in scope: the captures README asks the emulator to match them all) the emulator's
answer to the recorded request must have the recorded answer's key paths with the same JSON types, in the whole
body or in the first and last stream frames (so the usage detail keys match too), and the same SSE line kinds.
The one tolerated difference is a key the service added after a capture was recorded (:data:`ADDED_SINCE`).
"""

from __future__ import annotations

import datetime
import email.utils
import json
from collections.abc import Callable

import httpx
import pytest

from qwen_core.emulator import Emulator
from tests._support.constants import CAPTURES
from tests.emulator.helpers import AUTH, MM_PATH, SSE, TEXT_PATH, native_frames, sse_line_kinds, structure_diff

NAMES = sorted(p.name[: -len(".response.body.txt")] for p in CAPTURES.glob("*.response.body.txt"))
PATHS = {
    "multimodal-generation": MM_PATH,
    "single-generation": TEXT_PATH,
    "auth-error": TEXT_PATH,
    "parameter-error": TEXT_PATH,
    "text-embedding": "/api/v1/services/embeddings/text-embedding/text-embedding",
    "tokenization": "/api/v1/tokenizer",
}


#: Key paths the service sends today but not when older captures were recorded -> date of the first capture that
#: has it (captures from 2024 lack prompt_tokens_details; every text-model capture since March 2025 has it).
ADDED_SINCE = {"$.usage.prompt_tokens_details": datetime.date(2025, 3, 17)}


def _recorded_on(name: str) -> datetime.date:
    header = next(line for line in _read(name, "response.header.txt").splitlines() if line.lower().startswith("date:"))
    return email.utils.parsedate_to_datetime(header.split(":", 1)[1].strip()).date()


def _added_later(name: str) -> Callable[[str], bool]:
    recorded = _recorded_on(name)
    return lambda path: any(path.startswith(key) and recorded < since for key, since in ADDED_SINCE.items())


def _read(name: str, suffix: str) -> str:
    return (CAPTURES / f"{name}.{suffix}").read_text(encoding="utf-8-sig")


def _status(name: str) -> int:
    return int(_read(name, "response.header.txt").splitlines()[0].split()[1])


def _send(emu: Emulator, name: str) -> httpx.Response:
    if name.startswith("get-upload-policy"):
        return httpx.get(emu.native_base + "/uploads", params={"action": "getPolicy", "model": "qwen-vl-plus"},
                         headers=AUTH)
    path = next(p for prefix, p in PATHS.items() if name.startswith(prefix))
    headers = {} if name.startswith("auth-error") else dict(AUTH)
    if name.endswith("-sse"):
        headers.update(SSE)
    body = json.loads(_read(name, "request.body.json"))
    return httpx.post(emu.base_url + path, json=body, headers=headers, timeout=10)


def test_all_captures_are_covered() -> None:
    assert len(NAMES) >= 20
    assert "tokenization-nosse" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_capture_replay(emu: Emulator, name: str) -> None:
    response = _send(emu, name)
    expected_raw = _read(name, "response.body.txt")
    assert response.status_code == _status(name), response.text[:300]
    if name.endswith("-sse"):
        assert response.headers["content-type"] == "text/event-stream;charset=UTF-8"
        assert response.headers["x-dashscope-finished"] == "false"
        assert response.headers.get("transfer-encoding") == "chunked"
        got = native_frames(response.content)
        want = native_frames(expected_raw.encode())
        assert len(got) >= 2
        assert response.text.count("\n\nid:") == len(got) - 1 and response.text.endswith("}\n\n")
        assert got[0]["output"] and got[-1]["output"]
        assert sse_line_kinds(response.content)[0] == sse_line_kinds(expected_raw.encode())[0]
        assert set(sse_line_kinds(response.content)) == set(sse_line_kinds(expected_raw.encode()))
        for i in (0, -1):
            assert structure_diff(want[i], got[i], _added_later(name)) == [], (i, got[i])
        assert all(f["request_id"] == response.headers["x-request-id"] for f in got)
        _check_finish_reasons(got)
    else:
        assert response.headers["content-type"] == "application/json"
        got_body = response.json()
        want_body = json.loads(expected_raw)
        assert structure_diff(want_body, got_body, _added_later(name)) == [], got_body
        assert got_body["request_id"] == response.headers["x-request-id"]


def _check_finish_reasons(frames: list[dict]) -> None:
    reasons = []
    for frame in frames:
        output = frame["output"]
        reasons.append(output["choices"][0]["finish_reason"] if "choices" in output else output["finish_reason"])
    assert all(r == "null" for r in reasons[:-1])
    assert reasons[-1] in ("stop", "tool_calls", "length")


def test_tokenizer_capture_ids(emu: Emulator) -> None:
    body = json.loads(_read("tokenization-nosse", "request.body.json"))
    data = httpx.post(emu.base_url + "/api/v1/tokenizer", json=body, headers=AUTH).json()
    assert data["output"] == {"token_ids": [46100, 101933, 99489], "tokens": ["代码", "改变", "世界"]}
    assert data["usage"] == {"input_tokens": 3}


def test_forced_tool_capture_finish_reason_is_stop(emu: Emulator) -> None:
    """Quirk docs/protocol.md#q9 (forced tool_choice): non-stream native with a forced function reports finish_reason
    "stop"."""
    body = json.loads(_read("single-generation-message-with-tools-nosse", "request.body.json"))
    choice = httpx.post(emu.base_url + TEXT_PATH, json=body, headers=AUTH).json()["output"]["choices"][0]
    assert choice["finish_reason"] == "stop"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_current_weather"
    assert json.loads(call["function"]["arguments"])["location"]
    assert choice["message"]["content"] == ""
