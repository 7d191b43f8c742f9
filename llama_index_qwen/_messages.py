"""LlamaIndex -> core: ``to_qwen_*`` turn LlamaIndex messages, content blocks and tools into :mod:`qwen_core.types`.

The way back (core results -> LlamaIndex responses) is :mod:`llama_index_qwen._responses`, streams are
:mod:`llama_index_qwen._stream`. Nothing here builds or reads wire JSON: that is :mod:`qwen_core.protocols`' job.
Every function is pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ContentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from qwen_core.errors import InvalidRequestError
from qwen_core.types import (
    AudioPart,
    ContentPart,
    ImagePart,
    Message,
    NamedToolChoice,
    ResponseFormat,
    Role,
    TextPart,
    ToolCall,
    ToolChoice,
    ToolSpec,
    VideoPart,
)

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "image_url",
    "inline_refs",
    "legacy_tool_calls",
    "to_qwen_message",
    "to_qwen_messages",
    "to_qwen_response_format",
    "to_qwen_tool_choice",
    "to_qwen_tools",
]

_ROLES: Mapping[MessageRole, Role] = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}
_DEFAULT_IMAGE_MIME = "image/png"


# -- LlamaIndex -> core: messages ---------------------------------------------------------------------


def to_qwen_messages(messages: Sequence[ChatMessage]) -> list[Message]:
    """Convert a LlamaIndex chat history (any LLM's memory) into core messages."""
    return [to_qwen_message(message, position) for position, message in enumerate(messages)]


def to_qwen_message(message: ChatMessage, position: int = 0) -> Message:
    """Convert one message: content blocks, tool calls (blocks or legacy kwargs), reasoning, tool results."""
    role = _ROLES.get(message.role)
    if role is None:
        raise InvalidRequestError(f"message {position} has unsupported role {message.role!r}")
    parts: list[ContentPart] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    for block in message.blocks:
        _collect_block(block, position, parts, reasoning, calls)
    extra = message.additional_kwargs
    if role == "tool":
        return _tool_message(parts, extra, position)
    if role == "assistant":
        return Message(
            role="assistant",
            content=_content(parts),
            tool_calls=tuple(calls) or legacy_tool_calls(extra.get("tool_calls")),
            reasoning_content="".join(reasoning) or None,
            name=extra.get("name"),
            partial=bool(extra.get("partial", False)),  # prefix continuation: the reply continues this text
        )
    if role == "system" and any(not isinstance(part, TextPart) for part in parts):
        raise InvalidRequestError(f"system message {position} may only contain text")
    return Message(role=role, content=_content(parts), name=extra.get("name"))


def _collect_block(
    block: ContentBlock, position: int, parts: list[ContentPart], reasoning: list[str], calls: list[ToolCall]
) -> None:
    """Dispatch one content block to the list it belongs to."""
    if isinstance(block, TextBlock):
        parts.append(TextPart(block.text))
    elif isinstance(block, ImageBlock):
        parts.append(ImagePart(image_url(block), detail=block.detail))
    elif isinstance(block, ThinkingBlock):
        if block.content:
            reasoning.append(block.content)
    elif isinstance(block, ToolCallBlock):
        calls.append(_block_tool_call(block, len(calls)))
    elif isinstance(block, AudioBlock):
        parts.append(AudioPart(str(block.url) if block.url else block.inline_url()))
    elif isinstance(block, VideoBlock):
        parts.append(VideoPart(_video_url(block)))
    elif not isinstance(block, CachePoint):  # cache hints have no Qwen equivalent
        raise InvalidRequestError(
            f"message {position}: {type(block).__name__} is not supported by Qwen chat models; "
            "send text, images, audio or video"
        )


def image_url(block: ImageBlock) -> str:
    """The URL Qwen fetches the image from: the block's URL, else a ``data:`` URI of its bytes or file."""
    if block.url is not None and block.image is None and block.path is None:
        return str(block.url)
    try:
        data = block.resolve_image(as_base64=True).read().decode("ascii")
    except ValueError as error:
        raise InvalidRequestError(f"the image block has no data: {error}") from error
    return f"data:{block.image_mimetype or _DEFAULT_IMAGE_MIME};base64,{data}"


def _video_url(block: VideoBlock) -> str:
    if block.url is not None:
        return str(block.url)
    return block.inline_url()


def _content(parts: list[ContentPart]) -> str | tuple[ContentPart, ...]:
    """Plain text as a string (what every endpoint accepts); multimodal content as parts."""
    if len(parts) == 1 and isinstance(parts[0], TextPart):  # the usual message: skip the generic join
        return parts[0].text
    if all(isinstance(part, TextPart) for part in parts):
        return "\n".join(part.text for part in parts if isinstance(part, TextPart))
    return tuple(parts)


def _tool_message(parts: list[ContentPart], extra: Mapping[str, Any], position: int) -> Message:
    if any(not isinstance(part, TextPart) for part in parts):
        raise InvalidRequestError(f"tool message {position}: tool results may only contain text")
    call_id = extra.get("tool_call_id")
    if not call_id and not extra.get("name"):
        raise InvalidRequestError(
            f"tool message {position} has no additional_kwargs['tool_call_id']; set it to the id of the tool "
            "call it answers (api='dashscope' also accepts the function's name in additional_kwargs['name'])"
        )
    content = _content(parts)
    return Message(role="tool", content=content, tool_call_id=str(call_id) if call_id else None,
                   name=extra.get("name"))


def _block_tool_call(block: ToolCallBlock, index: int) -> ToolCall:
    arguments = block.tool_kwargs
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCall(id=block.tool_call_id or "", name=block.tool_name, arguments=text or "{}", index=index)


def legacy_tool_calls(value: Any) -> tuple[ToolCall, ...]:
    """Tool calls stored the OpenAI way in ``additional_kwargs["tool_calls"]`` (dicts or SDK objects)."""
    if not value:
        return ()
    calls = []
    for index, item in enumerate(value):
        data = item if isinstance(item, Mapping) else _object_to_dict(item)
        function = data.get("function") or {}
        if not isinstance(function, Mapping):
            function = _object_to_dict(function)
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments or {}, ensure_ascii=False)
        calls.append(ToolCall(
            id=str(data.get("id") or ""), name=str(function.get("name") or ""), arguments=arguments, index=index
        ))
    return tuple(calls)


def _object_to_dict(item: Any) -> dict[str, Any]:
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        result = dump()
        if isinstance(result, dict):
            return result
    raise InvalidRequestError(f"cannot read tool call {item!r}: expected a dict with 'id' and 'function'")


# -- LlamaIndex -> core: tools --------------------------------------------------------------------------


def to_qwen_tools(tools: Sequence[BaseTool], strict: bool | None = None) -> tuple[ToolSpec, ...]:
    """Tool specs from LlamaIndex tools: name, description and a clean JSON-schema object."""
    return tuple(
        ToolSpec(
            name=tool.metadata.get_name(),
            description=tool.metadata.description,
            parameters=inline_refs(tool.metadata.get_parameters_dict()),
            strict=strict,
        )
        for tool in tools
    )


def inline_refs(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with local ``$ref``s to ``$defs`` replaced by their definitions (nested Pydantic models).

    Self-contained schemas are the portable form for tool parameters and ``json_schema`` formats; recursive
    definitions cannot be inlined, so those refs stay and ``$defs`` is kept for them.
    """
    defs_key = "$defs" if "$defs" in schema else "definitions"
    defs = schema.get(defs_key)
    if not isinstance(defs, Mapping) or not defs:
        return dict(schema)
    kept: set[str] = set()

    def resolve(node: Any, active: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [resolve(item, active) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) and ref.startswith(f"#/{defs_key}/") else None
        if name is None or name not in defs or name in active:
            if name is not None:
                kept.add(name)
            return {key: resolve(value, active) for key, value in node.items() if key != defs_key}
        siblings = {key: resolve(value, active) for key, value in node.items() if key != "$ref"}
        return {**resolve(defs[name], active | {name}), **siblings}

    result: dict[str, Any] = resolve(schema, frozenset())
    if kept:
        result[defs_key] = dict(defs)
    return result


def to_qwen_tool_choice(
    tool_choice: str | Mapping[str, Any] | NamedToolChoice | None, tool_required: bool
) -> ToolChoice | None:
    """``auto``/``none``/``required``, a tool name, or an OpenAI-style ``{"function": {"name": ...}}`` dict.

    ``None`` means ``"required"`` when ``tool_required`` is set, else the service default (auto).
    """
    if tool_choice is None:
        return "required" if tool_required else None
    if isinstance(tool_choice, NamedToolChoice):
        return tool_choice
    if isinstance(tool_choice, str):
        if tool_choice in ("auto", "none", "required"):
            return tool_choice  # type: ignore[return-value]
        return NamedToolChoice(tool_choice)
    function = tool_choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else tool_choice.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequestError(
            f"tool_choice {tool_choice!r} names no function; use 'auto', 'none', 'required', a tool name or "
            "{'type': 'function', 'function': {'name': ...}}"
        )
    return NamedToolChoice(name)


def to_qwen_response_format(value: ResponseFormat | Mapping[str, Any]) -> ResponseFormat:
    """A core response format from itself or the OpenAI shape (``{"type": "json_schema", "json_schema": ...}``)."""
    if isinstance(value, ResponseFormat):
        return value
    kind = value.get("type")
    if kind in ("text", "json_object"):
        return ResponseFormat(type=kind)
    spec = value.get("json_schema")
    if kind != "json_schema" or not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
        raise InvalidRequestError(
            f"response_format {value!r} is not understood; use {{'type': 'json_object'}} or "
            "{'type': 'json_schema', 'json_schema': {'name': ..., 'schema': {...}}}"
        )
    return ResponseFormat(
        type="json_schema", schema=spec["schema"], name=str(spec.get("name") or "response"),
        description=spec.get("description"), strict=spec.get("strict", value.get("strict")),
    )
