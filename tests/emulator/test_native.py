"""The dashscope SDK and raw httpx against the native endpoints; validation rules; embeddings and rerank."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from qwen_core.emulator import Emulator
from tests._support.constants import API_KEY
from tests.emulator.helpers import AUTH, MM_PATH, SSE, TEXT_PATH, native_frames

EMB = "/api/v1/services/embeddings/text-embedding/text-embedding"
RERANK = "/api/v1/services/rerank/text-rerank/text-rerank"


def post(emu: Emulator, path: str, body: dict[str, Any], stream: bool = False) -> httpx.Response:
    headers = {**AUTH, **SSE} if stream else AUTH
    return httpx.post(emu.base_url + path, json=body, headers=headers, timeout=10)


def gen(model: str, text: str, **params: Any) -> dict[str, Any]:
    return {"model": model, "input": {"messages": [{"role": "user", "content": text}]},
            "parameters": {"result_format": "message", **params}}


def test_dashscope_sdk_call_and_stream(emu: Emulator) -> None:
    from dashscope import Generation

    r = Generation.call(model="qwen-plus", messages=[{"role": "user", "content": "hello sdk"}], api_key=API_KEY,
                        base_address=emu.native_base, result_format="message")
    assert r.status_code == 200
    assert r.output.choices[0].message.content == "Echo: hello sdk"
    assert isinstance(r.request_id, str) and len(r.request_id) == 36
    assert emu.requests.last.path == TEXT_PATH
    parts = list(Generation.call(model="qwen-plus", messages=[{"role": "user", "content": "a b c"}],
                                 api_key=API_KEY, base_address=emu.native_base, result_format="message",
                                 stream=True, incremental_output=True))
    assert "".join(p.output.choices[0].message.content for p in parts) == "Echo: a b c"
    assert parts[-1].output.choices[0].finish_reason == "stop"
    assert emu.requests.last.headers["x-dashscope-sse"] == "enable"


def test_dashscope_sdk_error_is_returned(emu: Emulator) -> None:
    from dashscope import Generation

    r = Generation.call(model="no-such-model", messages=[{"role": "user", "content": "x"}], api_key=API_KEY,
                        base_address=emu.native_base)
    assert (r.status_code, r.code, r.message) == (400, "InvalidParameter", "Model not exist.")


def test_cumulative_vs_incremental_stream(emu: Emulator) -> None:
    inc = native_frames(post(emu, TEXT_PATH, gen("qwen-max", "one two three", incremental_output=True), True).content)
    cum = native_frames(post(emu, TEXT_PATH, gen("qwen-max", "one two three", incremental_output=False), True).content)
    inc_text = [f["output"]["choices"][0]["message"]["content"] for f in inc]
    cum_text = [f["output"]["choices"][0]["message"]["content"] for f in cum]
    assert "".join(inc_text) == "Echo: one two three" == cum_text[-1]
    assert cum_text[:4] == ["Echo:", "Echo: one", "Echo: one two", "Echo: one two three"]
    outs = [f["usage"]["output_tokens"] for f in inc]
    assert outs == sorted(outs) and outs[-1] == cum[-1]["usage"]["output_tokens"]
    assert [f["output"]["choices"][0]["finish_reason"] for f in inc][-2:] == ["null", "stop"]


def test_default_incremental_for_qwen3_max(emu: Emulator) -> None:
    frames = native_frames(post(emu, TEXT_PATH, gen("qwen3-max", "x y"), True).content)
    assert [f["output"]["choices"][0]["message"]["content"] for f in frames] == ["Echo:", " x", " y", ""]


def test_thinking_stream_native_multimodal(emu: Emulator) -> None:
    body = {"model": "qwen3-vl-plus", "input": {"messages": [{"role": "user", "content": [
        {"image": "https://example.com/a.png"}, {"text": "what is it"}]}]},
        "parameters": {"enable_thinking": True, "thinking_budget": 4}}
    frames = native_frames(post(emu, MM_PATH, body, True).content)
    first, last = frames[0]["output"]["choices"][0]["message"], frames[-1]
    assert first["content"] == [] and first["reasoning_content"]
    texts = [t["text"] for f in frames for t in f["output"]["choices"][0]["message"]["content"]]
    assert "".join(texts) == "Echo: what is it"
    assert last["usage"]["output_tokens_details"]["reasoning_tokens"] == 4
    assert last["usage"]["image_tokens"] == 256


@pytest.mark.parametrize(("body", "path", "stream", "message"), [
    (gen("qwen-plus", "x", enable_thinking=True), TEXT_PATH, False,
     "parameter.enable_thinking must be set to false for non-streaming calls"),
    (gen("qwq-plus", "x"), TEXT_PATH, False, "This model only support stream mode"),
    (gen("qwen-plus", "x", enable_thinking=True, incremental_output=False), TEXT_PATH, True,
     'The incremental_output parameter must be "true" when enable_thinking is true'),
    (gen("qwen-plus", "x", enable_thinking=True, tools=[{"type": "function", "function": {"name": "f"}}],
         tool_choice={"type": "function", "function": {"name": "f"}}), TEXT_PATH, True, "thinking mode"),
    (gen("qwen-plus", "say hi", response_format={"type": "json_object"}), TEXT_PATH, False,
     "must contain the word 'json'"),
    (gen("qwen-max", "json please", response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
     TEXT_PATH, False, "json_schema"),
    (gen("qwen-vl-plus", "x"), TEXT_PATH, False, "url error, please check url!"),
    (gen("qwen-plus", "x"), MM_PATH, False, "url error, please check url!"),
    ({"model": "qwen-plus", "input": {"messages": [{"role": "tool", "content": "r", "tool_call_id": "c"}]}},
     TEXT_PATH, False, 'must be a response to a preceeding message with "tool_calls"'),
    ({"model": "qwen-plus", "input": {"messages": []}}, TEXT_PATH, False, "Content length must be greater than 0"),
    (gen("qwen-plus", "x", temperature=2.5), TEXT_PATH, False, "Temperature should be in [0.0, 2.0)"),
])
def test_validation_rules(emu: Emulator, body: dict[str, Any], path: str, stream: bool, message: str) -> None:
    r = post(emu, path, body, stream)
    if stream:
        assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream;charset=UTF-8"
        assert r.text.startswith("id:1\nevent:error\n:HTTP_STATUS/400\ndata:{")
        data = native_frames(r.content)[0]
    else:
        assert r.status_code == 400
        data = r.json()
    assert data["code"] == "InvalidParameter" and message in data["message"]
    assert set(data) == {"code", "message", "request_id"} and data["request_id"] == r.headers["x-request-id"]


def test_tools_partial_stop_max_tokens_search_logprobs(emu: Emulator) -> None:
    weather = {"type": "function", "function": {"name": "get_weather", "description": "weather of a city",
                                                "parameters": {"type": "object", "required": ["city", "unit"],
                                                               "properties": {"city": {"type": "string"},
                                                                              "unit": {"enum": ["c", "f"]}}}}}
    out = post(emu, TEXT_PATH, gen("qwen-plus", "weather in Paris", tools=[weather])).json()["output"]
    call = out["choices"][0]["message"]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris", "unit": "c"}
    assert out["choices"][0]["finish_reason"] == "tool_calls"
    prefix = {"role": "assistant", "content": "Echo:", "partial": True}
    partial = {"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "hi"}, prefix]}}
    assert post(emu, TEXT_PATH, partial).json()["output"]["text"] == " hi"
    stopped = post(emu, TEXT_PATH, gen("qwen-plus", "alpha beta gamma", stop=["gamma"])).json()["output"]
    assert stopped["choices"][0]["message"]["content"] == "Echo: alpha beta "
    cut = post(emu, TEXT_PATH, gen("qwen-plus", "alpha beta gamma delta", max_tokens=2)).json()
    assert cut["output"]["choices"][0]["finish_reason"] == "length" and cut["usage"]["output_tokens"] == 2
    search = post(emu, TEXT_PATH, gen("qwen-plus", "news", enable_search=True)).json()
    assert search["output"]["search_info"]["search_results"][0]["index"] == 1
    assert search["usage"]["plugins"]["search"]["count"] == 1
    lp = post(emu, TEXT_PATH, gen("qwen-max", "2", logprobs=True, top_logprobs=2)).json()["output"]["choices"][0]
    tokens = "".join(e["token"] for e in lp["logprobs"]["content"])
    assert tokens == lp["message"]["content"] and lp["logprobs"]["content"][0]["top_logprobs"]


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_native_and_compat(emu: Emulator) -> None:
    texts = ["the cat sat on the mat", "a cat on a mat", "quantum field theory"]
    data = post(emu, EMB, {"model": "text-embedding-v4", "input": {"texts": texts},
                           "parameters": {"dimension": 256}}).json()
    vecs = [e["embedding"] for e in data["output"]["embeddings"]]
    assert [len(v) for v in vecs] == [256] * 3 and abs(_cos(vecs[0], vecs[0]) - 1) < 1e-9
    assert _cos(vecs[0], vecs[1]) > _cos(vecs[0], vecs[2])
    too_many = post(emu, EMB, {"model": "text-embedding-v4", "input": {"texts": ["x"] * 11}})
    assert too_many.status_code == 400 and "should not be larger than 10" in too_many.json()["message"]
    bad_dim = post(emu, EMB, {"model": "text-embedding-v4", "input": {"texts": ["x"]}, "parameters": {"dimension": 3}})
    assert bad_dim.status_code == 400
    import openai

    with openai.OpenAI(base_url=emu.compatible_base, api_key=API_KEY, max_retries=0) as oai:
        r = oai.embeddings.create(model="text-embedding-v3", input=texts[:2], dimensions=128)
    assert [len(d.embedding) for d in r.data] == [128, 128]
    native128 = post(emu, EMB, {"model": "text-embedding-v3", "input": {"texts": texts[:1]},
                                "parameters": {"dimension": 128}}).json()["output"]["embeddings"][0]["embedding"]
    assert max(abs(a - b) for a, b in zip(r.data[0].embedding, native128, strict=True)) < 1e-6
    assert r.usage.total_tokens > 0


def test_rerank_native_and_compat(emu: Emulator) -> None:
    docs = ["apples are red", "text rerank sorts documents", "what is text rerank exactly"]
    body = {"model": "gte-rerank-v2", "input": {"query": "what is text rerank", "documents": docs},
            "parameters": {"top_n": 2, "return_documents": True}}
    results = post(emu, RERANK, body).json()["output"]["results"]
    assert [r["index"] for r in results] == [2, 1]
    assert results[0]["relevance_score"] > results[1]["relevance_score"] > 0
    assert results[0]["document"] == {"text": docs[2]}
    compat = post(emu, "/compatible-api/v1/reranks", {"model": "qwen3-rerank", "query": "text rerank",
                                                       "documents": docs}).json()
    assert len(compat["results"]) == 3 and "document" not in compat["results"][0]
    over = post(emu, RERANK, {"model": "gte-rerank-v2", "input": {"query": "q", "documents": ["d"] * 501}})
    assert over.status_code == 400
