"""The one policy for calls that need a forced tool call or a schema-shaped answer from a model that would think.

While thinking, the service refuses a forced ``tool_choice`` (``"required"`` or a named function) and the JSON
response formats (docs/protocol.md#q10, #s2-3). :func:`plan_forced_output` decides, per request, what is sent instead;
:class:`GuidedCall` runs the "guided" path (validate, correct, retry, give up with a typed error) as pure steps the
sync and async clients share. Both adapters get the policy through :class:`~qwen_core.client.QwenClient`.

Policy, per model family (catalogue ``thinking`` mode; "forced" = ``tool_choice="required"`` or a named tool,
"format" = ``response_format`` ``json_object`` / ``json_schema``):

======================================================  ==========================  ===============================
model family                                            forced tool                 format
======================================================  ==========================  ===============================
no thinking (qwen-max, qwen3-max, qwen3-coder-plus,     sent as asked               native where the catalogue lists
qwen-vl-*, \\*-instruct-2507)                                                        it, else guided
hybrid, caller did not enable thinking (qwen-plus,      ``enable_thinking=False``   ``enable_thinking=False`` sent;
qwen-turbo, qwen-flash, qwen3-vl-\\*, qwen3.5-plus,      sent for that call, then    native where listed, else guided
qwen3 open models, ...)                                 sent as asked
hybrid with the caller's ``enable_thinking=True``       guided                      guided
thinking-only (qwq-plus, qvq-max, \\*-thinking\\*)        guided                      guided
no tool calling (qwen-long, qwen-vl-\\*, qvq-max)        guided, JSON answer turned  as above
                                                        into the tool call
======================================================  ==========================  ===============================

Guided means: nothing the service refuses is sent. The tool is offered with ``tool_choice="auto"`` (only the named
tool when one was forced) or the schema is given as instructions in the system message; thinking calls stream as
the service requires; the answer is checked (a call to an allowed tool whose arguments match its schema, or a JSON
object matching the schema; an answer with tool calls also satisfies a format request, as in an agent loop); on a
miss the call is retried with a corrective user message, at most :data:`MAX_ATTEMPTS` calls in all, then
:class:`~qwen_core.errors.ModelNonComplianceError` is raised carrying the last raw answer. Reasoning is kept in
the result. A compliant JSON answer's text is the JSON itself (fences and surrounding prose dropped).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from qwen_core.catalogue import ModelInfo
from qwen_core.errors import ModelNonComplianceError
from qwen_core.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    Choice,
    Message,
    NamedToolChoice,
    ResponseFormat,
    ToolCall,
    ToolCallChunk,
    ToolSpec,
)

__all__ = ["MAX_ATTEMPTS", "ForcedOutputPlan", "GuidedCall", "plan_forced_output", "result_deltas"]

#: Calls made for one guided request: the first one and two corrective retries.
MAX_ATTEMPTS: Final = 3

Expect = Literal["tool", "json"]
_FENCE: Final = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ForcedOutputPlan:
    """What to send for one request, and whether the answer must be checked (``guided``).

    ``tools`` are the acceptable tools (``expect == "tool"``); ``schema`` the JSON schema of a format request;
    ``as_tool_call`` is set when a model without tool calling answers in JSON that becomes the tool call.
    """

    request: ChatRequest
    guided: bool = False
    expect: Expect | None = None
    tools: tuple[ToolSpec, ...] = ()
    schema: Mapping[str, Any] | None = None
    as_tool_call: bool = False


def plan_forced_output(request: ChatRequest, info: ModelInfo) -> ForcedOutputPlan:
    """Apply the policy (module docstring) to ``request`` for ``info``'s model."""
    forced_tool = _forces_tool(request)
    fmt = request.response_format
    forced_format = fmt is not None and fmt.type != "text"
    if not (forced_tool or forced_format):
        return ForcedOutputPlan(request)
    thinking = _thinks(request, info)
    if thinking and info.known and info.thinking == "hybrid" and request.enable_thinking is None:
        request, thinking = replace(request, enable_thinking=False), False  # hybrid: thinking off for this call
    if forced_tool:
        if thinking or (info.known and not info.supports_tools):
            return _guided_tool(request, info)
        return ForcedOutputPlan(request)
    assert fmt is not None
    if thinking or not _native_format(fmt, info):
        return _guided_format(request, fmt)
    return ForcedOutputPlan(request)


def _forces_tool(request: ChatRequest) -> bool:
    choice = request.tool_choice
    return bool(request.tools) and (choice == "required" or isinstance(choice, NamedToolChoice))


def _thinks(request: ChatRequest, info: ModelInfo) -> bool:
    return info.thinking_enabled(request.enable_thinking) if info.known else bool(request.enable_thinking)


def _native_format(fmt: ResponseFormat, info: ModelInfo) -> bool:
    if fmt.type == "json_schema":
        return info.supports_json_schema
    return info.supports_json_object or not info.known


def _guided_tool(request: ChatRequest, info: ModelInfo) -> ForcedOutputPlan:
    choice = request.tool_choice
    tools = tuple(t for t in request.tools if not isinstance(choice, NamedToolChoice) or t.name == choice.name)
    names = ", ".join(f"`{t.name}`" for t in tools)
    if info.known and not info.supports_tools:
        text = (f"Answer with only a JSON object, no other text: {_tool_envelope(tools)}"
                f"\nThe tools:\n{_tool_listing(tools)}")
        sent = replace(request, tools=(), tool_choice=None, parallel_tool_calls=None,
                       messages=_with_instructions(request.messages, text))
        return ForcedOutputPlan(sent, True, "tool", tools, as_tool_call=True)
    text = f"You must answer by calling the function {names}." if len(tools) == 1 else \
        f"You must answer by calling one of the functions {names}."
    sent = replace(request, tools=tools, tool_choice="auto", messages=_with_instructions(request.messages, text))
    return ForcedOutputPlan(sent, True, "tool", tools)


def _guided_format(request: ChatRequest, fmt: ResponseFormat) -> ForcedOutputPlan:
    schema = fmt.schema if fmt.type == "json_schema" else None
    sent = replace(request, response_format=None,
                   messages=_with_instructions(request.messages, _json_instructions(schema)))
    return ForcedOutputPlan(sent, True, "json", schema=schema)


def _json_instructions(schema: Mapping[str, Any] | None) -> str:
    if schema is None:
        return "Answer with only a JSON object, no other text."
    return ("Answer with only a JSON object that matches this JSON schema, no other text:\n```json\n"
            f"{json.dumps(schema, ensure_ascii=False)}\n```")


def _tool_envelope(tools: Sequence[ToolSpec]) -> str:
    if len(tools) == 1:
        return f"the arguments of the function `{tools[0].name}`, matching its JSON schema."
    return '{"name": <one of the function names>, "arguments": <its arguments, matching its JSON schema>}.'


def _tool_listing(tools: Sequence[ToolSpec]) -> str:
    return "\n".join(
        f"- {t.name}: {t.description}\n```json\n{json.dumps(dict(t.parameters), ensure_ascii=False)}\n```"
        for t in tools
    )


def _with_instructions(messages: Sequence[Message], text: str) -> tuple[Message, ...]:
    """``messages`` with ``text`` appended to the leading system message (a new one when there is none)."""
    if messages and messages[0].role == "system" and isinstance(messages[0].content, str):
        first = messages[0]
        merged = f"{first.content}\n\n{text}" if first.content else text
        return (replace(first, content=merged), *messages[1:])
    return (Message("system", text), *messages)


class GuidedCall:
    """The guided path of one request: which request to send next, and whether an answer complies.

    Pure state shared by the sync and async clients::

        guide = GuidedCall(plan, model)
        while (request := guide.next_request()) is not None:
            done = guide.accept(send(request))
            if done is not None:
                return done
        raise guide.failure()
    """

    def __init__(self, plan: ForcedOutputPlan, model: str) -> None:
        self.plan = plan
        self.model = model
        self.attempts = 0
        self._request: ChatRequest | None = plan.request
        self._last: ChatResult | None = None
        self._problem = ""

    def next_request(self) -> ChatRequest | None:
        """The request to send now, or ``None`` when the attempts are used up."""
        if self.attempts >= MAX_ATTEMPTS or self._request is None:
            return None
        self.attempts += 1
        return self._request

    def accept(self, result: ChatResult) -> ChatResult | None:
        """The final result when ``result`` complies; otherwise ``None`` (the next request carries a correction)."""
        self._last = result
        problem, final = _check(self.plan, result)
        if not problem:
            return final
        self._problem = problem
        assert self._request is not None
        self._request = replace(self._request, messages=_corrected(self._request.messages, result, problem))
        return None

    def failure(self) -> ModelNonComplianceError:
        """The error for a model that never complied (carries the last raw answer, reasoning included)."""
        last = self._last or ChatResult(choices=())
        wanted = "a tool call" if self.plan.expect == "tool" else "a JSON answer"
        return ModelNonComplianceError(
            f"model {self.model!r} did not comply: {wanted} was required but after {self.attempts} attempts the "
            f"answer still failed ({self._problem}). The last raw answer is on the error's .result; try another "
            "model, or a hybrid model with thinking off",
            result=last, attempts=self.attempts, request_id=last.request_id, model=self.model,
        )


def _check(plan: ForcedOutputPlan, result: ChatResult) -> tuple[str, ChatResult]:
    """``("", final result)`` when ``result`` complies, else ``(what is wrong, result)``."""
    if not result.choices:
        return "the answer was empty", result
    first = result.choices[0]
    if plan.expect == "tool" and not plan.as_tool_call:
        return _check_tool_calls(plan.tools, first.tool_calls), result
    if plan.expect == "json" and first.tool_calls:
        return "", result  # tools were offered too: a call is a legitimate step before the final answer
    value, problem = _extract_json(first.text)
    if problem:
        return problem, result
    if plan.as_tool_call:
        return _as_tool_call(plan.tools, value, result)
    problems = schema_problems(value, plan.schema) if plan.schema is not None else []
    if problems:
        return "; ".join(problems[:3]), result
    text = json.dumps(value, ensure_ascii=False)
    return "", _with_first(result, replace(first, text=text))


def _check_tool_calls(tools: Sequence[ToolSpec], calls: Sequence[ToolCall]) -> str:
    if not calls:
        return "the answer called no function"
    by_name = {t.name: t for t in tools}
    for call in calls:
        tool = by_name.get(call.name)
        if tool is None:
            return f"the answer called {call.name!r}, which is not among {sorted(by_name)}"
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError:
            return f"the arguments of {call.name!r} are not valid JSON"
        problems = schema_problems(arguments, tool.parameters)
        if problems:
            return f"the arguments of {call.name!r}: " + "; ".join(problems[:3])
    return ""


def _as_tool_call(tools: Sequence[ToolSpec], value: Any, result: ChatResult) -> tuple[str, ChatResult]:
    if len(tools) == 1:
        name, arguments = tools[0].name, value
    elif isinstance(value.get("name"), str) and isinstance(value.get("arguments"), dict):
        name, arguments = value["name"], value["arguments"]
    else:
        return 'the answer is not {"name": ..., "arguments": {...}}', result
    call = ToolCall(f"call_{result.request_id or 'guided'}_0", name, json.dumps(arguments, ensure_ascii=False))
    problem = _check_tool_calls(tools, (call,))
    if problem:
        return problem, result
    first = replace(result.choices[0], text="", tool_calls=(call,), finish_reason="tool_calls")
    return "", _with_first(result, first)


def _with_first(result: ChatResult, first: Choice) -> ChatResult:
    return replace(result, choices=(first, *result.choices[1:]))


def _extract_json(text: str) -> tuple[Any, str]:
    """The JSON object in ``text`` (whole, fenced, or the outermost braces) and ``""``, or ``(None, problem)``."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    candidates = [fenced.group(1).strip()] if fenced else [stripped]
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start: end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value, ""
    return None, "the answer is not a JSON object" if stripped else "the answer was empty"


_TYPES: Final[Mapping[str, tuple[type, ...]]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,), "number": (int, float),
    "boolean": (bool,), "null": (type(None),),
}


def schema_problems(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """What makes ``value`` invalid against the common subset of JSON schema (type, required, properties,
    items, enum, anyOf/oneOf); ``$ref`` and other keywords are not checked. Empty when it fits."""
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        shapes = [o for o in options if isinstance(o, Mapping)] if isinstance(options, list) else []
        if shapes and all(schema_problems(value, o, path) for o in shapes):
            return [f"{path} matches none of the allowed shapes"]
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return [f"{path} must be one of {schema['enum']}"]
    kinds = schema.get("type")
    names = [kinds] if isinstance(kinds, str) else list(kinds) if isinstance(kinds, list) else []
    if names and not any(_is_type(value, n) for n in names):
        return [f"{path} must be of type {'/'.join(names)}"]
    if isinstance(value, dict):
        return _object_problems(value, schema, path)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [p for i, item in enumerate(value) for p in schema_problems(item, schema["items"], f"{path}[{i}]")]
    return []


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES.get(name, (object,)))


def _object_problems(value: Mapping[str, Any], schema: Mapping[str, Any], path: str) -> list[str]:
    required = schema.get("required")
    problems = [f"{path}.{name} is missing" for name in required or () if name not in value]
    properties = schema.get("properties")
    for name, sub in properties.items() if isinstance(properties, Mapping) else ():
        if name in value and isinstance(sub, Mapping):
            problems.extend(schema_problems(value[name], sub, f"{path}.{name}"))
    return problems


def _corrected(messages: Sequence[Message], result: ChatResult, problem: str) -> tuple[Message, ...]:
    """``messages`` plus the non-compliant answer (when it has text) and a corrective user message."""
    answer = result.text.strip()
    added = [Message("assistant", answer)] if answer else []
    added.append(Message("user", f"Your last answer did not follow the instructions: {problem}. Answer again, "
                                 "following the instructions exactly."))
    return (*messages, *added)


def result_deltas(result: ChatResult) -> list[ChatDelta]:
    """A complete result as stream deltas (reasoning, text, whole tool calls, then finish and usage per choice)."""
    deltas: list[ChatDelta] = []
    for choice in result.choices:
        if choice.reasoning:
            deltas.append(ChatDelta(index=choice.index, reasoning=choice.reasoning, role="assistant"))
        if choice.text:
            deltas.append(ChatDelta(index=choice.index, text=choice.text, logprobs=choice.logprobs))
        if choice.tool_calls:
            chunks = tuple(ToolCallChunk(i, c.id, c.name, c.arguments) for i, c in enumerate(choice.tool_calls))
            deltas.append(ChatDelta(index=choice.index, tool_call_chunks=chunks))
        deltas.append(ChatDelta(index=choice.index, finish_reason=choice.finish_reason or "stop"))
    deltas.append(ChatDelta(usage=result.usage, request_id=result.request_id, model=result.model,
                            search_info=result.search_info))
    return deltas
