"""Mutation fuzzing of the response parsers, shared by the property-based tests and ``tests/fuzz_integrity.py``.

A mutation takes a real capture body (tests/data/captures, copies of the real service's answers), decodes its JSON
(for SSE bodies: one event's data), replaces, deletes or retypes one random node, and encodes it again. Every
parser of both protocols must turn the result into a well-formed result or raise a :class:`QwenError`; anything
else (``AttributeError``, ``KeyError``, ``TypeError``, a result holding a wrong type) is a crash.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields, is_dataclass
from typing import Any

from qwen_core.errors import QwenError
from qwen_core.protocols.compatible import CompatibleProtocol
from qwen_core.protocols.native import NativeProtocol
from qwen_core.stream_parser import StreamParser
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    Choice,
    EmbeddingResult,
    Message,
    RerankHit,
    RerankResult,
    ToolCall,
    Usage,
)
from tests._support.constants import CAPTURES

PROTOCOLS = (NativeProtocol(), CompatibleProtocol())

#: Values a mutation puts in place of a node: every JSON type, edge numbers, and shapes seen elsewhere in answers.
REPLACEMENTS: tuple[Any, ...] = (
    None, "", "x", "null", 0, 1, -1, 2**70, 1.5, -0.0, True, False, [], {}, ["x"], [None], [1, 2], {"a": 1},
    {"text": 5}, [{"text": None}], {"index": "0"}, "\ud800", "\x00",
)


#: Compatible-mode answers as the protocol notes document them (docs/protocol.md#s4-2 to #s4-4, #s5; the captures are
#: all native).
DOCUMENTED_BODIES: dict[str, bytes] = {
    "doc-compat-chat": (
        b'{"id":"chatcmpl-81951b98","object":"chat.completion","created":1726127645,"model":"qwen-plus",'
        b'"system_fingerprint":null,"choices":[{"index":0,"finish_reason":"tool_calls","logprobs":null,'
        b'"message":{"role":"assistant","content":"","reasoning_content":"hmm","tool_calls":[{"id":"call_1",'
        b'"type":"function","index":0,"function":{"name":"get_weather","arguments":"{\\"city\\": \\"Paris\\"}"}}]}}],'
        b'"usage":{"prompt_tokens":3019,"completion_tokens":104,"total_tokens":3123,'
        b'"prompt_tokens_details":{"cached_tokens":2048},"completion_tokens_details":{"reasoning_tokens":5}}}'
    ),
    "doc-compat-stream": (
        b'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"","role":"assistant"},'
        b'"finish_reason":null}],"model":"qwen-plus"}\n\n'
        b'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Let"},'
        b'"finish_reason":null}]}\n\n'
        b'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1",'
        b'"type":"function","function":{"name":"f","arguments":"{\\"a\\":"}}]},"finish_reason":null}]}\n\n'
        b'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"",'
        b'"type":"function","function":{"arguments":" 1}"}}]},"finish_reason":null,'
        b'"logprobs":{"content":[{"token":"x","logprob":-0.1}]}}]}\n\n'
        b'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
        b'data: {"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":22,"completion_tokens":17,'
        b'"total_tokens":39,"completion_tokens_details":null,"prompt_tokens_details":{"cached_tokens":0}}}\n\n'
        b"data: [DONE]\n\n"
    ),
    "doc-compat-error": (
        b'{"error":{"code":"invalid_parameter_error","param":null,"message":"<400> bad","type":'
        b'"invalid_request_error"},"id":"chatcmpl-07df985b","request_id":"07df985b"}'
    ),
    "doc-compat-embedding": (
        b'{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-0.25]},'
        b'{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"text-embedding-v4",'
        b'"usage":{"prompt_tokens":4,"total_tokens":4},"id":"e-1"}'
    ),
    "doc-native-rerank": (
        b'{"output":{"results":[{"index":0,"relevance_score":0.93,"document":{"text":"doc a"}},'
        b'{"index":2,"relevance_score":0.34}]},"usage":{"total_tokens":79},"request_id":"r-1"}'
    ),
}


def capture_bodies() -> dict[str, bytes]:
    """Every recorded response body by capture name, and the documented compatible-mode shapes."""
    bodies = {
        path.name.removesuffix(".response.body.txt"): path.read_bytes()
        for path in sorted(CAPTURES.glob("*.response.body.txt"))
    }
    return {**bodies, **DOCUMENTED_BODIES}


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def mutate_json(value: Any, rng: random.Random) -> Any:
    """``value`` with one random node replaced, deleted, or wrapped (a new object; ``value`` is untouched)."""
    value = json.loads(json.dumps(value))
    path = rng.choice(list(_nodes(value)))
    if not path:
        return rng.choice(REPLACEMENTS)
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    action = rng.random()
    if action < 0.2 and isinstance(parent, dict):
        del parent[key]
    elif action < 0.3:
        parent[key] = [parent[key]]
    else:
        parent[key] = rng.choice(REPLACEMENTS)
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def mutate_body(body: bytes, rng: random.Random) -> bytes:
    """A mutated copy of one capture body: its JSON mutated, or for an SSE body one event's data; sometimes bytes."""
    if rng.random() < 0.1:
        return _mutate_bytes(body, rng)
    text = body.decode("utf-8-sig")
    if not text.lstrip().startswith("{"):
        lines = text.split("\n")
        data_lines = [i for i, line in enumerate(lines) if line.startswith("data:") and "{" in line]
        if not data_lines:
            return body
        i = rng.choice(data_lines)
        raw = lines[i][5:].strip()
        lines[i] = "data:" + _dumps(mutate_json(json.loads(raw), rng))
        return "\n".join(lines).encode("utf-8", errors="surrogatepass")
    return _dumps(mutate_json(json.loads(text), rng)).encode("utf-8", errors="surrogatepass")


def _mutate_bytes(body: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(body) + 1)
    choice = rng.random()
    if choice < 0.4:
        return body[:at]  # truncated
    if choice < 0.7:
        return body[:at] + bytes([rng.randrange(256)]) + body[at + 1:]
    return body[:at] + b"\n" + body[at:]


# -- the parsers under test -------------------------------------------------------------------------------------


def parse_everything(body: bytes) -> list[str]:
    """Feed ``body`` to every parser of both protocols; the untyped failures (an empty list when there are none)."""
    failures: list[str] = []
    for protocol in PROTOCOLS:
        for name, parse in _parsers(protocol):
            try:
                check_well_formed(parse(body))
            except QwenError:
                pass
            except Exception as exc:
                failures.append(f"{protocol.name}.{name}: {type(exc).__name__}: {exc}")
    return failures


def _parsers(protocol: Any) -> list[tuple[str, Callable[[bytes], Any]]]:
    return [
        ("parse_chat", protocol.parse_chat),
        ("parse_embedding", protocol.parse_embedding),
        ("parse_rerank", protocol.parse_rerank),
        ("parse_error", lambda body: protocol.parse_error(400, body, {})),
        ("stream", lambda body: _stream(protocol, body)),
    ]


def _stream(protocol: Any, body: bytes) -> ChatResult:
    parser = StreamParser(protocol)
    accumulator = StreamAccumulator()
    try:
        for delta in parser.feed(body):
            check_well_formed(delta)
            accumulator.add(delta)
        for delta in parser.flush():
            check_well_formed(delta)
            accumulator.add(delta)
    except QwenError as error:
        partial = getattr(error, "partial", None)
        if partial is not None:
            check_well_formed(partial)
        raise
    return accumulator.result()


# -- well-formedness ---------------------------------------------------------------------------------------------

_FIELD_TYPES: dict[type, dict[str, tuple[type, ...]]] = {
    ChatResult: {"choices": (tuple,), "usage": (Usage, type(None)), "request_id": (str, type(None)),
                 "model": (str, type(None)), "search_info": (dict, type(None))},
    Choice: {"index": (int,), "text": (str,), "reasoning": (str,), "tool_calls": (tuple,),
             "finish_reason": (str, type(None)), "logprobs": (tuple, list, type(None))},
    ToolCall: {"id": (str,), "name": (str,), "arguments": (str,), "index": (int,)},
    Usage: {"input_tokens": (int,), "output_tokens": (int,), "total_tokens": (int,),
            "cached_tokens": (int, type(None)), "reasoning_tokens": (int, type(None)),
            "image_tokens": (int, type(None)), "raw": (dict,)},
    ChatDelta: {"index": (int,), "text": (str,), "reasoning": (str,), "tool_call_chunks": (tuple,),
                "finish_reason": (str, type(None)), "usage": (Usage, type(None)), "request_id": (str, type(None)),
                "model": (str, type(None)), "logprobs": (tuple, list, type(None)), "search_info": (dict, type(None)),
                "role": (str, type(None))},
    EmbeddingResult: {"vectors": (tuple,), "total_tokens": (int,), "request_id": (str, type(None))},
    RerankResult: {"hits": (tuple,), "total_tokens": (int,), "request_id": (str, type(None))},
    RerankHit: {"index": (int,), "relevance_score": (float,), "document": (str, type(None))},
}


class MalformedResult(AssertionError):
    """A parser returned a result holding a value of the wrong type."""


def check_well_formed(value: Any) -> None:
    """Raise :class:`MalformedResult` when a result (or anything inside it) holds a wrong type."""
    if isinstance(value, (list, tuple)):
        for item in value:
            check_well_formed(item)
        return
    if not is_dataclass(value) or isinstance(value, type):
        return
    expected = _FIELD_TYPES.get(type(value), {})
    for field in fields(value):
        item = getattr(value, field.name)
        allowed = expected.get(field.name)
        if allowed is not None and (not isinstance(item, allowed) or (isinstance(item, bool) and bool not in allowed)):
            raise MalformedResult(f"{type(value).__name__}.{field.name} is {item!r}")
        if field.name in ("choices", "tool_calls", "tool_call_chunks", "hits", "usage"):
            check_well_formed(item)
        if field.name == "logprobs" and item is not None and not all(isinstance(i, dict) for i in item):
            raise MalformedResult(f"{type(value).__name__}.logprobs holds a non-object: {item!r}")
    if isinstance(value, EmbeddingResult):
        for vector in value.vectors:
            if not all(type(x) is float and math.isfinite(x) for x in vector):
                raise MalformedResult(f"an embedding holds a non-float: {vector[:5]!r}")


# -- request inputs -----------------------------------------------------------------------------------------------

#: Values for option arguments: valid ones, boundaries, and every wrong kind the fuzzing found crashes with.
OPTION_VALUES: tuple[Any, ...] = (
    None, 0, 1, -1, 2, 4, 5, 100, 0.0, 0.5, 1.0, 1.5, 1.999, 2.0, -2.0, -2.5, 2.5, 0.0001, float("inf"),
    float("-inf"), float("nan"), 2**63, 2**70, -(2**70), True, False, "0.5", "", [], {}, (1,), "\ud800",
)
OPTION_NAMES = (
    "temperature", "top_p", "top_k", "max_tokens", "seed", "repetition_penalty", "presence_penalty", "n",
    "logprobs", "top_logprobs", "enable_thinking", "thinking_budget", "enable_search", "parallel_tool_calls",
)
TEXTS: tuple[str, ...] = ("Hello", "", "json please", "日本語", "\ud800", "a\udfffb", "x" * 50, "\x00")
_RANGES: dict[str, Callable[[Any], bool]] = {
    "temperature": lambda v: _num(v) and 0 <= v < 2,
    "top_p": lambda v: _num(v) and 0 < v <= 1,
    "top_k": lambda v: _int(v) and v >= 0,
    "repetition_penalty": lambda v: _num(v) and v > 0,
    "presence_penalty": lambda v: _num(v) and -2 <= v <= 2,
    "max_tokens": lambda v: _int(v) and v >= 1,
    "n": lambda v: _int(v) and 1 <= v <= 4,
    "top_logprobs": lambda v: _int(v) and 0 <= v <= 5,
    "thinking_budget": lambda v: _int(v) and v >= 1,
    "logprobs": lambda v: isinstance(v, bool),
    "enable_thinking": lambda v: isinstance(v, bool),
    "enable_search": lambda v: isinstance(v, bool),
    "parallel_tool_calls": lambda v: isinstance(v, bool),
}


def _int(value: Any) -> bool:
    return type(value) is int


def _num(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def wire_violations(body: bytes, api: str) -> list[str]:
    """What in a built chat body the service documents as invalid (docs/protocol.md#s2-3, #s4-1); [] when none."""
    payload = json.loads(body)  # valid UTF-8 JSON, or this raises
    options = payload.get("parameters", {}) if api == "dashscope" else payload
    messages = payload["input"]["messages"] if api == "dashscope" else payload["messages"]
    present = {name: options[name] for name in _RANGES if name in options}
    problems = [f"{name}={value!r}" for name, value in present.items() if not _RANGES[name](value)]
    seed_max = 2**63 - 1 if api == "dashscope" else 2**31 - 1
    if "seed" in options and not (_int(options["seed"]) and 0 <= options["seed"] <= seed_max):
        problems.append(f"seed={options['seed']!r}")
    if not isinstance(payload.get("model"), str) or not payload["model"].strip():
        problems.append(f"model={payload.get('model')!r}")
    if not messages:
        problems.append("no messages")
    for message in messages:
        if message.get("role") not in ("system", "user", "assistant", "tool"):
            problems.append(f"role={message.get('role')!r}")
        for call in message.get("tool_calls") or ():
            if not call["function"]["name"]:
                problems.append("a tool call with an empty name")
    for tool in options.get("tools") or ():
        if not tool["function"]["name"]:
            problems.append("a tool with an empty name")
    return problems


def random_request_args(rng: random.Random) -> tuple[list[tuple[str, str]], dict[str, Any], list[str]]:
    """``(messages as (role, text), options, tool-call names of an assistant message)`` for one random request."""
    roles = ("user", "user", "system", "assistant", "tool", "robot")
    messages = [(rng.choice(roles), rng.choice(TEXTS)) for _ in range(rng.randrange(0, 4))]
    if not messages or rng.random() < 0.7:
        messages.append(("user", rng.choice(TEXTS)))
    options = {name: rng.choice(OPTION_VALUES) for name in rng.sample(OPTION_NAMES, rng.randrange(0, 5))}
    if rng.random() < 0.1:
        options["model"] = rng.choice(("", " ", None, 5, "qwen-max", "\ud800"))
    count = rng.randrange(0, 3) if rng.random() < 0.3 else 0
    calls = [rng.choice(("get_weather", "", "x" * 70, "\ud800")) for _ in range(count)]
    return messages, options, calls


def core_request(rng: random.Random) -> ChatRequest:
    """A random :class:`ChatRequest` (possibly invalid in any argument)."""
    return core_request_of(*random_request_args(rng))


def core_request_of(texts: Sequence[tuple[str, str]], options: dict[str, Any], calls: Sequence[str]) -> ChatRequest:
    """The :class:`ChatRequest` of one input of :func:`random_request_args` (``options`` is not changed)."""
    options = dict(options)
    messages = [Message(role, text) for role, text in texts]  # type: ignore[arg-type]  # invalid roles on purpose
    if calls:
        tool_calls = tuple(ToolCall(id=f"call_{i}", name=name, arguments="{}") for i, name in enumerate(calls))
        messages += [Message("assistant", "", tool_calls=tool_calls), Message("tool", "ok", tool_call_id="call_0")]
        messages.append(Message("user", "and now?"))
    model = options.pop("model", "qwen-plus")
    return ChatRequest(model=model, messages=messages, **options)


def request_failures(request: ChatRequest, clients: Sequence[Any]) -> list[str]:
    """Build ``request`` with every client (both protocols, streamed or not): a typed error, or a wire body the
    service documents as valid. The untyped failures and documented violations (an empty list when none)."""
    failures: list[str] = []
    for client in clients:
        for stream in (False, True):
            try:
                wire = client.prepare_chat(request, stream=stream)
            except QwenError:
                continue
            except Exception as exc:
                failures.append(f"{client.api}: {type(exc).__name__}: {exc}")
                continue
            failures += [f"{client.api}: sent {problem}" for problem in wire_violations(wire.body, client.api)]
    return failures


# -- adapters: random messages and per-call options into ChatQwen and LlamaIndex Qwen -----------------------------

ANSWERS = {
    "compatible": b'{"id":"chatcmpl-1","model":"qwen-plus","choices":[{"index":0,"finish_reason":"stop",'
                  b'"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}',
    "dashscope": b'{"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"ok"}}]},'
                 b'"usage":{"input_tokens":1,"output_tokens":1},"request_id":"r-1"}',
}


def langchain_messages(texts: Sequence[tuple[str, str]], calls: Sequence[str]) -> list[Any]:
    from langchain_core.messages import AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    out: list[Any] = []
    for role, text in texts:
        if role == "tool":
            out.append(ToolMessage(text, tool_call_id="call_0"))
        else:
            out.append(kinds[role](text) if role in kinds else ChatMessage(role=role, content=text))
    if calls:
        tool_calls = [{"name": name, "args": {}, "id": f"call_{i}"} for i, name in enumerate(calls)]
        out += [AIMessage("", tool_calls=tool_calls), ToolMessage("ok", tool_call_id="call_0"), HumanMessage("and?")]
    return out


def llama_index_messages(texts: Sequence[tuple[str, str]], calls: Sequence[str]) -> list[Any]:
    from llama_index.core.llms import ChatMessage

    roles = {"system", "user", "assistant", "tool"}
    out = [ChatMessage(role=role if role in roles else "user", content=text) for role, text in texts]
    if calls:
        legacy = [{"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": "{}"}}
                  for i, name in enumerate(calls)]
        out += [ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": legacy}),
                ChatMessage(role="tool", content="ok", additional_kwargs={"tool_call_id": "call_0"}),
                ChatMessage(role="user", content="and?")]
    return out


def adapter_failures(call: Callable[[], Any], sent: list[bytes], api: str) -> list[str]:
    """Run one adapter call: a typed error or an answer, and every body it sent documented as valid."""
    before = len(sent)
    failures: list[str] = []
    try:
        call()
    except QwenError:
        pass
    except Exception as exc:
        failures.append(f"{type(exc).__name__}: {exc}")
    for body in sent[before:]:
        failures += [f"sent {problem}" for problem in wire_violations(body, api)]
    return failures
