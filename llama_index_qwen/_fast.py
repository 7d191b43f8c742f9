"""Every speed shortcut of the LlamaIndex adapter, each with its guard; the rest of the package reads as plain code.

1. **Direct assembly of response objects** (:func:`text_block` ... :func:`completion_response`): a streamed call
   builds a ``ChatResponse``, its message and blocks per chunk. Pydantic's validated constructors copy values we
   have just built ourselves (``ChatMessage`` also runs its Python ``__init__`` and ``images`` validator), so these
   are assembled directly. Safe because every value given is already of the field's validated type and freshly
   built for this one object (blocks are validated ``TextBlock``/``ThinkingBlock``/``ToolCallBlock`` instances,
   which validation keeps as-is; the dicts and lists are new), ``additional_kwargs["images"]`` (the only input
   ``ChatMessage``'s validator acts on) is never set, and ``__dict__`` lists every field in declaration order,
   exactly as validation leaves it. Guard: on first use :func:`assembly_allowed` checks that the models still
   have exactly the fields and validators this relies on (:data:`ASSEMBLED_MODELS`); if LlamaIndex changes them,
   the validated constructors are used. The cost shows in ``benchmarks/run.sh --only stream`` (Qwen/LlamaIndex
   rows) and ``benchmarks/run.sh --profile stream:Qwen-compat``.
2. **Stored signatures** (:func:`store_span_signatures`): LlamaIndex's dispatcher runs
   ``inspect.signature(method).bind(*args, **kwargs)`` on every call of a spanned method (``chat``, ``achat``,
   ``stream_chat``, ``complete``, the embedding methods, ...). ``inspect`` returns a function's ``__signature__``
   when it has one, so storing what it computes, once, gives the same answer without recomputing it. Guard: only
   our own function objects are touched (each decorator makes a new wrapper function per method); a subclass
   overriding a method gets a new, unstored one. Measured by ``benchmarks/run.sh --only call,concurrency``.
3. **Private attributes read directly** (:func:`private_attributes`): pydantic resolves ``self._name`` in
   ``__getattr__`` only after the normal lookup failed; the dict behind it is the same storage.
4. **The callbacks' payload memoised** (:func:`memoised_payload`), while the facts it is computed from are equal.

``tests/llama_index`` proves each one builds what llama-index-core's own constructors build (field for field,
dumps, copies), and that the fallbacks do too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import FunctionType
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

__all__ = [
    "ASSEMBLED_MODELS",
    "SPAN_MARK",
    "assembly_allowed",
    "assistant_message",
    "chat_response",
    "completion_response",
    "memoised_payload",
    "private_attributes",
    "spanned_functions",
    "store_span_signatures",
    "text_block",
    "thinking_block",
    "tool_call_block",
]

# -- 1. direct assembly of response objects ------------------------------------------------------------------

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

#: Whether the direct assembly is used; decided by :func:`assembly_allowed` on first use (nothing runs at import).
_ASSEMBLE: bool | None = None


def _assemblable(model: type[Any], fields: tuple[str, ...], validators: frozenset[str]) -> bool:
    decorators = model.__pydantic_decorators__
    found = {*decorators.validators, *decorators.field_validators, *decorators.root_validators,
             *decorators.model_validators}
    return (
        tuple(model.model_fields) == fields and found == validators and not model.__private_attributes__
        and model.model_config.get("extra") in (None, "ignore") and not model.model_config.get("frozen")
    )


def assembly_allowed() -> bool:
    """Whether every model in :data:`ASSEMBLED_MODELS` still has the fields and validators assembly relies on."""
    global _ASSEMBLE
    if _ASSEMBLE is None:
        _ASSEMBLE = all(_assemblable(model, *spec) for model, spec in ASSEMBLED_MODELS.items())
    return _ASSEMBLE


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
    if not (_ASSEMBLE or assembly_allowed()):
        return TextBlock(text=text)
    return _assemble(TextBlock, {"block_type": "text", "text": text}, {"text"})  # type: ignore[no-any-return]


def thinking_block(content: str, num_tokens: int | None) -> ThinkingBlock:
    """``ThinkingBlock(content=content, num_tokens=num_tokens)``."""
    if not (_ASSEMBLE or assembly_allowed()):
        return ThinkingBlock(content=content, num_tokens=num_tokens)
    return _assemble(  # type: ignore[no-any-return]
        ThinkingBlock,
        {"block_type": "thinking", "content": content, "num_tokens": num_tokens, "additional_information": {}},
        {"content", "num_tokens"},
    )


def tool_call_block(call_id: str, name: str, kwargs: dict[str, Any] | str) -> ToolCallBlock:
    """``ToolCallBlock(tool_call_id=..., tool_name=..., tool_kwargs=kwargs)``; takes ownership of ``kwargs``."""
    if not (_ASSEMBLE or assembly_allowed()):
        return ToolCallBlock(tool_call_id=call_id, tool_name=name, tool_kwargs=kwargs)
    return _assemble(  # type: ignore[no-any-return]
        ToolCallBlock,
        {"block_type": "tool_call", "tool_call_id": call_id, "tool_name": name, "tool_kwargs": kwargs},
        {"tool_call_id", "tool_name", "tool_kwargs"},
    )


def assistant_message(blocks: list[ContentBlock], extra: dict[str, Any]) -> ChatMessage:
    """``ChatMessage(role=ASSISTANT, blocks=blocks, additional_kwargs=extra)``; takes ownership of both."""
    if not (_ASSEMBLE or assembly_allowed()):
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
    if not (_ASSEMBLE or assembly_allowed()):
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
    if not (_ASSEMBLE or assembly_allowed()):
        return CompletionResponse(text=text, delta=delta, raw=raw, additional_kwargs=extra)
    return _assemble(  # type: ignore[no-any-return]
        CompletionResponse,
        {"text": text, "additional_kwargs": extra, "raw": raw, "logprobs": None, "delta": delta},
        {"text", "delta", "raw", "additional_kwargs"},
    )


# -- 2. stored signatures ------------------------------------------------------------------------------------------

#: The attribute LlamaIndex's ``dispatcher.span`` sets on what it decorates.
SPAN_MARK = "__dispatcher_span_decorated__"


def spanned_functions(cls: type[Any]) -> dict[str, FunctionType]:
    """The plain functions behind the span wrappers defined on ``cls`` itself, by method name."""
    found = {}
    for name, attribute in vars(cls).items():
        function = getattr(attribute, "__wrapped__", None)
        if getattr(attribute, SPAN_MARK, False) and isinstance(function, FunctionType):
            found[name] = function
    return found


def store_span_signatures(cls: type[Any]) -> None:
    """Store on each spanned function of ``cls`` the signature ``inspect`` computes for it."""
    for function in spanned_functions(cls).values():
        function.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]


# -- 3. private attributes and 4. the memoised payload -----------------------------------------------------------


def private_attributes(model: Any) -> dict[str, Any]:
    """``model``'s private attributes (what ``model._name`` reads and ``model._name = ...`` writes)."""
    return model.__pydantic_private__  # type: ignore[no-any-return]  # set by pydantic before __init__ runs


def memoised_payload(llm: Any, key: tuple[Any, ...], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()``, kept in ``llm``'s ``_payload`` private attribute while ``key`` is equal; a new dict each call.

    The payload's values must be immutable and determined by ``key``.
    """
    private = private_attributes(llm)
    cached = private["_payload"]
    if cached is None or cached[0] != key:
        cached = private["_payload"] = (key, compute())
    return dict(cached[1])
