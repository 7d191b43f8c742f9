"""Scripted replies, fault injection, auth, keep-alive and the CLI, asserted through real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from qwen_core.emulator import (
    Disconnect,
    DropConnection,
    Emulator,
    HTTPFault,
    MalformedJSON,
    MalformedSSE,
    RawResponse,
    ScriptedReply,
    ScriptedToolCall,
    SlowFirstByte,
    StreamError,
)
from tests._support.constants import API_KEY
from tests.emulator.helpers import AUTH, SSE, TEXT_PATH, native_frames

BODY = {"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "one two three four"}]},
        "parameters": {"result_format": "message", "incremental_output": True}}
CHAT = {"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}


def native(emu: Emulator, stream: bool = False) -> httpx.Response:
    return httpx.post(emu.base_url + TEXT_PATH, json=BODY, headers={**AUTH, **SSE} if stream else AUTH, timeout=10)


def test_scripted_native_stream_chunks_and_usage(emu: Emulator) -> None:
    emu.enqueue(ScriptedReply(text="Hello world", reasoning="hmm", chunks=["Hel", "lo ", "world"],
                              usage={"input_tokens": 5, "output_tokens": 7}))
    frames = native_frames(native(emu, stream=True).content)
    msgs = [f["output"]["choices"][0]["message"] for f in frames]
    assert [m["content"] for m in msgs] == ["", "Hel", "lo ", "world", ""]
    assert msgs[0]["reasoning_content"] == "hmm"
    assert frames[-1]["usage"]["input_tokens"] == 5 and frames[-1]["usage"]["output_tokens"] == 7
    assert native(emu).json()["output"]["choices"][0]["message"]["content"] == "Echo: one two three four"


def test_script_filters_by_protocol(emu: Emulator) -> None:
    emu.enqueue(ScriptedReply(text="compat only"), protocol="compatible")
    assert native(emu).json()["output"]["choices"][0]["message"]["content"].startswith("Echo:")
    r = httpx.post(emu.compatible_base + "/chat/completions", json=CHAT, headers=AUTH)
    assert r.json()["choices"][0]["message"]["content"] == "compat only"
    assert emu.script.pending() == 0


def test_scripted_tool_calls_stream_native(emu: Emulator) -> None:
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("a", {"x": 1}), ScriptedToolCall("b", '{"y": "zz"}')]))
    frames = native_frames(native(emu, stream=True).content)
    frags = [tc for f in frames for tc in f["output"]["choices"][0]["message"].get("tool_calls", [])]
    assert [f["index"] for f in frags] == [0, 0, 1, 1]
    assert frags[0]["function"]["name"] == "a" and frags[0]["id"].startswith("call_")
    assert frags[1]["id"] == "" and "name" not in frags[1]["function"]
    assert json.loads(frags[2]["function"]["arguments"] + frags[3]["function"]["arguments"]) == {"y": "zz"}
    assert frames[-1]["output"]["choices"][0]["finish_reason"] == "tool_calls"


def test_http_fault_with_retry_after(emu: Emulator) -> None:
    emu.enqueue(HTTPFault(429, "Throttling.RateQuota", "Requests rate limit exceeded", retry_after=2))
    r = native(emu)
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    assert r.json()["code"] == "Throttling.RateQuota"
    emu.enqueue(HTTPFault(500), protocol="compatible")
    r = httpx.post(emu.compatible_base + "/chat/completions", json=CHAT, headers=AUTH)
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert native(emu).status_code == 200


def test_drop_connection(emu: Emulator) -> None:
    emu.enqueue(DropConnection())
    with pytest.raises(httpx.RemoteProtocolError):
        native(emu)
    assert native(emu).status_code == 200


def test_disconnect_mid_stream(emu: Emulator) -> None:
    emu.enqueue(Disconnect(after_events=2))
    received = b""
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
            "POST", emu.base_url + TEXT_PATH, json=BODY, headers={**AUTH, **SSE}) as r:
        for chunk in r.iter_raw():
            received += chunk
    assert received.count(b"event:result") == 2


def test_stream_error_event(emu: Emulator) -> None:
    emu.enqueue(StreamError(after_events=1))
    r = native(emu, stream=True)
    frames = native_frames(r.content)
    assert len(frames) == 2 and frames[1]["code"] == "DataInspectionFailed"
    assert "id:2\nevent:error\n:HTTP_STATUS/400\n" in r.text


def test_stream_error_in_openai_stream(emu: Emulator) -> None:
    import openai

    emu.enqueue(StreamError(after_events=2), protocol="compatible")
    with openai.OpenAI(base_url=emu.compatible_base, api_key=API_KEY, max_retries=0) as oai:
        stream = oai.chat.completions.create(**CHAT, stream=True)  # type: ignore[call-overload]
        with pytest.raises(openai.APIError, match="inappropriate"):
            list(stream)


def test_slow_first_byte_and_latency(emu: Emulator) -> None:
    emu.enqueue(SlowFirstByte(0.3))
    start = time.perf_counter()
    assert native(emu).status_code == 200
    assert time.perf_counter() - start >= 0.3
    with Emulator(latency=0.2, chunk_interval=0.05) as slow:
        start = time.perf_counter()
        frames = native_frames(native(slow, stream=True).content)
        assert time.perf_counter() - start >= 0.2 + 0.05 * (len(frames) - 1)


def test_malformed_json_and_sse(emu: Emulator) -> None:
    emu.enqueue(MalformedJSON())
    r = native(emu)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    emu.enqueue(MalformedSSE(after_events=1))
    text = native(emu, stream=True).text
    datas = [line[5:] for line in text.splitlines() if line.startswith("data:")]
    with pytest.raises(json.JSONDecodeError):
        json.loads(datas[1])
    json.loads(datas[0])


def test_raw_response(emu: Emulator) -> None:
    emu.enqueue(RawResponse(418, {"content-type": "text/plain", "x-k": "v"}, b"teapot"), path=TEXT_PATH)
    r = native(emu)
    assert (r.status_code, r.headers["x-k"], r.text) == (418, "v", "teapot")


def test_auth_native(emu: Emulator) -> None:
    r = httpx.post(emu.base_url + TEXT_PATH, json=BODY)
    assert r.status_code == 401 and r.json()["code"] == "InvalidApiKey"
    r = httpx.post(emu.compatible_base + "/chat/completions", json=CHAT, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_keep_alive_single_connection_and_request_log(emu: Emulator) -> None:
    with httpx.Client(headers=AUTH) as c:
        for i in range(10):
            stream = i % 2 == 1
            r = c.post(emu.base_url + TEXT_PATH, json=BODY, headers=SSE if stream else {})
            assert r.status_code == 200
    assert emu.connections_opened == 1
    assert len(emu.requests) == 10
    first = emu.requests[0]
    assert first.method == "POST" and first.path == TEXT_PATH and first.json == BODY
    assert first.headers["authorization"] == f"Bearer {API_KEY}" and json.loads(first.body) == BODY


def test_cli_prints_base_url() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "qwen_core.emulator", "--port", "0", "--api-key", "k1"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = httpx.post(url + "/compatible-mode/v1/chat/completions", json=CHAT,
                       headers={"Authorization": "Bearer k1"}, timeout=10)
        assert r.json()["choices"][0]["message"]["content"] == "Echo: hi"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
