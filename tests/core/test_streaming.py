"""Stream accumulation: recorded streams at every byte split, tool-call fragments, finish and usage rules."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import pytest

from qwen_core.errors import ResponseParseError
from qwen_core.protocols.compatible import parse_compatible_stream_event
from qwen_core.protocols.native import parse_native_stream_event
from qwen_core.sse import SSEEvent
from qwen_core.streaming import StreamAccumulator, is_finished
from qwen_core.types import ChatDelta, ChatResult, ToolCall, ToolCallChunk, Usage

Runner = Callable[[Callable[[SSEEvent], tuple[ChatDelta, ...]], Iterable[bytes]], ChatResult]
Capture = Callable[[str], bytes]

STREAMS = [
    "single-generation-message-sse",
    "single-generation-text-sse",
    "multimodal-generation-vl-sse",
    "single-generation-message-with-tools-sse",
    "multimodal-generation-message-with-tools-sse",
    "single-generation-message-with-code-interpreter-sse",
]


def test_message_stream_result(capture: Capture, run_stream: Runner) -> None:
    result = run_stream(parse_native_stream_event, [capture("single-generation-message-sse")])
    assert result.text.startswith("1+1 等于 2。这是最基本的数学加法之一")
    assert result.finish_reason == "stop"
    assert result.request_id == "d272255f-82d7-9cc7-93c5-17ff77024349"
    assert result.usage is not None and (result.usage.output_tokens, result.usage.total_tokens) == (40, 48)


def test_thinking_stream_on_multimodal_endpoint(capture: Capture, run_stream: Runner) -> None:
    result = run_stream(parse_native_stream_event, [capture("multimodal-generation-message-with-tools-sse")])
    assert result.reasoning.startswith("用户需要编写一个基于图片的小故事")
    assert result.reasoning.endswith("最完美的周末。")
    assert result.text == (
        "告别杭州的多云，我们驱车奔赴上海的晴朗。金色的阳光洒满海滩，海风微暖。我坐在沙滩上，看着金毛兴奋地举起爪子"
        "与我“握手”击掌。此刻远离喧嚣，只有我们和治愈的暖阳，这就是最完美的周末。"
    )
    assert result.usage is not None
    assert (result.usage.reasoning_tokens, result.usage.image_tokens, result.usage.cached_tokens) == (556, 2503, None)
    assert result.usage.total_tokens == 3511


def test_text_format_stream(capture: Capture, run_stream: Runner) -> None:
    result = run_stream(parse_native_stream_event, [capture("single-generation-text-sse")])
    assert (result.text, result.finish_reason) == ("1+1等于2。", "stop")


@pytest.mark.parametrize("name", STREAMS)
def test_every_byte_split_gives_the_same_result(name: str, capture: Capture, run_stream: Runner) -> None:
    body = capture(name)
    whole = run_stream(parse_native_stream_event, [body])
    assert whole.finish_reason == "stop"
    # one byte at a time: every boundary (mid-line, mid-UTF-8 character, inside the BOM) is a split
    assert run_stream(parse_native_stream_event, [body[i : i + 1] for i in range(len(body))]) == whole
    step = 1 if len(body) < 1500 else 97  # the one-byte feed above already covers every boundary
    for cut in range(0, len(body) + 1, step):
        assert run_stream(parse_native_stream_event, [body[:cut], body[cut:]]) == whole, cut


def native_frame(calls: list[dict[str, object]], finish: str = "null", output_tokens: int = 1) -> str:
    return "data:" + json.dumps(
        {
            "output": {
                "choices": [
                    {
                        "message": {"content": "", "tool_calls": calls, "role": "assistant"},
                        "index": 0,
                        "finish_reason": finish,
                    }
                ]
            },
            "usage": {"input_tokens": 10, "output_tokens": output_tokens, "total_tokens": 10 + output_tokens},
            "request_id": "req-par",
        },
        ensure_ascii=False,
    )


PARALLEL_NATIVE = (
    "\n\n".join(
        [
            native_frame(
                [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location": "'},
                    }
                ]
            ),
            native_frame(
                [{"index": 0, "id": "", "type": "function", "function": {"arguments": '杭州"}'}}], output_tokens=2
            ),
            native_frame(
                [
                    {"index": 0, "id": "", "type": "function", "function": {"arguments": ""}},
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location":'},
                    },
                ],
                output_tokens=3,
            ),
            native_frame(
                [{"index": 1, "id": "", "type": "function", "function": {"arguments": ' "上海"}'}}],
                "tool_calls",
                output_tokens=4,
            ),
        ]
    )
    + "\n\n"
)


def test_parallel_native_tool_calls_at_every_split(run_stream: Runner) -> None:
    body = PARALLEL_NATIVE.encode()
    expected = (
        ToolCall("call_a", "get_weather", '{"location": "杭州"}', 0),
        ToolCall("call_b", "get_weather", '{"location": "上海"}', 1),
    )
    whole = run_stream(parse_native_stream_event, [body])
    assert whole.tool_calls == expected
    assert whole.finish_reason == "tool_calls"
    assert whole.usage is not None and whole.usage.output_tokens == 4  # cumulative: latest, not the sum
    for cut in range(len(body) + 1):
        assert run_stream(parse_native_stream_event, [body[:cut], body[cut:]]) == whole


def compat_chunk(delta: dict[str, object], finish: str | None = None, **extra: object) -> str:
    body: dict[str, object] = {
        "id": "chatcmpl-req-c",
        "object": "chat.completion.chunk",
        "model": "qwen-plus",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    body.update(extra)
    return "data: " + json.dumps(body) + "\n\n"


def test_compatible_stream_with_tools_reasoning_and_usage(run_stream: Runner) -> None:
    usage = {
        "prompt_tokens": 5,
        "completion_tokens": 7,
        "total_tokens": 12,
        "completion_tokens_details": {"reasoning_tokens": 3},
    }
    body = "".join(
        [
            compat_chunk({"role": "assistant", "content": None, "reasoning_content": "think"}),
            compat_chunk(
                {
                    "content": None,
                    "tool_calls": [
                        {"index": 0, "id": "call_x", "type": "function", "function": {"name": "f", "arguments": ""}}
                    ],
                }
            ),
            compat_chunk(
                {"tool_calls": [{"index": 0, "id": "", "type": "function", "function": {"arguments": '{"a":'}}]}
            ),
            compat_chunk({"tool_calls": [{"index": 0, "id": "", "type": "function", "function": {}}]}),
            compat_chunk(
                {"tool_calls": [{"index": 0, "id": "", "type": "function", "function": {"arguments": " 1}"}}]}
            ),
            compat_chunk({}, "tool_calls"),
            "data: "
            + json.dumps({"id": "chatcmpl-req-c", "model": "qwen-plus", "choices": [], "usage": usage})
            + "\n\n",
            "data: [DONE]\n\n",
        ]
    ).encode()
    result = run_stream(parse_compatible_stream_event, [body])
    assert result.tool_calls == (ToolCall("call_x", "f", '{"a": 1}', 0),)
    assert (result.reasoning, result.text, result.finish_reason) == ("think", "", "tool_calls")
    assert (result.model, result.request_id) == ("qwen-plus", "req-c")
    assert result.usage is not None and (result.usage.total_tokens, result.usage.reasoning_tokens) == (12, 3)
    assert run_stream(parse_compatible_stream_event, [body[i : i + 1] for i in range(len(body))]) == result


def test_fragment_with_id_does_not_start_a_new_call() -> None:
    acc = StreamAccumulator()
    acc.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, "call_1", "f", '{"x"'),)))
    acc.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, "call_1", None, ": 1"),)))
    acc.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, "call_late", "g", "}"),)))  # first id and name win
    assert acc.result().tool_calls == (ToolCall("call_1", "f", '{"x": 1}', 0),)


def test_one_delta_carrying_two_indices_and_out_of_order_indices() -> None:
    acc = StreamAccumulator()
    acc.add(ChatDelta(tool_call_chunks=(ToolCallChunk(1, "b", "g", "{"), ToolCallChunk(0, "a", "f", "{"))))
    acc.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, None, None, "}"), ToolCallChunk(1, None, None, "}"))))
    assert acc.result().tool_calls == (ToolCall("a", "f", "{}", 0), ToolCall("b", "g", "{}", 1))


def test_missing_ids_are_synthesized_and_missing_names_fail() -> None:
    acc = StreamAccumulator()
    acc.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, None, "f", "{}"),), request_id="ab-cd"))
    assert acc.result().tool_calls[0].id == "call_abcd_0"
    broken = StreamAccumulator()
    broken.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, "id", None, "{}"),)))
    assert broken.snapshot().tool_calls[0].name == ""
    with pytest.raises(ResponseParseError):
        broken.result()


def test_choices_finish_usage_logprobs_and_search_info() -> None:
    acc = StreamAccumulator()
    first = Usage(1, 1, 2)
    last = Usage(1, 5, 6)
    acc.add(ChatDelta(index=1, text="b", finish_reason=None, usage=first, logprobs=[{"token": "b"}]))
    acc.add(ChatDelta(index=0, text="a", search_info={"search_results": [{"index": 1}]}, model="m"))
    acc.add(ChatDelta(index=0, text="a2", finish_reason="stop", search_info={"search_results": []}))
    acc.add(ChatDelta(index=1, text="b2", finish_reason="length", usage=last, logprobs=[{"token": "b2"}]))
    acc.add(ChatDelta(index=1, finish_reason=None))
    assert acc.finished
    result = acc.result()
    assert [(c.index, c.text, c.finish_reason) for c in result.choices] == [(0, "aa2", "stop"), (1, "bb2", "length")]
    assert result.choices[1].logprobs == ({"token": "b"}, {"token": "b2"})
    assert result.choices[0].logprobs is None
    assert result.usage is last
    assert result.search_info == {"search_results": [{"index": 1}]}
    assert result.model == "m"


def test_is_finished() -> None:
    assert not is_finished(None)
    assert not is_finished("")
    assert not is_finished("null")
    assert is_finished("stop")


# -- the incremental view ----------------------------------------------------------------------------------------


def _view_deltas() -> list[ChatDelta]:
    return [
        ChatDelta(role="assistant"),
        ChatDelta(reasoning="let "),
        ChatDelta(index=1, text="other", request_id="req-a"),
        ChatDelta(reasoning="me think", text="Hel"),
        ChatDelta(tool_call_chunks=(ToolCallChunk(1, None, "second", '{"x": '),)),
        ChatDelta(text="lo"),
        ChatDelta(tool_call_chunks=(ToolCallChunk(0, "c0", "weather", '{"city"'),), request_id="req-b"),
        ChatDelta(tool_call_chunks=(ToolCallChunk(0, "ignored", None, ': "Hangzhou"}'),
                                    ToolCallChunk(1, "c1", None, "1}"))),
        ChatDelta(index=1, tool_call_chunks=(ToolCallChunk(0, None, "other", "{}"),)),
        ChatDelta(finish_reason="tool_calls", usage=Usage(1, 2, 3)),
    ]


def test_incremental_view_equals_the_snapshot_after_every_delta() -> None:
    accumulator = StreamAccumulator()
    assert (accumulator.text(), accumulator.reasoning(), accumulator.tool_calls()) == ("", "", ())
    for delta in _view_deltas():
        accumulator.add(delta)
        snapshot = accumulator.snapshot()
        for choice in snapshot.choices:
            view = (accumulator.text(choice.index), accumulator.reasoning(choice.index),
                    accumulator.tool_calls(choice.index))
            assert view == (choice.text, choice.reasoning, choice.tool_calls)
    assert accumulator.text(7) == accumulator.reasoning(7) == "" and accumulator.tool_calls(7) == ()
    final = accumulator.result()
    assert accumulator.tool_calls() == final.tool_calls == (
        ToolCall("c0", "weather", '{"city": "Hangzhou"}', 0), ToolCall("c1", "second", '{"x": 1}', 1)
    )
    assert (accumulator.text(), accumulator.reasoning(), final.text) == ("Hello", "let me think", "Hello")


def test_incremental_tool_calls_are_rebuilt_only_when_they_change() -> None:
    accumulator = StreamAccumulator()
    accumulator.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, None, None, '{"a"'),)))
    unnamed = accumulator.tool_calls()
    assert unnamed == (ToolCall("call_0_0", "", '{"a"', 0),)  # no name yet: as the snapshot shows it
    accumulator.add(ChatDelta(text="x"))
    assert accumulator.tool_calls() is unnamed
    accumulator.add(ChatDelta(index=1, tool_call_chunks=(ToolCallChunk(0, "o", "other", "{}"),)))
    assert accumulator.tool_calls() is unnamed  # another choice's fragment
    accumulator.add(ChatDelta(request_id="req-9"))
    renamed = accumulator.tool_calls()  # the synthesized id follows the request id, as in the snapshot
    assert renamed == accumulator.snapshot().tool_calls and renamed[0].id != unnamed[0].id
    accumulator.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, None, "f", ": 1}"),)))
    assert accumulator.tool_calls() == (ToolCall(renamed[0].id, "f", '{"a": 1}', 0),)
    nameless = StreamAccumulator()
    nameless.add(ChatDelta(tool_call_chunks=(ToolCallChunk(0, "x", None, "{}"),)))
    assert nameless.tool_calls() == (ToolCall("x", "", "{}", 0),)  # the view never raises; the result does
    with pytest.raises(ResponseParseError):
        nameless.result()
