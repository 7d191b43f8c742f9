"""Pure conversions: LlamaIndex messages/tools -> core types, core results/deltas -> LlamaIndex responses."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_qwen._messages import (
    inline_refs,
    to_qwen_messages,
    to_qwen_response_format,
    to_qwen_tool_choice,
    to_qwen_tools,
)
from llama_index_qwen._responses import from_qwen_result, keep_first_tool_call, tool_selections
from llama_index_qwen._stream import ChatStream
from qwen_core.errors import InvalidRequestError, ResponseParseError
from qwen_core.types import (
    ChatDelta,
    ChatResult,
    Choice,
    ImagePart,
    NamedToolChoice,
    TextPart,
    ToolCall,
    ToolCallChunk,
    Usage,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def test_plain_text_roles_and_system() -> None:
    out = to_qwen_messages([
        ChatMessage(role="system", content="be brief"),
        ChatMessage(role="developer", content="also kind"),
        ChatMessage(role="user", content="hi"),
        ChatMessage(role="assistant", content="hello"),
    ])
    assert [(m.role, m.content) for m in out] == [
        ("system", "be brief"), ("system", "also kind"), ("user", "hi"), ("assistant", "hello")
    ]


def test_tool_call_blocks_and_legacy_kwargs_both_convert() -> None:
    blocks = ChatMessage(role="assistant", blocks=[
        TextBlock(text=""),
        ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs={"a": 1}),
        ToolCallBlock(tool_call_id="c2", tool_name="mul", tool_kwargs='{"b": 2}'),
    ])
    legacy = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}},
        {"id": "c2", "type": "function", "function": {"name": "mul", "arguments": {"b": 2}}},
    ]})
    for message in (blocks, legacy):
        (converted,) = to_qwen_messages([message])
        assert [(c.id, c.name) for c in converted.tool_calls] == [("c1", "add"), ("c2", "mul")]
        assert [c.arguments.replace(" ", "") for c in converted.tool_calls] == ['{"a":1}', '{"b":2}']


def test_blocks_win_over_legacy_kwargs_without_duplicates() -> None:
    message = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c1", tool_name="add")],
                          additional_kwargs={"tool_calls": [{"id": "c1", "function": {"name": "add"}}]})
    assert len(to_qwen_messages([message])[0].tool_calls) == 1


def test_legacy_sdk_objects_are_read() -> None:
    class Function(BaseModel):
        name: str
        arguments: str

    class Call(BaseModel):
        id: str
        type: str = "function"
        function: Function

    message = ChatMessage(role="assistant", content="",
                          additional_kwargs={"tool_calls": [Call(id="x", function=Function(name="f", arguments="{}"))]})
    assert to_qwen_messages([message])[0].tool_calls == (ToolCall("x", "f", "{}", 0),)


def test_tool_result_needs_tool_call_id() -> None:
    ok = ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "c1", "name": "add"})
    (converted,) = to_qwen_messages([ok])
    assert (converted.role, converted.content, converted.tool_call_id) == ("tool", "42", "c1")
    with pytest.raises(InvalidRequestError, match="tool_call_id"):
        to_qwen_messages([ChatMessage(role="tool", content="42")])


def test_thinking_block_becomes_reasoning_content() -> None:
    message = ChatMessage(role="assistant", blocks=[ThinkingBlock(content="hmm"), TextBlock(text="yes")])
    converted = to_qwen_messages([message])[0]
    assert (converted.reasoning_content, converted.content) == ("hmm", "yes")


def test_images_url_path_and_base64(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    message = ChatMessage(role="user", blocks=[
        TextBlock(text="what is this?"),
        ImageBlock(url="https://example.com/cat.jpg", detail="high"),
        ImageBlock(path=path),
        ImageBlock(image=PNG),
    ])
    parts = to_qwen_messages([message])[0].content
    assert isinstance(parts, tuple)
    assert parts[0] == TextPart("what is this?")
    assert parts[1] == ImagePart("https://example.com/cat.jpg", detail="high")
    for part in parts[2:]:
        assert isinstance(part, ImagePart)
        assert part.url == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_unsupported_block_raises() -> None:
    with pytest.raises(InvalidRequestError, match="DocumentBlock"):
        to_qwen_messages([ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4", title="x")])])


def test_tool_choice_forms() -> None:
    assert to_qwen_tool_choice(None, tool_required=False) is None
    assert to_qwen_tool_choice(None, tool_required=True) == "required"
    assert to_qwen_tool_choice("auto", tool_required=True) == "auto"
    assert to_qwen_tool_choice("none", tool_required=False) == "none"
    assert to_qwen_tool_choice("get_weather", tool_required=False) == NamedToolChoice("get_weather")
    assert to_qwen_tool_choice({"type": "function", "function": {"name": "f"}}, False) == NamedToolChoice("f")
    with pytest.raises(InvalidRequestError):
        to_qwen_tool_choice({"type": "function"}, False)


class Address(BaseModel):
    city: str
    street: str


class Person(BaseModel):
    """A person."""

    name: str
    address: Address


class RegisterArgs(BaseModel):
    person: Person
    note: str = ""


def register(person: Person, note: str = "") -> str:
    """Register a person."""
    return person.name


def test_tool_schema_is_clean_and_self_contained() -> None:
    (spec,) = to_qwen_tools([FunctionTool.from_defaults(register, fn_schema=RegisterArgs)], strict=True)
    assert spec.name == "register" and spec.strict is True and "Register a person." in spec.description
    assert spec.parameters["type"] == "object"
    assert "$defs" not in spec.parameters and "$ref" not in str(spec.parameters)
    assert spec.parameters["properties"]["person"]["properties"]["address"]["properties"]["city"]["type"] == "string"


def test_inline_refs_keeps_recursive_definitions() -> None:
    class Node(BaseModel):
        value: int
        children: list[Node] = []

    schema = inline_refs(Node.model_json_schema())
    assert "$defs" in schema


def test_response_format_shapes() -> None:
    fmt = to_qwen_response_format({"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "object"}}})
    assert (fmt.type, fmt.name, fmt.schema) == ("json_schema", "p", {"type": "object"})
    assert to_qwen_response_format({"type": "json_object"}).type == "json_object"
    with pytest.raises(InvalidRequestError):
        to_qwen_response_format({"type": "json_schema"})


def _result(**choice: object) -> ChatResult:
    usage = Usage(input_tokens=5, output_tokens=9, total_tokens=14, cached_tokens=2, reasoning_tokens=4)
    return ChatResult(choices=(Choice(**choice),), usage=usage, request_id="rid", model="qwen-plus")  # type: ignore[arg-type]


def test_result_to_response_blocks_usage_and_ids() -> None:
    calls = (ToolCall("c1", "add", '{"a": 1}', 0), ToolCall("c2", "mul", "not json", 1))
    response = from_qwen_result(_result(text="hi", reasoning="think", tool_calls=calls, finish_reason="tool_calls"))
    kinds = [b.block_type for b in response.message.blocks]
    assert kinds == ["thinking", "text", "tool_call", "tool_call"]
    assert response.message.blocks[0].num_tokens == 4  # type: ignore[union-attr]
    assert response.message.blocks[2].tool_kwargs == {"a": 1}  # type: ignore[union-attr]
    assert response.message.blocks[3].tool_kwargs == "not json"  # type: ignore[union-attr]
    assert response.message.additional_kwargs["tool_calls"][1]["function"] == {"name": "mul", "arguments": "not json"}
    assert response.additional_kwargs == {
        "request_id": "rid", "model": "qwen-plus", "finish_reason": "tool_calls", "prompt_tokens": 5,
        "completion_tokens": 9, "total_tokens": 14, "reasoning_tokens": 4, "cached_tokens": 2,
    }
    assert response.raw["request_id"] == "rid" and response.raw["finish_reason"] == "tool_calls"
    # the response's message goes back into history unchanged
    back = to_qwen_messages([response.message])[0]
    assert back.reasoning_content == "think" and [c.name for c in back.tool_calls] == ["add", "mul"]


def test_tool_selections_tolerate_partial_arguments() -> None:
    for partial, expected in [
        ("", {}), ('{"city": "Hang', {}), ('{"city": "Hangzhou", "days": ', {"city": "Hangzhou"}),
        ("{{{", {}), ("]", {}), ('"just a string"', {}),
    ]:
        message = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="w",
                                                                      tool_kwargs=partial)])
        (selection,) = tool_selections(ChatResponse(message=message))
        assert {k: v for k, v in selection.tool_kwargs.items() if v is not None} == expected, partial
    legacy = ChatMessage(role="assistant", content="", additional_kwargs={
        "tool_calls": [{"id": "c", "function": {"name": "w", "arguments": '{"city": "Sh'}}]})
    assert tool_selections(ChatResponse(message=legacy))[0].tool_name == "w"


def test_keep_first_tool_call() -> None:
    response = from_qwen_result(_result(tool_calls=(ToolCall("a", "f", "{}", 0), ToolCall("b", "g", "{}", 1))))
    kept = keep_first_tool_call(response)
    assert [s.tool_name for s in tool_selections(kept)] == ["f"]
    assert len(kept.message.additional_kwargs["tool_calls"]) == 1


def test_chat_stream_is_cumulative_with_deltas() -> None:
    stream = ChatStream("qwen-plus")
    deltas = [
        ChatDelta(role="assistant"),
        ChatDelta(reasoning="let me "),
        ChatDelta(reasoning="think"),
        ChatDelta(text="Hel"),
        ChatDelta(tool_call_chunks=(ToolCallChunk(0, "c1", "weather", '{"city": "Han'),)),
        ChatDelta(text="lo", tool_call_chunks=(ToolCallChunk(0, None, None, 'gzhou"}'),), finish_reason="tool_calls"),
        ChatDelta(usage=Usage(3, 4, 7), request_id="r"),
    ]
    chunks = [c for c in (stream.add(d) for d in deltas) if c is not None]
    assert len(chunks) == 6
    assert [c.additional_kwargs.get("thinking_delta") for c in chunks[:2]] == ["let me ", "think"]
    assert [c.delta for c in chunks] == ["", "", "Hel", "", "lo", ""]
    assert chunks[3].message.blocks[-1].tool_kwargs == "{\"city\": \"Han"  # type: ignore[union-attr]
    last = chunks[-1]
    assert last.message.content == "Hello"
    assert last.message.blocks[0].content == "let me think"  # type: ignore[union-attr]
    assert last.message.blocks[-1].tool_kwargs == {"city": "Hangzhou"}  # type: ignore[union-attr]
    assert last.additional_kwargs["total_tokens"] == 7 and last.additional_kwargs["finish_reason"] == "tool_calls"
    stream.finish()  # complete: no error


@pytest.mark.parametrize("choice", [0, 1])
def test_chat_stream_rejects_a_tool_call_that_never_got_its_name(choice: int) -> None:
    stream = ChatStream("qwen-plus")
    stream.add(ChatDelta(text="hi"))
    stream.add(ChatDelta(index=choice, tool_call_chunks=(ToolCallChunk(0, "c1", None, "{}"),), request_id="r"))
    with pytest.raises(ResponseParseError, match=f"tool call #0 \\(choice {choice}\\) that has no function name"):
        stream.finish()


def test_empty_stream_is_an_error_not_an_empty_response() -> None:
    with pytest.raises(ResponseParseError):
        ChatStream().finish()
