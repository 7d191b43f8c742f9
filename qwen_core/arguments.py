"""Argument names and the one precedence rule for chat options, shared by the six adapter classes.

Precedence of a chat option (highest first), the same in LangChain and LlamaIndex, sync, async and streamed:

1. the call's keywords (``invoke(..., temperature=0.9)``, ``bind(...)``, ``chat(..., temperature=0.9)``), then
   the same key inside the call's ``extra_body``;
2. the instance's fields (``ChatQwen(temperature=0.5)``);
3. the instance's escape hatch (``model_kwargs`` / ``additional_kwargs``);
4. the service's defaults (nothing is sent).

A value of ``None`` means "not given" at every level. An escape-hatch or ``extra_body`` key that names a typed
option (``temperature``, ``enable_thinking``, ...) *is* that option: it takes part in the precedence and in the
local checks (:mod:`qwen_core.rules`) like a field would; other keys are sent as-is (compatible: top-level JSON
keys; native: ``parameters``).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol

from qwen_core.errors import InvalidRequestError, UnknownArgumentError

if TYPE_CHECKING:
    from qwen_core.lazy_client import ConnectionState

__all__ = [
    "ALIASES",
    "CHAT_OPTIONS",
    "REFUSED",
    "RESERVED_BODY_KEYS",
    "CallOptions",
    "HasChatOptions",
    "InstanceOptions",
    "call_options",
    "call_timeout",
    "check_arguments",
    "check_model_arguments",
    "instance_options",
    "model_argument_names",
    "split_pass_through",
    "unknown_argument",
]

#: The typed chat options: instance fields of both chat classes, overridable per call.
CHAT_OPTIONS: Final = (
    "temperature", "top_p", "top_k", "max_tokens", "seed", "stop", "n", "repetition_penalty", "presence_penalty",
    "enable_thinking", "thinking_budget", "enable_search", "search_options", "logprobs", "top_logprobs",
)
_CHAT_OPTION_SET: Final = frozenset(CHAT_OPTIONS)

#: Spellings users bring from ChatOpenAI, ChatTongyi, OpenAILike and the LlamaIndex DashScope LLM, accepted (in
#: constructors and, for request options, per call) with the same meaning as the name they map to.
ALIASES: Final[Mapping[str, str]] = MappingProxyType({
    "model_name": "model",
    "dashscope_api_key": "api_key",
    "api_base": "base_url",
    "request_timeout": "timeout",
    "max_completion_tokens": "max_tokens",
    "stop_sequences": "stop",
})

#: Spellings refused with a hint: the service has no such option, or the value would mean something else here.
REFUSED: Final[Mapping[str, str]] = MappingProxyType({
    "frequency_penalty": "DashScope has no frequency_penalty; use presence_penalty (-2 to 2) or repetition_penalty "
    "(above 0, 1.0 = none)",
    "openai_api_key": "this class talks to DashScope: pass api_key= (a DashScope key) or set DASHSCOPE_API_KEY",
    "openai_api_base": "pass base_url= (the DashScope service root or its .../compatible-mode/v1 URL)",
    "openai_organization": "DashScope has no organizations; use workspace= (sent as X-DashScope-WorkSpace)",
    "openai_proxy": "pass proxy=",
})

#: Body keys the library builds itself: an escape hatch may not set them.
RESERVED_BODY_KEYS: Final = frozenset({"model", "messages", "input", "parameters", "stream", "stream_options"})


def unknown_argument(name: str, valid: Collection[str], owner: str, escape: str | None) -> UnknownArgumentError:
    """The error for an argument ``owner`` does not take: a hint, or the nearest valid name."""
    hint = REFUSED.get(name)
    if hint is None:
        nearest = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
        public = sorted(item for item in valid if not item.startswith("_"))
        hint = f"did you mean {nearest[0]!r}?" if nearest else f"valid arguments: {', '.join(public)}"
    if escape:
        hint += f" (options the library does not model go in {escape}={{...}})"
    return UnknownArgumentError(f"{owner} got an unexpected argument {name!r}; {hint}")


def check_arguments(given: Iterable[str], valid: Collection[str], owner: str, escape: str | None) -> None:
    """Raise :class:`UnknownArgumentError` for the first name in ``given`` that is not in ``valid``."""
    for name in given:
        if name not in valid:
            raise unknown_argument(name, valid, owner, escape)


def check_model_arguments(cls: type, data: Any) -> Any:
    """The body of an adapter model's ``mode="before"`` validator: ``data``, after checking that a dict of keywords
    names only what ``cls`` takes (its fields, their aliases, ``cls.framework_keywords``); raises otherwise."""
    if isinstance(data, dict):
        valid = model_argument_names(cls) | getattr(cls, "framework_keywords", frozenset())
        check_arguments(data, valid, cls.__name__, getattr(cls, "escape_hatch", None))
    return data


@cache
def model_argument_names(cls: type) -> frozenset[str]:
    """Every keyword a pydantic model class accepts: its field names and their aliases."""
    names: set[str] = set()
    for name, info in cls.model_fields.items():  # type: ignore[attr-defined]  # a pydantic model class
        names.add(name)
        for alias in (info.alias, info.validation_alias):
            choices = getattr(alias, "choices", None)  # pydantic's AliasChoices
            if isinstance(alias, str):
                names.add(alias)
            elif choices is not None:
                names.update(choice for choice in choices if isinstance(choice, str))
    return frozenset(names)


def split_pass_through(values: Mapping[str, Any], source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An escape-hatch dict as (typed chat options, raw body keys); ``None`` values are dropped."""
    typed: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for name, value in values.items():
        canonical = ALIASES.get(name, name)
        if canonical in _CHAT_OPTION_SET:
            if value is not None:
                typed[canonical] = value
        elif name in RESERVED_BODY_KEYS:
            raise InvalidRequestError(f"{source} cannot set {name!r}: the library builds it from its own arguments")
        elif name in REFUSED:
            raise InvalidRequestError(f"{source} has {name!r}: {REFUSED[name]}")
        else:
            raw[name] = value
    return typed, raw


def call_timeout(value: Any) -> float | None:
    """A per-call ``timeout=``: this request's read timeout in seconds (``None``: the instance's)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidRequestError(f"a per-call timeout is a positive number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class InstanceOptions:
    """An instance's chat options after precedence (fields over the escape hatch), computed once per field set."""

    options: Mapping[str, Any]
    extra: Mapping[str, Any]

    @classmethod
    def of(cls, fields: Mapping[str, Any], pass_through: Mapping[str, Any], source: str) -> InstanceOptions:
        options, extra = split_pass_through(pass_through, source)
        options.update((name, value) for name, value in fields.items() if value is not None)
        return cls(MappingProxyType(options), MappingProxyType(extra))


class HasChatOptions(Protocol):
    """An adapter's chat model: chat option fields, an escape hatch field, and a connection state to cache in."""

    escape_hatch: ClassVar[str | None]

    def _connection(self) -> ConnectionState: ...


def instance_options(owner: HasChatOptions, names: Iterable[str]) -> InstanceOptions:
    """``owner``'s options: its fields ``names`` over its escape hatch (the field named ``owner.escape_hatch``).

    Computed once per field set: kept in the owner's connection state, which a field assignment or a copy empties
    (:mod:`qwen_core.lazy_client`).
    """
    state = owner._connection()
    options: InstanceOptions | None = state.request_defaults
    if options is None:
        escape = owner.escape_hatch or ""
        fields = {name: getattr(owner, name) for name in names}
        options = state.request_defaults = InstanceOptions.of(fields, getattr(owner, escape, None) or {}, escape)
    return options


@dataclass(slots=True)
class CallOptions:
    """One call's options after precedence: typed options, raw body keys, headers, and the keywords left over
    for the adapter to convert (tools, tool choice, response format, model, timeout, ...)."""

    options: dict[str, Any]
    extra: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    rest: dict[str, Any] = field(default_factory=dict)


def call_options(instance: InstanceOptions, kwargs: Mapping[str, Any]) -> CallOptions:
    """Apply one call's keywords over ``instance``; ``extra_body`` and ``extra_headers`` are taken apart here."""
    result = CallOptions(dict(instance.options), dict(instance.extra))
    if not kwargs:
        return result
    extra_body = kwargs.get("extra_body")
    if extra_body:
        typed, raw = split_pass_through(extra_body, "extra_body")
        result.options.update(typed)
        result.extra.update(raw)
    for name, value in kwargs.items():
        canonical = ALIASES.get(name, name)
        if canonical in _CHAT_OPTION_SET:
            if value is not None:
                result.options[canonical] = value
        elif name == "extra_headers":
            result.headers.update(value or {})
        elif name != "extra_body":
            result.rest[canonical] = value
    return result
