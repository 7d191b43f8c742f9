"""Conversions between LlamaIndex's chat types and :mod:`qwen_core.types`, kept apart from the LLM class.

``to_qwen_*`` turn LlamaIndex messages, content blocks and tools into the neutral core types;
``from_qwen_*`` turn core results into LlamaIndex responses. Nothing here builds or reads wire JSON: that is
:mod:`qwen_core.protocols`' job. Every function is pure except :class:`ChatStream`, a small state object that
turns core stream deltas into LlamaIndex's cumulative streamed responses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    ImageBlock,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from qwen_core.errors import InvalidRequestError, ResponseParseError
from qwen_core.protocols._common import synthesize_tool_call_id
from qwen_core.streaming import StreamAccumulator, unnamed_tool_call_error
from qwen_core.types import (
    AudioPart,
    ChatDelta,
    ChatResult,
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
    Usage,
    VideoPart,
)

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "ChatStream",
    "completion_from_chat",
    "from_qwen_result",
    "inline_refs",
    "keep_first_tool_call",
    "to_qwen_messages",
    "to_qwen_response_format",
    "to_qwen_tool_choice",
    "to_qwen_tools",
    "tool_selections",
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
            tool_calls=tuple(calls) or _legacy_tool_calls(extra.get("tool_calls")),
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


def _legacy_tool_calls(value: Any) -> tuple[ToolCall, ...]:
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


# -- core -> LlamaIndex ------------------------------------------------------------------------------------


# Built once per streamed chunk, so their construction is on the hot path. Pydantic's validated constructors
# copy values we have just built ourselves (ChatMessage also runs its Python ``__init__`` and ``images`` validator,
# about 3 us a message), so these three are assembled directly. That is safe because every value given is already
# of the field's validated type and freshly built for this one object (blocks are validated TextBlock/ThinkingBlock/
# ToolCallBlock instances, which validation keeps as-is; the dicts and lists are new), we never set
# ``additional_kwargs["images"]`` (the only input ChatMessage's validator acts on), and ``__dict__`` lists every field
# in declaration order, exactly as validation leaves it. ``_ASSEMBLE`` re-checks at import that the models still
# have exactly the fields and validators this relies on; if LlamaIndex changes them we fall back to the validated
# constructors (tests/llama_index/test_li_construct.py fails loudly on that, and compares both paths).

_set_attribute = object.__setattr__
_new_object = object.__new__

#: model -> (field names in declaration order, names of its validators) the direct assembly relies on.
ASSEMBLED_MODELS: Mapping[type[Any], tuple[tuple[str, ...], frozenset[str]]] = {
    ChatMessage: (("role", "additional_kwargs", "blocks"), frozenset({"legacy_additional_kwargs_image"})),
    ChatResponse: (("message", "raw", "delta", "logprobs", "additional_kwargs"), frozenset()),
    CompletionResponse: (("text", "additional_kwargs", "raw", "logprobs", "delta"), frozenset()),
    TextBlock: (("block_type", "text"), frozenset()),
    ThinkingBlock: (("block_type", "content", "num_tokens", "additional_information"), frozenset()),
    ToolCallBlock: (("block_type", "tool_call_id", "tool_name", "tool_kwargs"), frozenset()),
}


def _assemblable(model: type[Any], fields: tuple[str, ...], validators: frozenset[str]) -> bool:
    decorators = model.__pydantic_decorators__
    found = {*decorators.validators, *decorators.field_validators, *decorators.root_validators,
             *decorators.model_validators}
    return (
        tuple(model.model_fields) == fields and found == validators and not model.__private_attributes__
        and model.model_config.get("extra") in (None, "ignore") and not model.model_config.get("frozen")
    )


_ASSEMBLE = all(_assemblable(model, *spec) for model, spec in ASSEMBLED_MODELS.items())


def _assemble(model: type[Any], values: dict[str, Any], fields_set: set[str]) -> Any:
    """An instance holding ``values`` (every field, declaration order), as validation would leave it."""
    instance = _new_object(model)
    _set_attribute(instance, "__dict__", values)
    _set_attribute(instance, "__pydantic_fields_set__", fields_set)
    _set_attribute(instance, "__pydantic_extra__", None)
    _set_attribute(instance, "__pydantic_private__", None)
    return instance


def text_block(text: str) -> TextBlock:
    """``TextBlock(text=text)``."""
    if not _ASSEMBLE:
        return TextBlock(text=text)
    return _assemble(TextBlock, {"block_type": "text", "text": text}, {"text"})  # type: ignore[no-any-return]


def thinking_block(content: str, num_tokens: int | None) -> ThinkingBlock:
    """``ThinkingBlock(content=content, num_tokens=num_tokens)``."""
    if not _ASSEMBLE:
        return ThinkingBlock(content=content, num_tokens=num_tokens)
    return _assemble(  # type: ignore[no-any-return]
        ThinkingBlock,
        {"block_type": "thinking", "content": content, "num_tokens": num_tokens, "additional_information": {}},
        {"content", "num_tokens"},
    )


def tool_call_block(call_id: str, name: str, kwargs: dict[str, Any] | str) -> ToolCallBlock:
    """``ToolCallBlock(tool_call_id=..., tool_name=..., tool_kwargs=kwargs)``; takes ownership of ``kwargs``."""
    if not _ASSEMBLE:
        return ToolCallBlock(tool_call_id=call_id, tool_name=name, tool_kwargs=kwargs)
    return _assemble(  # type: ignore[no-any-return]
        ToolCallBlock,
        {"block_type": "tool_call", "tool_call_id": call_id, "tool_name": name, "tool_kwargs": kwargs},
        {"tool_call_id", "tool_name", "tool_kwargs"},
    )


def assistant_message(blocks: list[ContentBlock], extra: dict[str, Any]) -> ChatMessage:
    """``ChatMessage(role=ASSISTANT, blocks=blocks, additional_kwargs=extra)``; takes ownership of both."""
    if not _ASSEMBLE:
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)
    return _assemble(  # type: ignore[no-any-return]
        ChatMessage,
        {"role": MessageRole.ASSISTANT, "additional_kwargs": extra, "blocks": blocks},
        {"role", "blocks", "additional_kwargs"},
    )


def chat_response(
    message: ChatMessage, raw: dict[str, Any], extra: dict[str, Any], delta: str | None = None
) -> ChatResponse:
    """``ChatResponse(message=..., raw=..., additional_kwargs=..., [delta=...])``; ``delta=None`` leaves it unset."""
    if not _ASSEMBLE:
        if delta is None:
            return ChatResponse(message=message, raw=raw, additional_kwargs=extra)
        return ChatResponse(message=message, delta=delta, raw=raw, additional_kwargs=extra)
    fields_set = {"message", "raw", "additional_kwargs"}
    if delta is not None:
        fields_set.add("delta")
    return _assemble(  # type: ignore[no-any-return]
        ChatResponse,
        {"message": message, "raw": raw, "delta": delta, "logprobs": None, "additional_kwargs": extra},
        fields_set,
    )


def completion_response(text: str, extra: dict[str, Any], raw: Any, delta: str | None) -> CompletionResponse:
    """``CompletionResponse(text=..., delta=..., raw=..., additional_kwargs=...)``; takes ownership of ``extra``."""
    if not _ASSEMBLE:
        return CompletionResponse(text=text, delta=delta, raw=raw, additional_kwargs=extra)
    return _assemble(  # type: ignore[no-any-return]
        CompletionResponse,
        {"text": text, "additional_kwargs": extra, "raw": raw, "logprobs": None, "delta": delta},
        {"text", "delta", "raw", "additional_kwargs"},
    )


def tool_kwargs(arguments: str) -> dict[str, Any] | str:
    """Arguments as a dict when they are a complete JSON object, else the raw (possibly partial) string."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return arguments
    return value if isinstance(value, dict) else arguments


def _wire_style_calls(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    """The legacy ``additional_kwargs["tool_calls"]`` form (OpenAI-style dicts)."""
    return [
        {"id": call.id, "type": "function", "index": call.index,
         "function": {"name": call.name, "arguments": call.arguments}}
        for call in calls
    ]


def _message(
    text: str, reasoning: str, calls: Sequence[ToolCall], reasoning_tokens: int | None,
    kwargs: Sequence[dict[str, Any] | str] | None = None,
) -> ChatMessage:
    """The assistant message; ``kwargs`` (fresh, one per call) are the calls' parsed arguments when known."""
    blocks: list[ContentBlock] = []
    if reasoning:
        blocks.append(thinking_block(reasoning, reasoning_tokens))
    blocks.append(text_block(text))
    extra: dict[str, Any] = {}
    if calls:
        if kwargs is None:
            kwargs = [tool_kwargs(call.arguments) for call in calls]
        blocks.extend(
            tool_call_block(call.id, call.name, parsed) for call, parsed in zip(calls, kwargs, strict=True)
        )
        extra["tool_calls"] = _wire_style_calls(calls)
    if reasoning:
        extra["reasoning_content"] = reasoning
    return assistant_message(blocks, extra)


def usage_kwargs(usage: Usage | None) -> dict[str, int | None]:
    """Token counts under the names LlamaIndex's token counters read."""
    if usage is None:
        return {}
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cached_tokens": usage.cached_tokens,
    }


def _meta(
    request_id: str | None, model: str | None, finish_reason: str | None, usage: Usage | None,
    search_info: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``raw``, ``additional_kwargs``) of a response: ids, finish reason and usage."""
    raw: dict[str, Any] = {
        "request_id": request_id, "model": model, "finish_reason": finish_reason,
        "usage": dict(usage.raw) if usage is not None else None,
    }
    extra: dict[str, Any] = {"request_id": request_id, "model": model, "finish_reason": finish_reason}
    if search_info:
        raw["search_info"] = dict(search_info)
        extra["search_info"] = dict(search_info)
    extra.update(usage_kwargs(usage))
    return raw, extra


def from_qwen_result(result: ChatResult) -> ChatResponse:
    """A complete answer as a ``ChatResponse`` (thinking, text and tool-call blocks; usage and ids)."""
    usage = result.usage
    message = _message(
        result.text, result.reasoning, result.tool_calls, usage.reasoning_tokens if usage is not None else None
    )
    raw, extra = _meta(result.request_id, result.model, result.finish_reason, usage, result.search_info)
    if len(result.choices) > 1:  # n > 1: every choice, in order (the message is choice 0's)
        extra["choices"] = [_message(c.text, c.reasoning, c.tool_calls, None) for c in result.choices]
    response = chat_response(message, raw, extra)
    if result.choices and result.choices[0].logprobs:
        response.logprobs = from_qwen_logprobs(result.choices[0].logprobs)
    return response


def from_qwen_logprobs(entries: Sequence[Mapping[str, Any]]) -> list[list[LogProb]]:
    """Per generated token, its alternatives (``top_logprobs``; the token itself when none were asked for)."""
    return [
        [_logprob(alt) for alt in entry.get("top_logprobs") or [entry] if isinstance(alt, Mapping)]
        for entry in entries
    ]


def _logprob(entry: Mapping[str, Any]) -> LogProb:
    return LogProb(token=str(entry.get("token", "")), logprob=float(entry.get("logprob") or 0.0),
                   bytes=list(entry.get("bytes") or []))


def completion_from_chat(response: ChatResponse) -> CompletionResponse:
    """The completion view of a chat response (keeps usage, ids and the streamed delta).

    The completion takes over the response's ``raw`` and ``additional_kwargs`` objects: every caller builds the
    chat response only to convert it and never hands it out, so nothing else holds them.
    """
    return completion_response(
        response.message.content or "", response.additional_kwargs, response.raw, response.delta
    )


class _ToolView:
    """Choice 0's view of one streamed tool call, merged like the core accumulator merges it."""

    __slots__ = ("arguments", "id", "name", "partial")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name: str | None = None
        self.arguments = ""
        self.partial = False  # whether ``arguments`` is not (yet) a JSON object (none yet parse as ``{}``)

    def kwargs(self) -> dict[str, Any] | str:
        """``tool_kwargs(self.arguments)``, parsed again only while the arguments may have become an object.

        Partial arguments are returned as the (immutable) string without re-parsing; a complete object is parsed
        afresh for every chunk, so chunks never share the dict.
        """
        if self.partial:
            return self.arguments
        return tool_kwargs(self.arguments)

    def extend(self, arguments: str) -> None:
        self.arguments += arguments
        self.partial = isinstance(tool_kwargs(self.arguments), str)


class ChatStream:
    """Turns the deltas of one streamed call into LlamaIndex's cumulative ``ChatResponse`` chunks.

    Each chunk's ``message`` holds everything so far; ``delta`` the new text and
    ``additional_kwargs["thinking_delta"]`` the new reasoning. Tool calls are merged by index (id and name from
    their first non-empty values, arguments concatenated) exactly as the core accumulator merges them; their
    arguments may be partial JSON until the stream ends. Chunks share no mutable objects with each other.

    LlamaIndex responses carry one choice: this class keeps the running view of choice 0 (its text, reasoning
    and tool calls, rebuilt only when a tool-call fragment arrives), so nothing is re-joined per chunk. Deltas of
    other choices (``n > 1``) go to a core accumulator, only so that :meth:`finish` applies the core's end-of-stream
    check to them too.
    """

    def __init__(self, model: str | None = None) -> None:
        self._others = StreamAccumulator()
        self._text = ""
        self._reasoning = ""
        self._tools: dict[int, _ToolView] = {}
        self._calls: tuple[ToolCall, ...] = ()
        self._views: tuple[_ToolView, ...] = ()  # the views behind ``_calls``, in the same order
        self._usage: Usage | None = None
        self._finish_reason: str | None = None
        self._request_id: str | None = None
        self._last_request_id: str | None = None  # of any choice: what the core accumulator names calls after
        self._model = model
        self._search_info: Mapping[str, Any] | None = None
        self.chunks = 0

    def add(self, delta: ChatDelta) -> ChatResponse | None:
        """Merge one delta; return the chunk to yield (``None`` for other choices or empty deltas)."""
        if delta.request_id:
            self._last_request_id = delta.request_id
        if delta.index != 0:
            self._others.add(delta)
            return None
        if delta.text:
            self._text += delta.text
        if delta.reasoning:
            self._reasoning += delta.reasoning
        if delta.tool_call_chunks:
            self._merge_tool_calls(delta)
        self._usage = delta.usage or self._usage
        self._finish_reason = delta.finish_reason or self._finish_reason
        self._request_id = delta.request_id or self._request_id
        self._model = delta.model or self._model
        if delta.search_info and any(delta.search_info.values()):  # later native frames repeat it empty
            self._search_info = delta.search_info
        if not (delta.text or delta.reasoning or delta.tool_call_chunks or delta.usage or delta.finish_reason):
            return None
        self.chunks += 1
        return self._response(delta)

    def _merge_tool_calls(self, delta: ChatDelta) -> None:
        """Merge the fragments, then rebuild the calls (what the accumulator's snapshot would give for choice 0)."""
        tools = self._tools
        for chunk in delta.tool_call_chunks:
            tool = tools.get(chunk.index)
            if tool is None:
                tool = tools[chunk.index] = _ToolView()
            if chunk.id and tool.id is None:
                tool.id = chunk.id
            if chunk.name and tool.name is None:
                tool.name = chunk.name
            if chunk.arguments:
                tool.extend(chunk.arguments)
        request_id = self._last_request_id
        ordered = sorted(tools.items())
        self._views = tuple(tool for _, tool in ordered)
        self._calls = tuple(
            ToolCall(
                id=tool.id or synthesize_tool_call_id(request_id, index),
                name=tool.name or "",
                arguments=tool.arguments,
                index=index,
            )
            for index, tool in ordered
        )

    def _response(self, delta: ChatDelta) -> ChatResponse:
        usage = self._usage
        views = self._views
        message = _message(
            self._text, self._reasoning, self._calls, usage.reasoning_tokens if usage is not None else None,
            [view.kwargs() for view in views] if views else None,
        )
        # fresh dicts per chunk: callers may mutate a chunk without touching the others
        raw, extra = _meta(self._request_id, self._model, self._finish_reason, usage, self._search_info)
        if delta.reasoning:
            extra["thinking_delta"] = delta.reasoning
        response = chat_response(message, raw, extra, delta.text)
        if delta.logprobs:
            response.logprobs = from_qwen_logprobs(delta.logprobs)
        return response

    def finish(self) -> None:
        """End-of-stream checks, as the core accumulator makes them.

        Raises:
            ResponseParseError: the stream carried nothing, or a tool call (of any choice) never got its name.
        """
        if not self.chunks:
            raise ResponseParseError("the stream ended before the model sent anything", model=self._model)
        for index, tool in sorted(self._tools.items()):
            if tool.name is None:
                raise unnamed_tool_call_error(index, 0, self._last_request_id)
        self._others.result()


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """Drop all but the first tool call (for callers that did not allow parallel calls)."""
    message = response.message
    blocks = [block for block in message.blocks if isinstance(block, ToolCallBlock)]
    legacy = message.additional_kwargs.get("tool_calls")
    if len(blocks) <= 1 and not (isinstance(legacy, list) and len(legacy) > 1):
        return response
    first = blocks[0] if blocks else None
    message.blocks = [b for b in message.blocks if not isinstance(b, ToolCallBlock) or b is first]
    if isinstance(legacy, list):
        message.additional_kwargs["tool_calls"] = legacy[:1]
    return response


# -- tool selections -------------------------------------------------------------------------------------------


def tool_selections(response: ChatResponse) -> list[ToolSelection]:
    """Tool calls of a (possibly partial, streamed) response; partial arguments parse as far as they go."""
    blocks = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
    if blocks:
        return [
            ToolSelection(
                tool_id=block.tool_call_id or "",
                tool_name=block.tool_name,
                tool_kwargs=_parse_kwargs(block.tool_kwargs),
            )
            for block in blocks
        ]
    return [
        ToolSelection(tool_id=call.id, tool_name=call.name, tool_kwargs=_parse_kwargs(call.arguments))
        for call in _legacy_tool_calls(response.message.additional_kwargs.get("tool_calls"))
    ]


def _parse_kwargs(value: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not value.strip():
        return {}
    try:
        parsed = parse_partial_json(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
