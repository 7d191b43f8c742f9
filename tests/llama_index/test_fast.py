"""The speed shortcuts of the LlamaIndex adapter (``llama_index_qwen._fast``) build exactly what the plain code builds.

- ``assistant_message``/``chat_response``/``completion_response`` assemble pydantic models without re-validation:
  they must equal the validated constructors field for field (and fail here, loudly, if LlamaIndex changes the
  models' fields or validators, in which case the adapter has already fallen back to the validated path). The
  check runs on first use, not at import.
- ``ChatStream`` reads the core accumulator's incremental view instead of a snapshot per fragment: every chunk
  must match what the snapshot gives, and chunks must not share mutable objects.
- ``Qwen.to_payload`` is memoised: it must follow field edits, ``model_info_overrides`` edits and catalogue
  registrations.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_qwen import Qwen, _fast
from llama_index_qwen._responses import tool_kwargs, usage_kwargs, wire_style_calls
from llama_index_qwen._stream import ChatStream
from qwen_core.catalogue import DEFAULT_CATALOGUE, ModelInfo
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import ChatDelta, ToolCallChunk, Usage


def _same(fast: Any, validated: Any) -> None:
    """Equal in every way LlamaIndex or a user can observe."""
    assert type(fast) is type(validated)
    assert fast == validated
    assert list(fast.__dict__) == list(type(validated).model_fields) == list(validated.__dict__)
    assert fast.__pydantic_fields_set__ == validated.__pydantic_fields_set__
    assert fast.__pydantic_extra__ == validated.__pydantic_extra__
    assert fast.__pydantic_private__ == validated.__pydantic_private__
    assert fast.model_dump() == validated.model_dump()
    assert fast.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)
    assert fast.model_dump_json() == validated.model_dump_json()
    assert repr(fast) == repr(validated)
    assert fast.model_copy(deep=True) == validated.model_copy(deep=True)


def test_assembled_models_still_have_the_fields_and_validators_the_shortcut_relies_on() -> None:
    for model, (fields, validators) in _fast.ASSEMBLED_MODELS.items():
        assert tuple(model.model_fields) == fields, f"LlamaIndex changed {model.__name__}'s fields"
        decorators = model.__pydantic_decorators__
        found = {*decorators.validators, *decorators.field_validators, *decorators.root_validators,
                 *decorators.model_validators}
        assert found == validators, f"LlamaIndex changed {model.__name__}'s validators"
        assert not model.__private_attributes__
    assert _fast.assembly_allowed(), "the direct assembly is disabled: the checks above say why"


def test_importing_the_adapter_runs_no_check_and_builds_no_response_object() -> None:
    code = (
        "import gc, llama_index_qwen, llama_index_qwen.llms\n"
        "from llama_index.core.base.llms.types import ChatResponse, CompletionResponse, ThinkingBlock, ToolCallBlock\n"
        "from llama_index_qwen import _fast\n"
        "assert _fast._ASSEMBLE is None, _fast._ASSEMBLE\n"
        "kinds = (ChatResponse, CompletionResponse, ThinkingBlock, ToolCallBlock)  # what the shortcuts build\n"
        "built = [o for o in gc.get_objects() if type(o) in kinds]\n"
        "assert not built, built\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _blocks() -> list[Any]:
    return [
        ThinkingBlock(content="hmm", num_tokens=3),
        TextBlock(text="hi"),
        ToolCallBlock(tool_call_id="c1", tool_name="f", tool_kwargs={"a": [1, {"b": 2}]}),
        ToolCallBlock(tool_call_id="c2", tool_name="g", tool_kwargs='{"partial'),
    ]


def _extra() -> dict[str, Any]:
    return {"tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}], "reasoning_content": "hmm"}


@pytest.mark.parametrize("assemble", [True, False], ids=["assembled", "fallback"])
def test_constructors_equal_the_validated_ones(monkeypatch: pytest.MonkeyPatch, assemble: bool) -> None:
    monkeypatch.setattr(_fast, "_ASSEMBLE", assemble)
    message = _fast.assistant_message(_blocks(), _extra())
    validated = ChatMessage(role=MessageRole.ASSISTANT, blocks=_blocks(), additional_kwargs=_extra())
    _same(message, validated)
    _same(_fast.assistant_message([TextBlock(text="")], {}),
          ChatMessage(role=MessageRole.ASSISTANT, blocks=[TextBlock(text="")], additional_kwargs={}))
    assert message.content == "hi"

    raw = {"request_id": "r", "usage": {"input_tokens": 1}}
    _same(_fast.chat_response(message, dict(raw), {"model": "m"}),
          ChatResponse(message=validated, raw=dict(raw), additional_kwargs={"model": "m"}))
    _same(_fast.chat_response(message, dict(raw), {"model": "m"}, "de"),
          ChatResponse(message=validated, delta="de", raw=dict(raw), additional_kwargs={"model": "m"}))
    _same(_fast.chat_response(message, dict(raw), {}, ""),
          ChatResponse(message=validated, delta="", raw=dict(raw), additional_kwargs={}))

    for delta in (None, "", "x"):
        _same(_fast.completion_response("text", {"k": 1}, raw, delta),
              CompletionResponse(text="text", delta=delta, raw=raw, additional_kwargs={"k": 1}))


@pytest.mark.parametrize("assemble", [True, False], ids=["assembled", "fallback"])
def test_blocks_equal_the_validated_ones(monkeypatch: pytest.MonkeyPatch, assemble: bool) -> None:
    monkeypatch.setattr(_fast, "_ASSEMBLE", assemble)
    _same(_fast.text_block("hi ✓"), TextBlock(text="hi ✓"))
    _same(_fast.text_block(""), TextBlock(text=""))
    _same(_fast.thinking_block("hmm", 3), ThinkingBlock(content="hmm", num_tokens=3))
    _same(_fast.thinking_block("hmm", None), ThinkingBlock(content="hmm", num_tokens=None))
    for kwargs in ({"a": [1, {"b": 2}]}, {}, '{"partial'):
        _same(_fast.tool_call_block("c1", "f", copy.deepcopy(kwargs)),
              ToolCallBlock(tool_call_id="c1", tool_name="f", tool_kwargs=copy.deepcopy(kwargs)))
    first, second = _fast.thinking_block("a", None), _fast.thinking_block("a", None)
    assert first.additional_information is not second.additional_information


def test_assembled_objects_behave_like_validated_ones() -> None:
    message = _fast.assistant_message([TextBlock(text="a")], {})
    message.content = "b"  # LlamaIndex's setter rebuilds the blocks
    assert message.blocks == [TextBlock(text="b")]
    message.additional_kwargs["x"] = 1
    assert message.__pydantic_fields_set__ == {"role", "blocks", "additional_kwargs"}
    response = _fast.chat_response(message, {}, {})
    response.delta = "d"
    assert "delta" in response.__pydantic_fields_set__
    assert ChatResponse.model_validate(response.model_dump()) == response
    assert copy.deepcopy(response) == response


# -- ChatStream: the per-chunk view equals the core accumulator's snapshot --------------------------------------


def _stream_deltas() -> list[ChatDelta]:
    return [
        ChatDelta(role="assistant", model="qwen-plus-2025"),
        ChatDelta(reasoning="let me "),
        ChatDelta(index=1, text="other choice", request_id="req-early-1"),
        ChatDelta(reasoning="think"),
        ChatDelta(text="Hel"),
        # no id and no request id of choice 0 yet: named after the other choice's request id, like the core
        ChatDelta(tool_call_chunks=(ToolCallChunk(1, None, "second", '{"x": '),)),
        ChatDelta(tool_call_chunks=(ToolCallChunk(0, "c0", None, '{"city": "Han'),), request_id="req-2"),
        ChatDelta(text="lo", tool_call_chunks=(ToolCallChunk(0, "ignored", "weather", 'gzhou"}'),
                                               ToolCallChunk(1, "late-id", None, "1}"))),
        ChatDelta(text=" there", search_info={"search_results": [{"title": "t"}]}),
        ChatDelta(index=1, tool_call_chunks=(ToolCallChunk(0, "o", "other", "{}"),), finish_reason="stop"),
        ChatDelta(usage=Usage(3, 4, 7, reasoning_tokens=2, raw={"input_tokens": 3}), finish_reason="tool_calls"),
        ChatDelta(usage=Usage(3, 5, 8, reasoning_tokens=2, raw={"input_tokens": 3, "output_tokens": 5})),
        ChatDelta(),
    ]


def _expected_chunks(deltas: list[ChatDelta]) -> list[dict[str, Any]]:
    """What the previous implementation yielded: text/reasoning so far, calls from the accumulator's snapshot."""
    accumulator = StreamAccumulator()
    text = reasoning = ""
    calls: tuple[Any, ...] = ()
    usage = finish = request_id = search_info = None
    model = "qwen-plus"
    chunks = []
    for delta in deltas:
        accumulator.add(delta)
        if delta.index:
            continue
        text += delta.text
        reasoning += delta.reasoning
        if delta.tool_call_chunks:
            calls = accumulator.snapshot().tool_calls
        usage = delta.usage or usage
        finish = delta.finish_reason or finish
        request_id = delta.request_id or request_id
        model = delta.model or model
        if delta.search_info and any(delta.search_info.values()):  # the latest informative one is kept
            search_info = delta.search_info
        if not (delta.text or delta.reasoning or delta.tool_call_chunks or delta.usage or delta.finish_reason):
            continue
        raw: dict[str, Any] = {"request_id": request_id, "model": model, "finish_reason": finish,
                               "usage": dict(usage.raw) if usage else None}
        extra: dict[str, Any] = {"request_id": request_id, "model": model, "finish_reason": finish}
        if search_info:
            raw["search_info"] = dict(search_info)
            extra["search_info"] = dict(search_info)
        extra.update(usage_kwargs(usage))
        if delta.reasoning:
            extra["thinking_delta"] = delta.reasoning
        blocks: list[Any] = []
        if reasoning:
            blocks.append(ThinkingBlock(content=reasoning, num_tokens=usage.reasoning_tokens if usage else None))
        blocks.append(TextBlock(text=text))
        blocks += [ToolCallBlock(tool_call_id=c.id, tool_name=c.name, tool_kwargs=tool_kwargs(c.arguments))
                   for c in calls]
        message_extra: dict[str, Any] = {}
        if calls:
            message_extra["tool_calls"] = wire_style_calls(calls)
        if reasoning:
            message_extra["reasoning_content"] = reasoning
        message = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=message_extra)
        chunks.append({"response": ChatResponse(message=message, delta=delta.text, raw=raw, additional_kwargs=extra)})
    return chunks


def test_stream_chunks_equal_the_snapshot_based_ones() -> None:
    deltas = _stream_deltas()
    stream = ChatStream("qwen-plus")
    chunks = [chunk for chunk in (stream.add(delta) for delta in deltas) if chunk is not None]
    expected = [item["response"] for item in _expected_chunks(deltas)]
    assert len(chunks) == len(expected) == 9
    for chunk, want in zip(chunks, expected, strict=True):
        _same(chunk, want)
        _same(chunk.message, want.message)
    ids = [(b.tool_call_id, b.tool_name) for b in chunks[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert ids == [("c0", "weather"), ("late-id", "second")]  # the first non-empty id wins
    first_named = chunks[3].message.blocks[-1]
    assert isinstance(first_named, ToolCallBlock) and first_named.tool_call_id == "call_reqearly1_1"
    stream.finish()
    final = _final_tool_calls(deltas)  # what the core accumulator makes of the whole stream, for choice 0
    last = [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in chunks[-1].message.blocks
            if isinstance(b, ToolCallBlock)]
    assert last == [(c.id, c.name, tool_kwargs(c.arguments)) for c in final]
    assert chunks[-1].message.content == "Hello there"


def _final_tool_calls(deltas: list[ChatDelta]) -> Any:
    accumulator = StreamAccumulator()
    for delta in deltas:
        accumulator.add(delta)
    return accumulator.result().tool_calls


def test_stream_chunks_share_no_mutable_objects() -> None:
    stream = ChatStream("qwen-plus")
    deltas = [
        ChatDelta(text="a", request_id="r", tool_call_chunks=(ToolCallChunk(0, "c", "f", '{"k": {"n": 1}}'),)),
        ChatDelta(text="b", usage=Usage(1, 1, 2, raw={"u": 1}), search_info={"s": [1]}),
        ChatDelta(text="c", usage=Usage(1, 1, 2, raw={"u": 1}), search_info={"s": [1]}),
    ]
    first, second, third = (stream.add(delta) for delta in deltas)
    assert first is not None and second is not None and third is not None
    for one, other in ((first, second), (second, third)):
        assert one.additional_kwargs is not other.additional_kwargs
        assert one.raw is not other.raw
        assert one.message is not other.message
        assert one.message.blocks is not other.message.blocks
        assert one.message.additional_kwargs is not other.message.additional_kwargs
        for block, other_block in zip(one.message.blocks, other.message.blocks, strict=True):
            assert block is not other_block
    assert second.raw["usage"] is not third.raw["usage"]
    second.raw["usage"]["u"] = 99
    second.additional_kwargs["total_tokens"] = 99
    first.message.blocks[-1].tool_kwargs["k"]["n"] = 99  # type: ignore[index,union-attr]
    assert third.raw["usage"] == {"u": 1} and third.additional_kwargs["total_tokens"] == 2
    assert third.message.blocks[-1].tool_kwargs == {"k": {"n": 1}}  # type: ignore[union-attr]


# -- Qwen.to_payload: memoised, but follows every change ------------------------------------------------------


def _base_payload(llm: Qwen) -> dict[str, Any]:
    return BaseLLM.to_payload(llm)


def test_payload_equals_the_base_implementation_and_follows_changes() -> None:
    llm = Qwen(model="qwen-plus", api_key="sk-x", base_url="http://127.0.0.1:9")
    payload = llm.to_payload()
    assert payload == _base_payload(llm) and payload["class_name"] == "Qwen_LLM"
    payload["num_output"] = -1  # callers get their own dict
    assert llm.to_payload() == _base_payload(llm) != payload

    llm.model = "qwen3-max"
    assert llm.to_payload()["model_name"] == "qwen3-max" and llm.to_payload() == _base_payload(llm)
    llm.max_tokens = 123
    assert llm.to_payload()["num_output"] == 123 == llm.metadata.num_output
    llm.max_tokens = None
    llm.model_info_overrides = {"context_window": 4096}
    assert llm.to_payload()["context_window"] == 4096 == llm.metadata.context_window
    assert llm.model_info_overrides is not None
    llm.model_info_overrides["context_window"] = 2048  # edited in place
    assert llm.to_payload()["context_window"] == 2048 == llm.metadata.context_window
    llm.model_info_overrides = None
    assert llm.to_payload() == _base_payload(llm)


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")
def test_payload_sees_catalogue_registrations() -> None:
    llm = Qwen(model="my-registered-finetune", api_key="sk-x", base_url="http://127.0.0.1:9")
    assert llm.to_payload()["context_window"] == llm.metadata.context_window
    try:
        DEFAULT_CATALOGUE.register(ModelInfo("my-registered-finetune", context_window=777, supports_tools=False))
        payload = llm.to_payload()
        assert payload["context_window"] == 777 and payload["is_function_calling_model"] is False
        assert payload == _base_payload(llm)
    finally:
        DEFAULT_CATALOGUE._chat.pop("my-registered-finetune", None)
        DEFAULT_CATALOGUE._resolved.clear()


def test_payload_of_a_subclass_with_its_own_metadata() -> None:
    from llama_index.core.base.llms.types import LLMMetadata

    class Custom(Qwen):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name=f"custom-{self.temperature}")

    llm = Custom(model="qwen-plus", api_key="sk-x", base_url="http://127.0.0.1:9", temperature=0.1)
    assert llm.to_payload()["model_name"] == "custom-0.1"
    llm.temperature = 0.2
    assert llm.to_payload()["model_name"] == "custom-0.2"
