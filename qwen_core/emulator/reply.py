"""Deterministic reply generation: what the emulated model "says" for a normalised chat request.

The result (:class:`Completion`) is protocol-neutral; :mod:`.native` and :mod:`.compat` turn it into wire frames.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from qwen_core import tokenizer
from qwen_core.emulator import schema, search
from qwen_core.emulator.chat import EmulatedChatRequest
from qwen_core.emulator.script import ChatScript, Disobey, ScriptedReply

__all__ = [
    "Completion",
    "EmulatedChoice",
    "EmulatedToolCall",
    "Step",
    "argument_fragments",
    "call_id",
    "choose_tool_calls",
    "generate",
    "logprobs",
    "pieces",
    "stop_sequences",
    "stream_steps",
    "tool_call_tokens",
    "wants_tools",
]

_PIECE = re.compile(r"\s*\S+|\s+")
_FENCED_JSON = re.compile(r"```json\s*\n(.*?)\n```", re.DOTALL)


@dataclass
class EmulatedToolCall:
    """One generated tool call."""

    id: str
    name: str
    arguments: str


@dataclass
class EmulatedChoice:
    """One generated answer; ``*_pieces`` are the stream fragments (they concatenate to the full text)."""

    index: int
    reasoning_pieces: list[str] = field(default_factory=list)
    content_pieces: list[str] = field(default_factory=list)
    tool_calls: list[EmulatedToolCall] = field(default_factory=list)
    finish_reason: str = "stop"

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_pieces)

    @property
    def content(self) -> str:
        return "".join(self.content_pieces)

    def reasoning_tokens(self) -> int:
        return sum(tokenizer.count_tokens(p) for p in self.reasoning_pieces)

    def output_tokens(self) -> int:
        calls = sum(tool_call_tokens(c) for c in self.tool_calls)
        return self.reasoning_tokens() + sum(tokenizer.count_tokens(p) for p in self.content_pieces) + calls


@dataclass
class Completion:
    """The whole reply: choices plus usage and plugin extras."""

    choices: list[EmulatedChoice]
    input_tokens: int
    image_tokens: int = 0
    search_info: dict[str, Any] | None = None
    plugins: dict[str, Any] | None = None
    tool_info: list[dict[str, Any]] | None = None
    usage_override: dict[str, int] = field(default_factory=dict)
    #: Input tokens served from the implicit prompt cache (see :mod:`.prompt_cache`).
    cached_input_tokens: int = 0

    def output_tokens(self) -> int:
        return self.usage_override.get("output_tokens", sum(c.output_tokens() for c in self.choices))

    def reasoning_tokens(self) -> int:
        return self.usage_override.get("reasoning_tokens", sum(c.reasoning_tokens() for c in self.choices))

    def prompt_tokens(self) -> int:
        return self.usage_override.get("input_tokens", self.input_tokens)

    def cached_tokens(self) -> int:
        """Cached input tokens as reported (never more than the input)."""
        return min(self.usage_override.get("cached_tokens", self.cached_input_tokens), self.prompt_tokens())


def pieces(text: str, size: int | None = None) -> list[str]:
    """Split ``text`` into word-ish stream pieces (or fixed ``size`` characters); long CJK runs are cut."""
    if not text:
        return []
    if size:
        return [text[i: i + size] for i in range(0, len(text), size)]
    out: list[str] = []
    for piece in _PIECE.findall(text):
        if len(piece) > 6 and not piece.isascii():
            out.extend(piece[i: i + 3] for i in range(0, len(piece), 3))
        else:
            out.append(piece)
    return out


def call_id(request_seed: str, index: int) -> str:
    """A ``call_…`` id unique per request: the compacted request id plus the call's index."""
    return f"call_{request_seed.replace('-', '')}_{index}"


def _truncate_tokens(text: str, limit: int) -> tuple[str, bool]:
    ids = tokenizer.encode(text)
    if len(ids) <= limit:
        return text, False
    raw = b"".join(tokenizer.token_bytes(i) for i in ids[:limit])
    return raw.decode("utf-8", errors="ignore"), True


def _reasoning_text(req: EmulatedChatRequest) -> str:
    question = req.last_user_text.strip()[:300] or "the conversation so far"
    if req.messages and req.messages[-1].role == "tool":
        return "The tool results are in. I will summarise them for the user."
    return f"The user asks: {question}. I will think it through step by step and answer clearly."


def _answer_text(req: EmulatedChatRequest, index: int) -> str:
    last = req.messages[-1] if req.messages else None
    if last is not None and last.role == "tool":
        results = [m.text for m in _trailing_tool_messages(req)]
        return "Based on the tool results: " + "; ".join(results) + "."
    translation = req.params.get("translation_options")
    if isinstance(translation, dict):
        return _translate(req.last_user_text, translation)
    text = req.last_user_text.strip()
    answer = f"Echo: {text}" if text else "Hello! How can I help you today?"
    return answer if index == 0 else f"Echo #{index + 1}: {text}"


def _trailing_tool_messages(req: EmulatedChatRequest) -> list[Any]:
    out = []
    for msg in reversed(req.messages):
        if msg.role != "tool":
            break
        out.append(msg)
    return list(reversed(out))


def _translate(text: str, options: dict[str, Any]) -> str:
    for pair in options.get("tm_list") or []:
        if isinstance(pair, dict) and pair.get("source") and pair["source"] in text:
            text = text.replace(pair["source"], str(pair.get("target", "")))
    for pair in options.get("terms") or []:
        if isinstance(pair, dict) and pair.get("source"):
            text = text.replace(pair["source"], str(pair.get("target", "")))
    return f"[{options.get('target_lang', 'English')}] {text}"


def _json_answer(req: EmulatedChatRequest, text: str) -> str | None:
    fmt = req.params.get("response_format")
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_object":
        return json.dumps({"answer": text}, ensure_ascii=False)
    if fmt.get("type") == "json_schema":
        return json.dumps(schema.instance(schema.schema_of(fmt), req.last_user_text.strip()), ensure_ascii=False)
    return None


def _instructed_json(req: EmulatedChatRequest, text: str) -> str | None:
    """JSON the instructions ask for: an instance of a JSON schema given in a system message or the last user
    message (fenced as ```json, or right after the words "JSON schema"), or ``{"answer": ...}`` when they ask for
    "only a JSON object"."""
    for instruction in [m.text for m in req.messages if m.role == "system"] + [req.last_user_text]:
        found = _schema_in(instruction)
        if found is not None:
            return json.dumps(schema.instance(found, req.last_user_text.strip()), ensure_ascii=False)
        if "only a json object" in instruction.lower():
            return json.dumps({"answer": text}, ensure_ascii=False)
    return None


def _schema_in(text: str) -> dict[str, Any] | None:
    if "json" not in text.lower():
        return None
    # prompt templates sometimes leave their brace escapes ({{ }}) in the text: read it as a model would
    return _find_schema(text) or _find_schema(text.replace("{{", "{").replace("}}", "}"))


def _find_schema(text: str) -> dict[str, Any] | None:
    lower = text.lower()
    starts = [m.start(1) for m in _FENCED_JSON.finditer(text)]
    at = lower.find("json schema")
    while at >= 0:
        starts.append(text.find("{", at))
        at = lower.find("json schema", at + 1)
    decoder = json.JSONDecoder()
    for start in (s for s in starts if s >= 0):
        try:
            found, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(found, dict) and ("properties" in found or found.get("type") == "object"):
            return found
    return None


def _partial_continuation(req: EmulatedChatRequest, answer: str) -> str:
    last = req.messages[-1] if req.messages else None
    if last is None or not last.partial:
        return answer
    prefix = last.text
    return answer[len(prefix):] if answer.startswith(prefix) and answer != prefix else " " + answer


def _apply_stop(req: EmulatedChatRequest, text: str) -> str:
    for seq in stop_sequences(req.params.get("stop")):
        pos = text.find(seq) if seq else -1
        if pos >= 0:
            text = text[:pos]
    return text


def stop_sequences(stop: Any) -> list[str]:
    """``stop`` as strings: str, list[str], list[int] (token ids) or list[list[int]]."""
    if isinstance(stop, str):
        return [stop]
    if not isinstance(stop, list) or not stop:
        return []
    if all(isinstance(s, int) for s in stop):
        return [_decode(stop)]
    return [s if isinstance(s, str) else _decode(s) for s in stop if isinstance(s, (str, list))]


def _decode(ids: list[Any]) -> str:
    raw = b"".join(tokenizer.token_bytes(int(i)) for i in ids if isinstance(i, int))
    return raw.decode("utf-8", errors="ignore")


def wants_tools(req: EmulatedChatRequest) -> bool:
    """Whether the default model calls tools: tools present and either a forced ``tool_choice`` (even after
    tool results) or ``"auto"`` with the last message from the user."""
    choice = req.params.get("tool_choice")
    if not req.tools or choice == "none":
        return False
    if choice == "required" or isinstance(choice, dict):
        return True
    return bool(req.messages) and req.messages[-1].role == "user"


def choose_tool_calls(req: EmulatedChatRequest, seed: str) -> list[EmulatedToolCall]:
    """Which tools to call and with what arguments (see the emulator docs for the rules)."""
    text = req.last_user_text
    tools = req.tools
    choice = req.params.get("tool_choice")
    if isinstance(choice, dict):
        forced = (choice.get("function") or {}).get("name")
        tools = [t for t in tools if schema.tool_name(t) == forced] or tools
        picked: list[tuple[dict[str, Any], str]] = [(tools[0], text)]
    else:
        picked = _pick(req, tools, text)
    return [
        EmulatedToolCall(call_id(seed, i), schema.tool_name(tool),
                 json.dumps(schema.tool_arguments(tool, part, text), ensure_ascii=False))
        for i, (tool, part) in enumerate(picked)
    ]


def _not_yet_called(req: EmulatedChatRequest, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """After tool results, a model moves on: the tools the conversation has not called yet (all if none is left)."""
    if not any(m.role == "tool" for m in req.messages):
        return tools
    called = {str((c.get("function") or {}).get("name")) for m in req.messages for c in m.tool_calls}
    return [t for t in tools if schema.tool_name(t) not in called] or tools


def _pick(req: EmulatedChatRequest, tools: list[dict[str, Any]], text: str) -> list[tuple[dict[str, Any], str]]:
    tools = _not_yet_called(req, tools)
    scores = [schema.tool_score(t, text) for t in tools]
    best = tools[scores.index(max(scores))]
    if not req.params.get("parallel_tool_calls"):
        return [(best, text)]
    relevant = [t for t, s in zip(tools, scores, strict=True) if s > 0]
    if len(relevant) > 1:
        return [(t, text) for t in relevant]
    items = schema.split_items(text)
    if len(items) > 1:
        return [(best, item) for item in items]
    return [(best, text)]


def _limit(choice: EmulatedChoice, req: EmulatedChatRequest) -> None:
    total_limit = req.params.get("max_completion_tokens")
    budget = req.params.get("thinking_budget")
    if isinstance(budget, int) or isinstance(total_limit, int):
        cap = min(x for x in (budget, total_limit) if isinstance(x, int))
        text, cut = _truncate_tokens(choice.reasoning, cap)
        choice.reasoning_pieces = pieces(text)
        if cut and isinstance(total_limit, int) and cap == total_limit:
            choice.content_pieces, choice.tool_calls, choice.finish_reason = [], [], "length"
            return
    limit = req.params.get("max_tokens")
    if isinstance(total_limit, int):
        used = choice.reasoning_tokens()
        limit = min(limit, total_limit - used) if isinstance(limit, int) else total_limit - used
    if isinstance(limit, int) and not choice.tool_calls:
        text, cut = _truncate_tokens(choice.content, max(limit, 0))
        if cut:
            choice.content_pieces, choice.finish_reason = pieces(text), "length"


def _default_choice(req: EmulatedChatRequest, index: int, seed: str, disobey: bool = False) -> EmulatedChoice:
    choice = EmulatedChoice(index)
    if req.thinking:
        choice.reasoning_pieces = pieces(_reasoning_text(req))
    if disobey:
        choice.content_pieces = pieces("I would rather answer in prose: " + _answer_text(req, index))
    elif wants_tools(req):
        choice.tool_calls = choose_tool_calls(req, f"{seed}:{index}")
        choice.finish_reason = "tool_calls"
        if not req.stream and req.protocol == "native" and isinstance(req.params.get("tool_choice"), dict):
            choice.finish_reason = "stop"  # quirk docs/protocol.md#q9
    else:
        answer = _answer_text(req, index)
        answer = _json_answer(req, answer) or _instructed_json(req, answer) or _partial_continuation(req, answer)
        if req.params.get("enable_search") and (req.params.get("search_options") or {}).get("enable_citation"):
            answer += _citation(req.params["search_options"])
        choice.content_pieces = pieces(_apply_stop(req, answer))
    _limit(choice, req)
    return choice


def _citation(options: dict[str, Any]) -> str:
    fmt = str(options.get("citation_format") or "[<number>]")
    return fmt.replace("<number>", "1")


def _scripted_choice(script: ScriptedReply, seed: str) -> EmulatedChoice:
    choice = EmulatedChoice(0)
    choice.reasoning_pieces = pieces(script.reasoning, script.chunk_size)
    if script.chunks is not None:
        choice.content_pieces = [c for c in script.chunks if c]
    else:
        choice.content_pieces = pieces(script.text, script.chunk_size)
    choice.tool_calls = [
        EmulatedToolCall(c.id or call_id(seed, i), c.name, c.arguments_text()) for i, c in enumerate(script.tool_calls)
    ]
    choice.finish_reason = script.finish_reason or ("tool_calls" if choice.tool_calls else "stop")
    return choice


def generate(req: EmulatedChatRequest, request_id: str, script: ChatScript | None = None) -> Completion:
    """Produce the completion for ``req`` (scripted when ``script`` is given)."""
    if isinstance(script, Disobey):
        choices = [_default_choice(req, 0, request_id, disobey=True)]
    elif script is not None:
        choices = [_scripted_choice(script, request_id)]
    else:
        n = req.params.get("n") if isinstance(req.params.get("n"), int) else 1
        choices = [_default_choice(req, i, request_id) for i in range(max(1, n or 1))]
    completion = Completion(choices, req.input_tokens(), image_tokens=req.image_tokens())
    if isinstance(script, ScriptedReply) and script.usage:
        completion.usage_override = dict(script.usage)
    scripted_results = script.search_results if isinstance(script, ScriptedReply) else None
    if req.params.get("enable_search") or scripted_results is not None:
        completion.search_info, completion.plugins = search.search_info(req, scripted_results)
    if req.params.get("enable_code_interpreter") and req.thinking:
        completion.tool_info = [{"code_interpreter": {"code": f"# {req.last_user_text.strip()}"},
                                 "type": "code_interpreter"}]
        completion.plugins = {**(completion.plugins or {}), "code_interpreter": {"count": 1}}
    return completion


def logprobs(text: str, top: int) -> dict[str, Any]:
    """``{"content": [...]}``: one entry per token of ``text``, each with ``min(top, 1)`` alternatives."""
    entries = []
    for token_id in tokenizer.encode(text):
        raw = tokenizer.token_bytes(token_id)
        token = raw.decode("utf-8", errors="replace")
        entry: dict[str, Any] = {"token": token, "bytes": list(raw), "logprob": 0.0}
        entry["top_logprobs"] = [{"token": token, "bytes": list(raw), "logprob": 0.0}] if top > 0 else []
        entries.append(entry)
    return {"content": entries}


def argument_fragments(arguments: str) -> list[str]:
    """Split tool-call arguments into at least two stream fragments (when longer than one character)."""
    if len(arguments) < 2:
        return [arguments]
    if len(arguments) < 24:
        mid = len(arguments) // 2
        return [arguments[:mid], arguments[mid:]]
    third = len(arguments) // 3
    return [arguments[:third], arguments[third: 2 * third], arguments[2 * third:]]


def tool_call_tokens(call: EmulatedToolCall) -> int:
    """Output tokens of one call, counted per stream fragment so stream and non-stream usage agree."""
    fragments = argument_fragments(call.arguments)
    return tokenizer.count_tokens(call.name) + sum(tokenizer.count_tokens(f) for f in fragments)


@dataclass
class Step:
    """One stream event's worth of new output, with cumulative token counts after it."""

    reasoning: str = ""
    content: str = ""
    tool_frags: list[dict[str, Any]] = field(default_factory=list)
    out_tokens: int = 0
    reasoning_tokens: int = 0
    finish: str | None = None


def stream_steps(choice: EmulatedChoice) -> list[Step]:
    """The stream of ``choice``: reasoning pieces, content pieces, then tool-call fragments by index."""
    steps: list[Step] = []
    out = reasoning = 0
    for piece in choice.reasoning_pieces:
        n = tokenizer.count_tokens(piece)
        out, reasoning = out + n, reasoning + n
        steps.append(Step(reasoning=piece, out_tokens=out, reasoning_tokens=reasoning))
    for piece in choice.content_pieces:
        out += tokenizer.count_tokens(piece)
        steps.append(Step(content=piece, out_tokens=out, reasoning_tokens=reasoning))
    for index, call in enumerate(choice.tool_calls):
        for k, frag in enumerate(argument_fragments(call.arguments)):
            out += tokenizer.count_tokens(frag) + (tokenizer.count_tokens(call.name) if k == 0 else 0)
            fn = {"name": call.name, "arguments": frag} if k == 0 else {"arguments": frag}
            tool = {"index": index, "id": call.id if k == 0 else "", "type": "function", "function": fn}
            steps.append(Step(tool_frags=[tool], out_tokens=out, reasoning_tokens=reasoning))
    if choice.tool_calls and steps:
        steps[-1].finish = choice.finish_reason
    else:
        steps.append(Step(out_tokens=out, reasoning_tokens=reasoning, finish=choice.finish_reason))
    return steps
