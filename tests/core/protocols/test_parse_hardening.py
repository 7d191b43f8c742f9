"""Every parser of both protocols, fed mutations of every real capture body (and the documented compatible
shapes): a well-formed result or a typed error, never an untyped crash (``AttributeError``, ``KeyError``...).

The ``@example`` seeds are mutations that crashed the parsers before they were hardened (one per crash class).
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qwen_core.errors import ResponseParseError
from qwen_core.protocols.compatible import parse_compatible_chat, parse_compatible_stream_event
from qwen_core.protocols.native import NativeProtocol, parse_native_chat, parse_native_embedding, parse_native_rerank
from qwen_core.sse import SSEEvent
from tests._support.fuzzing import capture_bodies, check_well_formed, mutate_body, parse_everything

BODIES = capture_bodies()


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(BODIES)), seed=st.integers(0, 2**32 - 1))
@example(name="doc-compat-chat", seed=1)  # choices=['x'] -> AttributeError
@example(name="doc-compat-chat", seed=11)  # a tool call id that is a list
@example(name="doc-compat-chat", seed=30)  # unhashable list where a finish reason belongs
@example(name="doc-compat-embedding", seed=0)  # a vector holding a list
@example(name="doc-compat-embedding", seed=8)  # an item without "embedding" -> KeyError
@example(name="doc-compat-embedding", seed=13)  # int() of a string index -> ValueError
@example(name="doc-compat-stream", seed=14)  # a float where a choice belongs
@example(name="doc-compat-stream", seed=15)  # finish_reason 1 passed through
@example(name="doc-compat-stream", seed=249)  # choices as an object -> KeyError 0
@example(name="doc-native-rerank", seed=9)  # float() of a list
@example(name="doc-native-rerank", seed=24)  # request_id -1 passed through
@example(name="doc-native-rerank", seed=26)  # a hit without index -> KeyError
@example(name="multimodal-generation-message-with-tools-sse", seed=0)  # a list where message belongs
@example(name="multimodal-generation-message-with-tools-sse", seed=210)  # choices as an object
@example(name="multimodal-generation-vl-nosse", seed=40)  # request_id a huge number
@example(name="text-embedding-nosse", seed=0)  # a vector element that is not a number
def test_mutated_answers_parse_or_raise_a_typed_error(name: str, seed: int) -> None:
    assert parse_everything(mutate_body(BODIES[name], random.Random(seed))) == []


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_unmutated_bodies_still_parse(name: str) -> None:
    assert parse_everything(BODIES[name]) == []


@pytest.mark.parametrize(
    ("parse", "body", "path"),
    [
        (parse_compatible_chat, b'{"choices":["x"]}', "choices[0]"),
        (parse_compatible_chat,
         b'{"choices":[{"message":{"tool_calls":[{"function":{"name":"f"}},{"function":"x"}]}}]}',
         "choices[0].message.tool_calls[1].function"),
        (parse_native_chat, b'{"output":{"choices":[{"message":{"content":[{"text":5}]}}]}}',
         "output.choices[0].message.content[0].text"),
        (parse_native_chat, b'{"output":{"choices":[{"finish_reason":"stop"}]},"usage":{"input_tokens":"3"}}',
         "usage.input_tokens"),
        (parse_native_embedding, b'{"output":{"embeddings":[{"text_index":0}]}}', "output.embeddings[0].embedding"),
        (parse_native_embedding, b'{"output":{"embeddings":[{"embedding":[0.1,"x"]}]}}',
         "output.embeddings[0].embedding[1]"),
        (parse_native_rerank, b'{"output":{"results":[{"index":0,"relevance_score":"high"}]}}',
         "output.results[0].relevance_score"),
    ],
)
def test_parse_errors_name_the_offending_path(parse: object, body: bytes, path: str) -> None:
    with pytest.raises(ResponseParseError) as caught:
        parse(body)  # type: ignore[operator]
    assert caught.value.path == path and path in caught.value.message


def test_stream_event_errors_name_the_path_and_good_events_stay_fast_path() -> None:
    with pytest.raises(ResponseParseError) as caught:
        parse_compatible_stream_event(SSEEvent('{"choices":[{"delta":{"content":"a"},"finish_reason":7}]}'))
    assert caught.value.path == "choices[0].finish_reason"
    (delta,) = parse_compatible_stream_event(SSEEvent('{"choices":[{"delta":{"content":"a"},"index":0}]}'))
    check_well_formed(delta)
    assert delta.text == "a"


def test_the_fuzz_script_runs_clean_and_catches_an_untyped_crash(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``tests/fuzz_integrity.py`` (the 20,000 + 20,000 run of issue 13) passes on a few inputs, and fails with the
    reproducing seed when a parser crashes untyped."""
    from tests import fuzz_integrity

    assert fuzz_integrity.main(["--requests", "40", "--responses", "40", "--seed", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requests"]["inputs"] == 40 and summary["responses"]["parser_calls"] == 400
    assert summary["requests"]["adapter_bodies_sent_and_checked"] > 0

    def crash(self: object, body: bytes) -> object:
        raise KeyError("output")

    monkeypatch.setattr(NativeProtocol, "parse_chat", crash)
    assert fuzz_integrity.main(["--requests", "0", "--responses", "5"]) == 1
    failures = json.loads(capsys.readouterr().out)["responses"]["failures"]
    assert "0" in failures and "dashscope.parse_chat: KeyError" in failures["0"][0]
