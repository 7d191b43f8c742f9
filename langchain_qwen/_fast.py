"""Speed shortcuts of ``langchain_qwen``, in one place, each with its guard.

Everything here builds exactly what a langchain-core path builds, only cheaper; ``tests/langchain/test_fast.py``
proves it on this install (equal objects, equal pydantic state, equal sums of chunks) and fails when
langchain-core gains a field or validator these shortcuts do not know. What they cost and save shows in
``benchmarks/run.sh --only call,stream`` (profile one subject with ``--profile stream:ChatQwen-compat``).

* **Trusted construction** of the per-token and per-call objects (``AIMessage(Chunk)``,
  ``ChatGeneration(Chunk)``): pydantic validation of these costs several times more than the rest of the
  per-chunk work and, for the inputs below, changes nothing. Guard: :func:`trusted` compares the trusted
  builders with the validated constructors once, on first use (never at import), and every builder falls back
  to the validated constructor when they differ.
* **Stored signatures** (:func:`store_signatures`): langchain-core calls ``inspect.signature(self._generate)``
  on every invoke; a stored ``__signature__`` answers the same. Guard: only the class's own methods get one; a
  subclass that overrides them is inspected as usual.
* **Invocation parameters** (:func:`invocation_params`): langchain-core's ``_get_invocation_params`` wraps the
  deprecated ``dict()`` in a ``warnings.catch_warnings`` block on every call; the same dict is built directly.
  Guard: a subclass that overrides ``dict`` or ``asdict`` gets the framework's path.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, InvalidToolCall, ToolCall
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import ToolCallChunk, invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk
from langchain_core.utils.json import parse_partial_json
from pydantic import BaseModel

# -- trusted construction ------------------------------------------------------------------------
#
# For the inputs the builders take (a ``str`` content, fresh dicts, tool calls only as fresh ``tool_call_chunk``
# dicts) validation changes nothing: no field needs coercion and langchain-core's validators
# (``_backwards_compat_tool_calls``, ``init_tool_calls``, ``init_server_tool_calls``, ``set_text``) leave every
# other field at its default, except ``text``, set to ``message.text`` as ``set_text`` does, and a chunk's
# ``tool_calls``/``invalid_tool_calls``, which ``_tool_chunk`` derives as ``init_tool_calls`` does (and marks as
# set, as its assignments do). So the instance state is written directly, exactly as ``BaseModel.model_construct``
# writes it (``__dict__`` with every field, the fields set, ``__pydantic_extra__``, ``__pydantic_private__``),
# without its per-field alias/default loop, which costs as much as the validation it skips.

#: Whether the trusted builders build what the validated constructors build here; ``None`` until first use.
_TRUSTED: bool | None = None
_CHECK_LOCK = threading.Lock()

_setattr = object.__setattr__
_Model = TypeVar("_Model", bound=BaseModel)


def trusted() -> bool:
    """Whether the trusted builders are in use: checked once, on first use, against the validated constructors."""
    global _TRUSTED
    if _TRUSTED is None:
        with _CHECK_LOCK:
            if _TRUSTED is None:
                _TRUSTED = _trusted_matches_validated()
    return _TRUSTED


def text_chunk(text: str, additional_kwargs: dict[str, Any], metadata: dict[str, Any]) -> AIMessageChunk:
    """``AIMessageChunk(content=text, additional_kwargs=..., tool_call_chunks=[], response_metadata=metadata)``."""
    if _TRUSTED is not True and not trusted():
        return AIMessageChunk(
            content=text, additional_kwargs=additional_kwargs, tool_call_chunks=[], response_metadata=metadata
        )
    return _text_chunk(text, additional_kwargs, metadata)


def tool_chunk(
    text: str, additional_kwargs: dict[str, Any], parts: list[ToolCallChunk], metadata: dict[str, Any]
) -> AIMessageChunk:
    """``AIMessageChunk(content=text, ..., tool_call_chunks=parts, ...)``, with the tool calls its validator adds."""
    if _TRUSTED is not True and not trusted():
        return AIMessageChunk(
            content=text, additional_kwargs=additional_kwargs, tool_call_chunks=parts, response_metadata=metadata
        )
    return _tool_chunk(text, additional_kwargs, parts, metadata)


def generation_chunk(message: AIMessageChunk) -> ChatGenerationChunk:
    """``ChatGenerationChunk(message=message)`` for a message from :func:`text_chunk` or :func:`tool_chunk`."""
    if _TRUSTED is not True and not trusted():
        return ChatGenerationChunk(message=message)
    return _generation_chunk(message)


def text_message(
    text: str, additional_kwargs: dict[str, Any], usage: UsageMetadata | None, metadata: dict[str, Any]
) -> AIMessage:
    """``AIMessage(content=text, ..., tool_calls=[], invalid_tool_calls=[], usage_metadata=usage, ...)``."""
    if _TRUSTED is not True and not trusted():
        return AIMessage(
            content=text, additional_kwargs=additional_kwargs, tool_calls=[], invalid_tool_calls=[],
            usage_metadata=usage, response_metadata=metadata,
        )
    return _text_message(text, additional_kwargs, usage, metadata)


def generation(message: AIMessage, generation_info: dict[str, Any]) -> ChatGeneration:
    """``ChatGeneration(message=message, generation_info=generation_info)``."""
    if _TRUSTED is not True and not trusted():
        return ChatGeneration(message=message, generation_info=generation_info)
    return _generation(message, generation_info)


def _construct(cls: type[_Model], values: dict[str, Any], fields_set: set[str], extra: dict[str, Any] | None) -> _Model:
    """A ``cls`` instance with ``values`` (every field) as its state, like ``cls.model_construct`` makes."""
    obj = cls.__new__(cls)
    _setattr(obj, "__dict__", values)
    _setattr(obj, "__pydantic_fields_set__", fields_set)
    _setattr(obj, "__pydantic_extra__", extra)
    _setattr(obj, "__pydantic_private__", None)
    return obj


def _text_chunk(text: str, additional_kwargs: dict[str, Any], metadata: dict[str, Any]) -> AIMessageChunk:
    values: dict[str, Any] = {
        "content": text, "additional_kwargs": additional_kwargs, "response_metadata": metadata,
        "type": "AIMessageChunk", "name": None, "id": None, "tool_calls": [], "invalid_tool_calls": [],
        "usage_metadata": None, "tool_call_chunks": [], "chunk_position": None,
    }
    fields_set = {"content", "additional_kwargs", "tool_call_chunks", "response_metadata"}
    return _construct(AIMessageChunk, values, fields_set, {})


#: JSON's whitespace (``json.loads`` skips exactly these before a value).
_JSON_WHITESPACE = " \t\n\r"


def _partial_arguments(args: str) -> dict[str, Any] | None:
    """What ``AIMessageChunk``'s ``init_tool_calls`` makes of one fragment: its arguments object, or ``None``.

    ``init_tool_calls`` runs ``parse_partial_json``, which for a fragment that is not JSON retries ``json.loads``
    once per character; a streamed call's middle fragments (``ris", "un``) all take that path. Only a fragment
    whose first non-whitespace character is ``{`` can give an object: every string ``parse_partial_json`` tries is
    a prefix of the fragment (with newlines inside strings escaped) followed by closing brackets, so it starts
    with the fragment's first character, or with ``}``/``]`` when the prefix is empty. The others are answered
    without parsing; the rest are parsed exactly as langchain-core parses them.
    """
    if not args:
        return {}
    if args.lstrip(_JSON_WHITESPACE)[:1] != "{":
        return None
    try:
        parsed = parse_partial_json(args)
    except Exception:  # init_tool_calls treats any failure as an invalid call
        return None
    return parsed if isinstance(parsed, dict) else None


def _tool_chunk(
    text: str, additional_kwargs: dict[str, Any], parts: list[ToolCallChunk], metadata: dict[str, Any]
) -> AIMessageChunk:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for part in parts:
        args = _partial_arguments(part["args"] or "")
        if args is None:
            invalid.append(invalid_tool_call(name=part["name"], args=part["args"], id=part["id"], error=None))
        else:
            calls.append(tool_call(name=part["name"] or "", args=args, id=part["id"]))
    values: dict[str, Any] = {
        "content": text, "additional_kwargs": additional_kwargs, "response_metadata": metadata,
        "type": "AIMessageChunk", "name": None, "id": None, "tool_calls": calls, "invalid_tool_calls": invalid,
        "usage_metadata": None, "tool_call_chunks": parts, "chunk_position": None,
    }
    fields_set = {"content", "additional_kwargs", "tool_call_chunks", "response_metadata", "tool_calls",
                  "invalid_tool_calls"}
    return _construct(AIMessageChunk, values, fields_set, {})


def _generation_chunk(message: AIMessageChunk) -> ChatGenerationChunk:
    values: dict[str, Any] = {
        "text": message.text, "generation_info": None, "type": "ChatGenerationChunk", "message": message,
    }
    return _construct(ChatGenerationChunk, values, {"message", "text"}, None)


def _text_message(
    text: str, additional_kwargs: dict[str, Any], usage: UsageMetadata | None, metadata: dict[str, Any]
) -> AIMessage:
    values: dict[str, Any] = {
        "content": text, "additional_kwargs": additional_kwargs, "response_metadata": metadata, "type": "ai",
        "name": None, "id": None, "tool_calls": [], "invalid_tool_calls": [], "usage_metadata": usage,
    }
    fields_set = {"content", "additional_kwargs", "tool_calls", "invalid_tool_calls", "usage_metadata",
                  "response_metadata"}
    return _construct(AIMessage, values, fields_set, {})


def _generation(message: AIMessage, generation_info: dict[str, Any]) -> ChatGeneration:
    values: dict[str, Any] = {
        "text": message.text, "generation_info": generation_info, "type": "ChatGeneration", "message": message,
    }
    return _construct(ChatGeneration, values, {"message", "generation_info", "text"}, None)


def _same(trusted: Any, validated: Any) -> bool:
    return type(trusted) is type(validated) and trusted.__getstate__() == validated.__getstate__()


#: Tool-call fragments of each kind :func:`_partial_arguments` answers differently.
_SAMPLE_FRAGMENTS = ('{"a": [1, "x', 'ris", "b', "", "  {", '"}')


def _trusted_matches_validated() -> bool:
    """Whether the trusted builders build what the validated constructors build on this install."""
    usage = UsageMetadata(input_tokens=1, output_tokens=2, total_tokens=3)
    metadata = {"model_provider": "dashscope"}
    chunk = _text_chunk("a", {"reasoning_content": "b"}, dict(metadata))
    message = _text_message("a", {}, usage, dict(metadata))
    validated_chunk = AIMessageChunk(
        content="a", additional_kwargs={"reasoning_content": "b"}, tool_call_chunks=[], response_metadata=metadata
    )
    validated_message = AIMessage(
        content="a", additional_kwargs={}, tool_calls=[], invalid_tool_calls=[], usage_metadata=usage,
        response_metadata=metadata,
    )
    return (
        all(_tool_chunk_matches(args) for args in _SAMPLE_FRAGMENTS)
        and _same(chunk, validated_chunk)
        and _same(_generation_chunk(chunk), ChatGenerationChunk(message=validated_chunk))
        and _same(message, validated_message)
        and _same(_generation(message, {"finish_reason": "stop"}),
                  ChatGeneration(message=validated_message, generation_info={"finish_reason": "stop"}))
    )


def _tool_chunk_matches(args: str) -> bool:
    def parts() -> list[ToolCallChunk]:
        return [tool_call_chunk(name="f", args=args, id="c", index=0)]

    validated = AIMessageChunk(content="", additional_kwargs={}, response_metadata={}, tool_call_chunks=parts())
    return _same(_tool_chunk("", {}, parts(), {}), validated)


# -- stored signatures ---------------------------------------------------------------------------


def store_signatures(cls: type, names: tuple[str, ...]) -> None:
    """Give ``cls``'s own methods ``names`` a ``__signature__``: what ``inspect.signature`` computes, once."""
    for name in names:
        method = cls.__dict__[name]
        setattr(method, "__signature__", inspect.signature(method))  # noqa: B010  # a function attribute mypy won't allow


# -- invocation parameters -----------------------------------------------------------------------


def invocation_params(model: BaseChatModel, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """What ``BaseChatModel._get_invocation_params`` returns (``model.dict()``, ``stop``, then ``kwargs``), built
    directly (``dict()`` of ``BaseChatModel`` is ``_identifying_params`` plus ``_type``); ``None`` when
    ``type(model)`` overrides ``dict`` or ``asdict`` (the framework's path must then call it)."""
    cls, base = type(model), BaseChatModel
    if cls.dict is not base.dict or getattr(cls, "asdict", None) is not getattr(base, "asdict", None):
        return None
    params = dict(model._identifying_params)
    params["_type"] = model._llm_type
    params["stop"] = stop
    return {**params, **kwargs}
