"""Conversions between LangChain messages/tools and ``qwen_core`` types (no wire formats here).

``to_qwen_*`` turn LangChain inputs into the core's neutral request types; ``from_qwen_*`` turn the core's
``ChatResult`` / ``ChatDelta`` into LangChain messages, chunks and usage. Everything is pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_qwen._errors import QwenInvalidRequestError
from langchain_qwen._fast import generation, generation_chunk, text_chunk, text_message, tool_chunk
from qwen_core import types as qt

#: ``response_metadata["model_provider"]`` and LangSmith's ``ls_provider``.
MODEL_PROVIDER = "dashscope"

_CHAT_ROLES: Mapping[str, qt.Role] = {
    "system": "system", "developer": "system", "user": "user", "human": "user",
    "assistant": "assistant", "ai": "assistant", "tool": "tool",
}


# -- messages in ---------------------------------------------------------------------------------


def to_qwen_messages(messages: Sequence[BaseMessage]) -> tuple[qt.Message, ...]:
    """Convert LangChain messages; raises ``QwenInvalidRequestError`` (a ValueError) on anything unsupported."""
    return tuple(to_qwen_message(message) for message in messages)


def to_qwen_message(message: BaseMessage) -> qt.Message:
    """Convert one message, dispatching on its type."""
    if isinstance(message, ChatMessage):
        role = _CHAT_ROLES.get(message.role)
        if role is None:
            raise QwenInvalidRequestError(
                f"unsupported chat message role {message.role!r}; use one of: system, user, assistant, tool"
            )
        if role == "assistant":
            return _assistant_message(AIMessage(content=message.content, name=message.name))
        if role == "tool":  # the documents' id-less form, {"role": "tool", "name": ...}: the core decides
            return qt.Message("tool", _text_only(message.content, "tool"), name=message.name)
        return qt.Message(role, _user_content(message.content), name=message.name)
    if isinstance(message, SystemMessage):
        return qt.Message("system", _text_only(message.content, "system"), name=message.name)
    if isinstance(message, HumanMessage):
        return qt.Message("user", _user_content(message.content), name=message.name)
    if isinstance(message, AIMessage):
        return _assistant_message(message)
    if isinstance(message, ToolMessage):
        return _tool_message(message)
    raise QwenInvalidRequestError(
        f"unsupported message type {type(message).__name__}; use SystemMessage, HumanMessage, AIMessage, "
        "ToolMessage or ChatMessage"
    )


def _assistant_message(message: AIMessage) -> qt.Message:
    calls = tuple(
        qt.ToolCall(id=call.get("id") or "", name=call["name"], arguments=json.dumps(call["args"]), index=i)
        for i, call in enumerate(message.tool_calls)
    )
    reasoning = message.additional_kwargs.get("reasoning_content") or _reasoning_of(message.content) or None
    return qt.Message(
        "assistant",
        _text_only(message.content, "assistant"),
        name=message.name,
        tool_calls=calls,
        reasoning_content=reasoning,
        partial=bool(message.additional_kwargs.get("partial", False)),
    )


def _tool_message(message: ToolMessage) -> qt.Message:
    text = _text_only(message.content, "tool")
    if message.status == "error":
        # Qwen has no error flag on tool results; say it in the content so the model can react to it.
        text = f"Error: {text}"
    return qt.Message("tool", text, name=message.name, tool_call_id=message.tool_call_id or None)


def _reasoning_of(content: str | list[Any]) -> str:
    if isinstance(content, str):
        return ""
    blocks = [block for block in content if isinstance(block, dict) and block.get("type") == "reasoning"]
    return "".join(str(block.get("reasoning", "")) for block in blocks)


# Block types that are output artefacts of earlier turns (already carried by tool_calls / reasoning).
_SKIPPED_IN_TEXT = frozenset({"reasoning", "thinking", "tool_call", "tool_use", "tool_call_chunk", "function_call"})


def _text_only(content: str | list[Any], role: str) -> str:
    """The text of a message that the service only takes as text (system, assistant, tool)."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif not (isinstance(block, dict) and block.get("type") in _SKIPPED_IN_TEXT):
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise QwenInvalidRequestError(f"{role} messages take text only; got a content block of type {kind!r}")
    return "".join(parts)


def _user_content(content: str | list[Any]) -> qt.Content:
    if isinstance(content, str):
        return content
    parts = tuple(_content_part(block) for block in content)
    if len(parts) == 1 and isinstance(parts[0], qt.TextPart):
        return parts[0].text
    return parts


def _content_part(block: Any) -> qt.ContentPart:
    if isinstance(block, str):
        return qt.TextPart(block)
    kind = block.get("type") if isinstance(block, dict) else None
    converter = _PART_CONVERTERS.get(kind) if isinstance(kind, str) else None
    if converter is None:
        known = ", ".join(sorted(_PART_CONVERTERS))
        raise QwenInvalidRequestError(f"unsupported content block {kind!r} in a user message; supported: {known}")
    return converter(block)


def _text_part(block: Mapping[str, Any]) -> qt.ContentPart:
    return qt.TextPart(str(block.get("text", "")))


def _media_url(block: Mapping[str, Any], kind: str, default_mime: str) -> str:
    """URL or data URI of a standard (v1) or legacy (v0 ``source_type``) media block."""
    if block.get("url"):
        return str(block["url"])
    data = block.get("base64") or (block.get("data") if block.get("source_type") == "base64" else None)
    if data:
        return f"data:{block.get('mime_type') or default_mime};base64,{data}"
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic format: {"source": {"type": "base64"|"url", ...}}
        if source.get("type") == "url" and source.get("url"):
            return str(source["url"])
        if source.get("type") == "base64" and source.get("data"):
            return f"data:{source.get('media_type') or default_mime};base64,{source['data']}"
    raise QwenInvalidRequestError(
        f"{kind} blocks need a 'url' or base64 data ('base64' with 'mime_type'); file ids are not supported"
    )


def _image_part(block: Mapping[str, Any]) -> qt.ContentPart:
    return qt.ImagePart(_media_url(block, "image", "image/jpeg"))


def _image_url_part(block: Mapping[str, Any]) -> qt.ContentPart:
    value = block.get("image_url")
    if isinstance(value, Mapping) and value.get("url"):
        return qt.ImagePart(str(value["url"]), detail=value.get("detail"))
    if isinstance(value, str) and value:
        return qt.ImagePart(value)
    raise QwenInvalidRequestError("image_url blocks need {'image_url': {'url': ...}}")


def _video_part(block: Mapping[str, Any]) -> qt.ContentPart:
    value = block.get("video_url")
    if isinstance(value, Mapping) and value.get("url"):
        return qt.VideoPart(str(value["url"]))
    frames = block.get("video")
    if isinstance(frames, (list, tuple)):
        return qt.VideoPart(tuple(str(frame) for frame in frames))
    return qt.VideoPart(_media_url(block, "video", "video/mp4"))


def _audio_part(block: Mapping[str, Any]) -> qt.ContentPart:
    return qt.AudioPart(_media_url(block, "audio", "audio/wav"))


_PART_CONVERTERS: Mapping[str, Callable[[Mapping[str, Any]], qt.ContentPart]] = {
    "text": _text_part,
    "image": _image_part,
    "image_url": _image_url_part,
    "video": _video_part,
    "video_url": _video_part,
    "audio": _audio_part,
}


# -- tools and formats in ------------------------------------------------------------------------


def to_qwen_tool(tool: Mapping[str, Any] | qt.ToolSpec) -> qt.ToolSpec:
    """Convert an OpenAI-format tool dict (as ``bind_tools`` binds them) to a ``ToolSpec``."""
    if isinstance(tool, qt.ToolSpec):
        return tool
    function = tool.get("function") if tool.get("type") == "function" else None
    if not isinstance(function, Mapping) or not function.get("name"):
        raise QwenInvalidRequestError(
            f"tools must be function tools ({{'type': 'function', 'function': {{'name': ...}}}}); got {tool!r}"
        )
    return qt.ToolSpec(
        name=str(function["name"]),
        description=str(function.get("description") or ""),
        parameters=function.get("parameters") or {"type": "object", "properties": {}},
        strict=function.get("strict"),
    )


def to_qwen_tool_choice(choice: Any) -> qt.ToolChoice | None:
    """Map a LangChain tool choice to the core's: modes, ``"any"`` -> ``"required"``, names and dicts."""
    if choice is None or isinstance(choice, qt.NamedToolChoice):
        return choice
    if choice in ("auto", "none", "required"):
        return choice  # type: ignore[no-any-return]
    if choice == "any":
        return "required"
    if isinstance(choice, str) and choice:
        return qt.NamedToolChoice(choice)
    if isinstance(choice, Mapping):
        function = choice.get("function")
        if choice.get("type") == "function" and isinstance(function, Mapping) and function.get("name"):
            return qt.NamedToolChoice(str(function["name"]))
    raise QwenInvalidRequestError(
        f"unsupported tool_choice {choice!r}; use 'auto', 'none', 'any', 'required', a tool name, or "
        "{'type': 'function', 'function': {'name': ...}}"
    )


def to_qwen_response_format(value: Any) -> qt.ResponseFormat | None:
    """Map an OpenAI-style ``response_format`` dict (as ``with_structured_output`` binds it)."""
    if value is None or isinstance(value, qt.ResponseFormat):
        return value
    kind = value.get("type") if isinstance(value, Mapping) else None
    if kind in ("text", "json_object"):
        return qt.ResponseFormat(kind)
    if kind == "json_schema" and isinstance(value.get("json_schema"), Mapping):
        spec = value["json_schema"]
        return qt.ResponseFormat(
            "json_schema", schema=spec.get("schema"), name=str(spec.get("name") or "response"),
            description=spec.get("description"), strict=spec.get("strict"),
        )
    raise QwenInvalidRequestError(
        f"unsupported response_format {value!r}; use {{'type': 'json_object'}} or "
        "{'type': 'json_schema', 'json_schema': {'name': ..., 'schema': {...}}}"
    )


# -- results out ---------------------------------------------------------------------------------


def from_qwen_usage(usage: qt.Usage) -> UsageMetadata:
    """LangChain usage with ``cache_read`` and ``reasoning`` details when the service reported them."""
    metadata = UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens or usage.input_tokens + usage.output_tokens,
    )
    if usage.cached_tokens is not None:
        metadata["input_token_details"] = InputTokenDetails(cache_read=usage.cached_tokens)
    if usage.reasoning_tokens is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage.reasoning_tokens)
    return metadata


def from_qwen_tool_call(call: qt.ToolCall) -> ToolCall | InvalidToolCall:
    """A parsed tool call, or an invalid one (with the error) when its arguments are not a JSON object."""
    try:
        args = json.loads(call.arguments) if call.arguments.strip() else {}
    except json.JSONDecodeError as error:
        return invalid_tool_call(name=call.name, args=call.arguments, id=call.id, error=f"invalid JSON: {error}")
    if not isinstance(args, dict):
        return invalid_tool_call(name=call.name, args=call.arguments, id=call.id, error="arguments are not an object")
    return tool_call(name=call.name, args=args, id=call.id)


def _metadata(
    model: str | None, request_id: str | None, finish_reason: str | None, search_info: Mapping[str, Any] | None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "model_name": model, "finish_reason": finish_reason, "request_id": request_id,
        "model_provider": MODEL_PROVIDER,
    }
    if search_info:
        metadata["search_info"] = dict(search_info)
    return metadata


def from_qwen_choice(choice: qt.Choice, result: qt.ChatResult) -> ChatGeneration:
    """One generation: text, reasoning (kept next to tool calls), tool calls, usage and metadata."""
    parsed = [from_qwen_tool_call(call) for call in choice.tool_calls]
    metadata = _metadata(result.model, result.request_id, choice.finish_reason, result.search_info)
    if choice.logprobs is not None:
        metadata["logprobs"] = {"content": list(choice.logprobs)}
    additional_kwargs = {"reasoning_content": choice.reasoning} if choice.reasoning else {}
    usage = from_qwen_usage(result.usage) if result.usage is not None else None
    if parsed:
        message = AIMessage(
            content=choice.text,
            additional_kwargs=additional_kwargs,
            tool_calls=[call for call in parsed if call.get("type") == "tool_call"],
            invalid_tool_calls=[call for call in parsed if call.get("type") == "invalid_tool_call"],
            usage_metadata=usage,
            response_metadata=metadata,
        )
    else:
        message = text_message(choice.text, additional_kwargs, usage, metadata)
    return generation(message, {"finish_reason": choice.finish_reason})


def from_qwen_result(result: qt.ChatResult) -> ChatResult:
    """A LangChain ``ChatResult`` with one generation per choice."""
    llm_output: dict[str, Any] = {"model_name": result.model, "request_id": result.request_id}
    if result.usage is not None:
        llm_output["token_usage"] = dict(from_qwen_usage(result.usage))
    return ChatResult(generations=[from_qwen_choice(c, result) for c in result.choices], llm_output=llm_output)


class StreamConverter:
    """Turns the core's deltas into LangChain chunks; metadata and usage go on one final chunk.

    The service repeats usage (native: cumulative on every frame) and spreads the finish reason, model name and
    request id over frames; they are kept here and reported once, by :meth:`final`, so that adding the chunks up
    gives exactly one ``usage_metadata``.
    """

    def __init__(self, *, model: str | None = None, stream_usage: bool = True) -> None:
        self.stream_usage = stream_usage
        self.usage: qt.Usage | None = None
        self.finish_reason: str | None = None
        self.model = model  # the requested name, until the service names the model (native streams never do)
        self.request_id: str | None = None
        self.search_info: Mapping[str, Any] | None = None

    def chunk(self, delta: qt.ChatDelta) -> ChatGenerationChunk | None:
        """The chunk for ``delta``, or ``None`` when it carries only metadata."""
        self.usage = delta.usage or self.usage
        self.finish_reason = delta.finish_reason or self.finish_reason
        self.model = delta.model or self.model
        self.request_id = delta.request_id or self.request_id
        self.search_info = delta.search_info or self.search_info
        if not (delta.text or delta.reasoning or delta.tool_call_chunks or delta.logprobs):
            return None
        metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
        if delta.logprobs:
            metadata["logprobs"] = {"content": list(delta.logprobs)}
        additional_kwargs = {"reasoning_content": delta.reasoning} if delta.reasoning else {}
        if not delta.tool_call_chunks:
            return generation_chunk(text_chunk(delta.text, additional_kwargs, metadata))
        parts = [
            tool_call_chunk(name=part.name, args=part.arguments, id=part.id, index=part.index)
            for part in delta.tool_call_chunks
        ]
        return generation_chunk(tool_chunk(delta.text, additional_kwargs, parts, metadata))

    def final(self) -> ChatGenerationChunk:
        """The last chunk: finish reason, model name, request id, search info and (once) usage."""
        usage = from_qwen_usage(self.usage) if self.usage is not None and self.stream_usage else None
        message = AIMessageChunk(
            content="",
            usage_metadata=usage,
            response_metadata=_metadata(self.model, self.request_id, self.finish_reason, self.search_info),
            chunk_position="last",
        )
        return ChatGenerationChunk(message=message, generation_info={"finish_reason": self.finish_reason})
