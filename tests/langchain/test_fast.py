"""``langchain_qwen._fast``, the speed shortcuts: same objects as langchain-core's own constructors and paths,
checked lazily, and caches that never outlive a field change.

The trusted builders make text/reasoning chunks and plain-text results without pydantic validation; these tests
prove the objects equal (``==``, ``model_dump()`` and the full pydantic state) what the validated constructors
build, that adding chunks up gives the same message, and fail loudly when langchain-core gains a field or
validator the builders do not know about. ``ChatQwen`` caches its request defaults and client; assignment and
copies must invalidate them.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk

from langchain_qwen import ChatQwen
from langchain_qwen import _fast as fast
from langchain_qwen import _messages as m
from qwen_core import types as qt

# -- drift guards: what the helpers were written against -----------------------------------------

KNOWN = {
    AIMessageChunk: (
        {"content", "additional_kwargs", "response_metadata", "type", "name", "id", "tool_calls",
         "invalid_tool_calls", "usage_metadata", "tool_call_chunks", "chunk_position"},
        {"_backwards_compat_tool_calls", "init_tool_calls", "init_server_tool_calls"},
    ),
    AIMessage: (
        {"content", "additional_kwargs", "response_metadata", "type", "name", "id", "tool_calls",
         "invalid_tool_calls", "usage_metadata"},
        {"_backwards_compat_tool_calls"},
    ),
    ChatGenerationChunk: ({"text", "generation_info", "type", "message"}, {"set_text"}),
    ChatGeneration: ({"text", "generation_info", "type", "message"}, {"set_text"}),
}


@pytest.mark.parametrize("cls", list(KNOWN), ids=lambda cls: cls.__name__)
def test_langchain_core_classes_have_the_fields_and_validators_the_helpers_know(cls: Any) -> None:
    fields, model_validators = KNOWN[cls]
    decorators = cls.__pydantic_decorators__
    assert set(cls.model_fields) == fields, "langchain-core changed the fields: update langchain_qwen._fast"
    assert set(decorators.model_validators) == model_validators, "new model validator: check langchain_qwen._fast"
    assert not decorators.field_validators, "new field validator: check langchain_qwen._fast"
    assert not cls.__private_attributes__
    assert cls.__pydantic_post_init__ is None


def test_trusted_construction_is_enabled_on_this_install() -> None:
    assert fast.trusted(), "the self-check failed: the fast paths are off (validated fallback in use)"
    assert fast._trusted_matches_validated()


def test_importing_builds_no_framework_object_and_no_batch_code() -> None:
    code = (
        "import sys; from langchain_qwen import ChatQwen, _fast; "
        "print(_fast._TRUSTED, 'qwen_core.batch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "False"]  # the self-check runs on first use, the Batch API on its own


def test_a_failing_self_check_falls_back_to_the_validated_constructors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "_TRUSTED", None)
    monkeypatch.setattr(fast, "_trusted_matches_validated", lambda: False)
    converter = m.StreamConverter()
    chunk = converter.chunk(DELTAS[3])
    assert fast._TRUSTED is False
    assert chunk is not None
    same(chunk, validated_chunk(DELTAS[3]))
    same(m.from_qwen_result(RESULTS[0]).generations[0], validated_generation(RESULTS[0].choices[0], RESULTS[0]))


def test_the_self_check_notices_a_builder_that_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong(text: str, additional_kwargs: dict[str, Any], metadata: dict[str, Any]) -> AIMessageChunk:
        return AIMessageChunk(content=text + "!", additional_kwargs=additional_kwargs, response_metadata=metadata)

    monkeypatch.setattr(fast, "_text_chunk", wrong)
    assert not fast._trusted_matches_validated()


# -- equivalence -------------------------------------------------------------------------------------------


def same(built: Any, validated: Any) -> None:
    assert type(built) is type(validated)
    assert built == validated
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)
    assert built.__getstate__() == validated.__getstate__()
    assert repr(built) == repr(validated)


def validated_chunk(delta: qt.ChatDelta) -> ChatGenerationChunk:
    """What ``StreamConverter.chunk`` built before the fast path (the original code, verbatim)."""
    metadata: dict[str, Any] = {"model_provider": m.MODEL_PROVIDER}
    if delta.logprobs:
        metadata["logprobs"] = {"content": list(delta.logprobs)}
    message = AIMessageChunk(
        content=delta.text,
        additional_kwargs={"reasoning_content": delta.reasoning} if delta.reasoning else {},
        tool_call_chunks=[
            tool_call_chunk(name=part.name, args=part.arguments, id=part.id, index=part.index)
            for part in delta.tool_call_chunks
        ],
        response_metadata=metadata,
    )
    return ChatGenerationChunk(message=message)


LOGPROBS = ({"token": "Hi", "logprob": -0.1, "top_logprobs": []},)
DELTAS = [
    qt.ChatDelta(text="Hello"),
    qt.ChatDelta(text=" wörld ✓"),
    qt.ChatDelta(reasoning="thinking..."),
    qt.ChatDelta(text="a", reasoning="b"),
    qt.ChatDelta(text="Hi", logprobs=LOGPROBS),
    qt.ChatDelta(text="x", model="qwen-max", request_id="r-1", finish_reason="stop", usage=qt.Usage(1, 2, 3)),
    qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, id="call_1", name="f", arguments='{"a"'),)),
    qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, arguments=": 1}"),)),
    qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, id="call_1", name="f", arguments=""),)),
    qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, arguments=' \n {"city": "Par'),)),
    qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, arguments='{"a": [1, {"b": "x\ny'),)),
    qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, arguments='{"a": 1}}'),)),
    qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, arguments="[1, 2]"),)),
    qt.ChatDelta(text="t", reasoning="r", tool_call_chunks=(
        qt.ToolCallChunk(index=0, id="c0", name="f", arguments='{"x": 1}'),
        qt.ToolCallChunk(index=1, id="c1", name="g", arguments='ris", "un'),
    )),
]


@pytest.mark.parametrize("delta", DELTAS, ids=lambda d: repr(d)[:60])
def test_stream_chunks_equal_the_validated_ones(delta: qt.ChatDelta) -> None:
    chunk = m.StreamConverter(model="qwen-plus").chunk(delta)
    assert chunk is not None
    same(chunk, validated_chunk(delta))
    same(chunk.message, validated_chunk(delta).message)
    assert chunk.text == delta.text
    assert chunk.message.content_blocks == validated_chunk(delta).message.content_blocks


def add_up(chunks: Sequence[ChatGenerationChunk]) -> ChatGenerationChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def test_summed_stream_equals_the_validated_sum() -> None:
    deltas = [
        qt.ChatDelta(reasoning="Let me think. "), qt.ChatDelta(reasoning="Done."), qt.ChatDelta(text="The "),
        qt.ChatDelta(text="answer", logprobs=LOGPROBS),
        qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, id="call_1", name="f", arguments='{"a": '),)),
        qt.ChatDelta(tool_call_chunks=(qt.ToolCallChunk(index=0, arguments="1}"),)),
        qt.ChatDelta(finish_reason="tool_calls", usage=qt.Usage(3, 4, 7), request_id="r-9"),
    ]
    converter = m.StreamConverter(model="qwen-plus")
    built = [c for d in deltas if (c := converter.chunk(d)) is not None]
    built.append(converter.final())
    reference = m.StreamConverter(model="qwen-plus")
    validated = [validated_chunk(d) for d in deltas if reference.chunk(d) is not None]
    validated.append(reference.final())
    for f, v in zip(built, validated, strict=True):
        same(f, v)
    same(add_up(built), add_up(validated))
    same(add_up(built).message, add_up(validated).message)
    total = add_up(built).message
    assert isinstance(total, AIMessageChunk)
    assert total.content == "The answer"
    assert total.additional_kwargs == {"reasoning_content": "Let me think. Done."}
    assert total.tool_calls == [{"name": "f", "args": {"a": 1}, "id": "call_1", "type": "tool_call"}]


JSONISH = st.text(alphabet='{}[]",:\\ \n\tabn0123456789.-etrufl\u00a0é', max_size=24)


@settings(max_examples=400, deadline=None)
@given(args=JSONISH | st.text(max_size=12))
def test_tool_call_fragments_parse_as_langchain_core_parses_them(args: str) -> None:
    part = qt.ToolCallChunk(index=0, id="c", name="f", arguments=args)
    built = m.StreamConverter().chunk(qt.ChatDelta(tool_call_chunks=(part,)))
    assert built is not None
    same(built.message, validated_chunk(qt.ChatDelta(tool_call_chunks=(part,))).message)


def test_chunks_do_not_share_mutable_state() -> None:
    converter = m.StreamConverter()
    first, second = converter.chunk(qt.ChatDelta(text="a")), converter.chunk(qt.ChatDelta(text="b"))
    assert first is not None and second is not None
    for name in ("additional_kwargs", "response_metadata", "tool_calls", "invalid_tool_calls", "tool_call_chunks"):
        assert getattr(first.message, name) is not getattr(second.message, name)
    assert first.message.__pydantic_fields_set__ is not second.message.__pydantic_fields_set__
    part = qt.ToolCallChunk(index=0, id="c", name="f", arguments="{}")
    tools = [converter.chunk(qt.ChatDelta(tool_call_chunks=(part,))) for _ in range(2)]
    assert tools[0] is not None and tools[1] is not None
    for name in ("tool_calls", "tool_call_chunks"):
        assert getattr(tools[0].message, name) is not getattr(tools[1].message, name)
        assert getattr(tools[0].message, name)[0] is not getattr(tools[1].message, name)[0]
    assert tools[0].message.tool_calls[0]["args"] is not tools[1].message.tool_calls[0]["args"]
    first.message.id = "run-1"  # langchain-core assigns ids to streamed chunks
    assert first.message.id == "run-1" and second.message.id is None
    assert "id" in first.message.__pydantic_fields_set__


def validated_generation(choice: qt.Choice, result: qt.ChatResult) -> ChatGeneration:
    """What ``from_qwen_choice`` built before the fast path (the original code, verbatim)."""
    parsed = [m.from_qwen_tool_call(call) for call in choice.tool_calls]
    metadata = m._metadata(result.model, result.request_id, choice.finish_reason, result.search_info)
    if choice.logprobs is not None:
        metadata["logprobs"] = {"content": list(choice.logprobs)}
    message = AIMessage(
        content=choice.text,
        additional_kwargs={"reasoning_content": choice.reasoning} if choice.reasoning else {},
        tool_calls=[call for call in parsed if call.get("type") == "tool_call"],
        invalid_tool_calls=[call for call in parsed if call.get("type") == "invalid_tool_call"],
        usage_metadata=m.from_qwen_usage(result.usage) if result.usage is not None else None,
        response_metadata=metadata,
    )
    return ChatGeneration(message=message, generation_info={"finish_reason": choice.finish_reason})


RESULTS = [
    qt.ChatResult(choices=(qt.Choice(text="Hello", finish_reason="stop"),), usage=qt.Usage(1, 2, 3),
                  model="qwen-plus", request_id="r-1"),
    qt.ChatResult(choices=(qt.Choice(text="", reasoning="hmm", finish_reason="length"),)),
    qt.ChatResult(
        choices=(qt.Choice(text="x", logprobs=LOGPROBS, finish_reason="stop"),),
        usage=qt.Usage(5, 6, 11, cached_tokens=2, reasoning_tokens=3), search_info={"search_results": []},
    ),
    qt.ChatResult(choices=(
        qt.Choice(index=0, text="a", finish_reason="stop"), qt.Choice(index=1, text="b", finish_reason="stop"),
    )),
    qt.ChatResult(choices=(qt.Choice(tool_calls=(
        qt.ToolCall(id="c1", name="f", arguments='{"a": 1}'), qt.ToolCall(id="c2", name="g", arguments="{oops"),
    ), finish_reason="tool_calls"),)),
]


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: repr(r)[:60])
def test_results_equal_the_validated_ones(result: qt.ChatResult) -> None:
    generations = m.from_qwen_result(result).generations
    assert len(generations) == len(result.choices)
    for generation, choice in zip(generations, result.choices, strict=True):
        same(generation, validated_generation(choice, result))
        same(generation.message, validated_generation(choice, result).message)
        assert generation.message.content_blocks == validated_generation(choice, result).message.content_blocks


# -- ChatQwen's cached request defaults and client -----------------------------------------------------------


def chat(**fields: Any) -> ChatQwen:
    return ChatQwen(**{"api_key": "sk-test", "base_url": "http://127.0.0.1:9", "max_retries": 0, **fields})


def request(model: ChatQwen, **kwargs: Any) -> qt.ChatRequest:
    return model._build_request([HumanMessage("hi")], None, kwargs)[0]


def test_assigned_fields_reach_the_next_request() -> None:
    llm = chat(temperature=0.1)
    assert request(llm).temperature == 0.1
    llm.temperature = 0.7
    llm.stop = ["END"]
    assert request(llm).temperature == 0.7
    assert request(llm).stop == ["END"]
    assert llm._identifying_params["temperature"] == 0.7
    assert request(llm, temperature=0.2).temperature == 0.2  # per-call overrides win
    assert request(llm).temperature == 0.7  # ... and do not stick


def test_copies_build_their_own_requests() -> None:
    llm = chat(temperature=0.1)
    assert request(llm).temperature == 0.1
    updated = llm.model_copy(update={"temperature": 0.9})
    assert request(updated).temperature == 0.9
    assert request(llm).temperature == 0.1
    deep = copy.deepcopy(llm)
    deep.temperature = 0.5
    assert request(deep).temperature == 0.5
    assert request(llm).temperature == 0.1
    assert request(copy.copy(llm)).temperature == 0.1


def test_connection_changes_give_another_client() -> None:
    llm = chat()
    first = llm.client
    assert llm.client is first
    llm.temperature = 0.5
    assert llm.client is first  # same connection settings: same pool
    llm.base_url = "http://127.0.0.1:10"
    second = llm.client
    assert second is not first
    assert second.settings.root_url.startswith("http://127.0.0.1:10")
    copied = llm.model_copy(update={"base_url": "http://127.0.0.1:11"})
    assert copied.client not in (first, second)
    assert llm.client is second
    assert copy.copy(llm).client is second  # a shallow copy shares the pool while its settings are equal
    assert copy.deepcopy(llm).client is not second  # a deep copy gets its own connections


def test_validated_fallback_builds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    converter, result = m.StreamConverter(), RESULTS[0]
    built = (converter.chunk(DELTAS[3]), m.from_qwen_result(result).generations[0])
    monkeypatch.setattr(fast, "_TRUSTED", False)  # what an install failing the self-check uses
    fallback = (converter.chunk(DELTAS[3]), m.from_qwen_result(result).generations[0])
    for f, v in zip(built, fallback, strict=True):
        same(f, v)


@pytest.mark.parametrize("name", ["_generate", "_agenerate"])
def test_stored_signatures_are_what_inspect_computes(name: str) -> None:
    import inspect

    method = getattr(ChatQwen, name)
    stored = inspect.signature(method)
    assert "__signature__" in method.__dict__
    del method.__signature__
    try:
        assert inspect.signature(method) == stored
    finally:
        method.__signature__ = stored
    llm = ChatQwen(model="qwen-plus", api_key="sk-x", base_url="http://127.0.0.1:9")
    assert "run_manager" in inspect.signature(getattr(llm, name)).parameters


@pytest.mark.parametrize(
    ("stop", "kwargs"),
    [(None, {}), (["\n"], {"temperature": 0.1, "tools": [{"type": "function"}]}), (None, {"model": "m", "_type": "x"})],
)
def test_invocation_params_are_what_langchain_core_builds(stop: list[str] | None, kwargs: dict[str, Any]) -> None:
    from langchain_core.language_models import BaseChatModel

    llm = ChatQwen(model="qwen-plus", api_key="sk-x", base_url="http://127.0.0.1:9", temperature=0.3, stop=["END"])
    ours = llm._get_invocation_params(stop=stop, **kwargs)
    framework = BaseChatModel._get_invocation_params(llm, stop=stop, **kwargs)
    assert ours == framework
    assert list(ours) == list(framework)  # same key order (tracers print it)


def test_invocation_params_of_a_subclass_overriding_dict_use_the_override() -> None:
    class Custom(ChatQwen):
        def dict(self, **kwargs: Any) -> dict[str, Any]:
            return {"custom": True}

    llm = Custom(model="qwen-plus", api_key="sk-x", base_url="http://127.0.0.1:9")
    assert llm._get_invocation_params(stop=None) == {"custom": True, "stop": None}
