"""Native DashScope endpoints: text and multimodal generation (JSON and SSE), tokenizer, upload policy."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

from qwen_core import tokenizer
from qwen_core.emulator import reply, search
from qwen_core.emulator.chat import (
    EmulatedChatRequest,
    EmulatedMessage,
    Endpoint,
    check_model,
    default_incremental,
    default_result_format,
    parse_messages,
    validate,
)
from qwen_core.emulator.errors import EmulatedError, invalid, native_error_body
from qwen_core.emulator.plan import JSON_TYPE, SSE_TYPE, Context, JsonPlan, Plan, StreamPlan, as_dict, dumps
from qwen_core.emulator.reply import Completion, EmulatedChoice, Step

__all__ = [
    "build_request",
    "error_plan",
    "generation",
    "sse_event",
    "tokenize",
    "upload_policy",
    "usage_style",
    "wants_stream",
]


def wants_stream(ctx: Context) -> bool:
    """Native streaming is switched on by ``X-DashScope-SSE: enable`` or ``Accept: text/event-stream``
    (docs/protocol.md#q2)."""
    headers = ctx.request.headers
    return headers.get("x-dashscope-sse", "").lower() == "enable" or "text/event-stream" in headers.get("accept", "")


def sse_event(n: int, data: bytes, event: str = "result", status: int = 200) -> bytes:
    """One native frame: ``id:N`` / ``event:`` / ``:HTTP_STATUS/`` / ``data:`` (no space after colons)."""
    return b"id:%d\nevent:%b\n:HTTP_STATUS/%d\ndata:%b\n\n" % (n, event.encode(), status, data)


def error_plan(ctx: Context, err: EmulatedError, stream: bool) -> Plan:
    """A native error: JSON with the HTTP status, or (stream) HTTP 200 with one ``event:error`` frame
    (docs/protocol.md#q5)."""
    body = dumps(native_error_body(err.code, err.message, ctx.request_id))
    if stream:
        headers = ctx.service_headers(SSE_TYPE, finished=False)
        return _stream_plan(ctx, headers, [sse_event(1, body, "error", err.status)])
    return JsonPlan(err.status, ctx.service_headers(JSON_TYPE, finished=True), body)


def _stream_plan(ctx: Context, headers: dict[str, str], events: list[bytes]) -> StreamPlan:
    def error_event(n: int, code: str, message: str, status: int) -> bytes:
        return sse_event(n, dumps(native_error_body(code, message, ctx.request_id)), "error", status)

    def malformed_event(n: int) -> bytes:
        return sse_event(n, b'{"output":{"choices":[{"message":{"content":"trunc')

    return StreamPlan(200, headers, events, error_event, malformed_event)


def _input_messages(body: dict[str, Any]) -> list[EmulatedMessage]:
    inp = body.get("input")
    if not isinstance(inp, dict):
        raise invalid('Either "prompt" or "messages" must exist and cannot both be none')
    prompt, raw = inp.get("prompt"), inp.get("messages")
    if raw is None and not prompt:
        raise invalid('Either "prompt" or "messages" must exist and cannot both be none')
    messages = parse_messages(raw) if raw is not None else []
    if raw is not None and not messages:
        raise invalid("Role must be user or assistant and Content length must be greater than 0")
    if isinstance(prompt, str) and prompt:
        messages.append(EmulatedMessage("user", prompt))
    return messages


def build_request(ctx: Context, endpoint: Endpoint) -> EmulatedChatRequest:
    """Validate a native generation body and normalise it."""
    body = ctx.body
    if not isinstance(body, dict):
        raise invalid("Required body invalid, please check the request body format.")
    info = check_model(body.get("model"), "native", endpoint)
    params = as_dict(body.get("parameters"))
    model = str(body["model"])
    stream = wants_stream(ctx)
    thinking = info.thinking_enabled(params.get("enable_thinking"))
    incremental = params.get("incremental_output")
    req = EmulatedChatRequest(
        protocol="native", model=model, info=info, endpoint=endpoint, messages=_input_messages(body),
        params=params, stream=stream, thinking=thinking,
        incremental=bool(incremental) if incremental is not None else default_incremental(model, info, thinking),
        result_format=str(params.get("result_format")
                          or ("message" if thinking else default_result_format(model, info, endpoint))),
    )
    validate(req)
    return req


def generation(ctx: Context, endpoint: Endpoint) -> Plan:
    """``POST /api/v1/services/aigc/{text,multimodal}-generation/generation``."""
    stream = wants_stream(ctx)
    try:
        req = build_request(ctx, endpoint)
    except EmulatedError as err:
        return error_plan(ctx, err, stream)
    completion = reply.generate(req, ctx.request_id, ctx.script)
    if ctx.prompt_cache is not None:
        completion.cached_input_tokens = ctx.prompt_cache(req)
    timeout = 1800 if req.thinking else 180
    if not stream:
        headers = ctx.service_headers(JSON_TYPE, finished=True, timeout=timeout)
        return JsonPlan(200, headers, dumps(_full_body(ctx, req, completion)))
    headers = ctx.service_headers(SSE_TYPE, finished=False, timeout=timeout)
    return _stream_plan(ctx, headers, _frames(ctx, req, completion))


def usage_style(req: EmulatedChatRequest) -> str:
    """Which usage shape the service sends for this model (from the captures, docs/protocol.md#s3-2 and #q18).

    ``text``: ``prompt_tokens_details.cached_tokens`` on every answer; ``plain``: no details (qwen-mt);
    ``multimodal``: input/output token details with text and image counts (``prompt_tokens_details: {}`` with
    images); ``vl-legacy`` (qwen-vl-*): input, output and image tokens only, no ``total_tokens``.
    """
    if req.endpoint == "multimodal":
        return "vl-legacy" if req.model.startswith("qwen-vl-") else "multimodal"
    return "plain" if req.model.startswith("qwen-mt-") else "text"


def _usage(
    req: EmulatedChatRequest, completion: Completion, out: int, reasoning: int, plugins: bool = True
) -> dict[str, Any]:
    over = completion.usage_override
    inp = completion.prompt_tokens()
    out = over.get("output_tokens", out)
    reasoning = over.get("reasoning_tokens", reasoning)
    style = usage_style(req)
    usage: dict[str, Any] = {"input_tokens": inp, "output_tokens": out}
    if style != "vl-legacy":
        usage["total_tokens"] = over.get("total_tokens", inp + out)
    if style == "multimodal":
        usage.update(_multimodal_details(req, completion.image_tokens, inp, out, reasoning))
    elif req.thinking or reasoning:
        usage["output_tokens_details"] = {"reasoning_tokens": reasoning}
    if req.endpoint == "multimodal" and completion.image_tokens:
        usage["image_tokens"] = completion.image_tokens
    if completion.plugins and (plugins or completion.search_info is not None):
        usage["plugins"] = completion.plugins
    if style == "text":
        usage["prompt_tokens_details"] = {"cached_tokens": completion.cached_tokens()}
    return usage


def _multimodal_details(req: EmulatedChatRequest, images: int, inp: int, out: int, reasoning: int) -> dict[str, Any]:
    inputs = {"text_tokens": max(inp - images, 0), **({"image_tokens": images} if images else {})}
    outputs = {"text_tokens": max(out - reasoning, 0)}
    if req.thinking or reasoning:
        outputs["reasoning_tokens"] = reasoning
    details: dict[str, Any] = {"input_tokens_details": inputs, "output_tokens_details": outputs}
    if images:
        details["prompt_tokens_details"] = {}
    return details


def _content(req: EmulatedChatRequest, text: str) -> Any:
    if req.endpoint == "multimodal":
        return [{"text": text}] if text else []
    return text


def _message(
    req: EmulatedChatRequest, content: str, reasoning: str | None, calls: list[dict[str, Any]]
) -> dict[str, Any]:
    msg: dict[str, Any] = {"content": _content(req, content), "role": "assistant"}
    if reasoning is not None:
        msg["reasoning_content"] = reasoning
    if calls:
        msg["tool_calls"] = calls
    return msg


def _wire_calls(choice: EmulatedChoice) -> list[dict[str, Any]]:
    return [
        {"function": {"name": c.name, "arguments": c.arguments}, "index": i, "id": c.id, "type": "function"}
        for i, c in enumerate(choice.tool_calls)
    ]


def _output_extras(req: EmulatedChatRequest, completion: Completion, output: dict[str, Any],
                   plugins: bool = True) -> dict[str, Any]:
    if completion.search_info is not None:
        output["search_info"] = completion.search_info
    if completion.tool_info is not None and plugins:
        output["tool_info"] = completion.tool_info
    if req.params.get("translation_options") is not None:
        output["finish_reason"] = completion.choices[0].finish_reason
        output["model_name"] = req.model
    return output


def _full_body(ctx: Context, req: EmulatedChatRequest, completion: Completion) -> dict[str, Any]:
    usage = _usage(req, completion, completion.output_tokens(), completion.reasoning_tokens())
    first = completion.choices[0]
    if req.result_format == "text" and not first.tool_calls:
        output: dict[str, Any] = {"finish_reason": first.finish_reason, "text": first.content}
        return {"output": _output_extras(req, completion, output), "usage": usage, "request_id": ctx.request_id}
    choices = []
    for choice in completion.choices:
        reasoning = choice.reasoning if req.thinking or choice.reasoning else None
        item: dict[str, Any] = {"finish_reason": choice.finish_reason,
                                "message": _message(req, choice.content, reasoning, _wire_calls(choice))}
        if len(completion.choices) > 1:
            item["index"] = choice.index
        if req.params.get("logprobs"):
            item["logprobs"] = reply.logprobs(choice.content, int(req.params.get("top_logprobs") or 0))
        choices.append(item)
    output = _output_extras(req, completion, {"choices": choices})
    return {"output": output, "usage": usage, "request_id": ctx.request_id}


class _Accumulator:
    """Cumulative state of one choice, for ``incremental_output=false`` streams."""

    def __init__(self) -> None:
        self.reasoning = ""
        self.content = ""
        self.calls: list[dict[str, Any]] = []

    def add(self, step: Step) -> None:
        self.reasoning += step.reasoning
        self.content += step.content
        for frag in step.tool_frags:
            if frag["id"]:
                self.calls.append({"index": frag["index"], "id": frag["id"], "type": "function",
                                   "function": dict(frag["function"])})
            else:
                self.calls[-1]["function"]["arguments"] += frag["function"]["arguments"]


def _frames(ctx: Context, req: EmulatedChatRequest, completion: Completion) -> list[bytes]:
    events: list[bytes] = []
    if search.prepends_results(req) and completion.search_info is not None:
        events.append(sse_event(1, dumps(_search_frame(ctx, req, completion))))
        completion = replace(completion, search_info=search.EMPTY_SEARCH_INFO)
    multi = len(completion.choices) > 1 or (bool(req.tools) and req.endpoint == "text")
    for choice in completion.choices:
        acc = _Accumulator()
        thinking = req.thinking or bool(choice.reasoning_pieces)
        for step in _steps(req, choice):
            acc.add(step)
            # multimodal models drop reasoning_content from incremental frames once the answer starts
            shows_reasoning = thinking and (req.endpoint == "text" or not req.incremental or bool(step.reasoning))
            output = _frame_output(req, completion, choice, step, acc, shows_reasoning, multi)
            usage = _usage(req, completion, step.out_tokens, step.reasoning_tokens, not step.reasoning)
            data = dumps({"output": output, "usage": usage, "request_id": ctx.request_id})
            events.append(sse_event(len(events) + 1, data))
    return events


def _steps(req: EmulatedChatRequest, choice: EmulatedChoice) -> list[Step]:
    """The stream steps; multimodal models finish on their last text frame instead of an empty one."""
    steps = reply.stream_steps(choice)
    last = steps[-1]
    if req.endpoint == "multimodal" and len(steps) > 1 and not (last.content or last.reasoning or last.tool_frags) \
            and steps[-2].content:
        steps[-2].finish = last.finish
        steps.pop()
    return steps


def _search_frame(ctx: Context, req: EmulatedChatRequest, completion: Completion) -> dict[str, Any]:
    """The first frame of a stream with ``prepend_search_result``: the results, no text, an empty usage."""
    message = {"content": _content(req, ""), "role": "assistant"}
    choices = [{"message": message, "finish_reason": "null"}]
    return {"output": {"choices": choices, "search_info": completion.search_info}, "usage": {},
            "request_id": ctx.request_id}


def _frame_output(req: EmulatedChatRequest, completion: Completion, choice: EmulatedChoice, step: Step,
                  acc: _Accumulator, thinking: bool, multi: bool) -> dict[str, Any]:
    finish = step.finish or "null"
    inc = req.incremental
    calls = step.tool_frags if inc else acc.calls
    if req.result_format == "text" and not choice.tool_calls:
        output = {"finish_reason": finish, "text": step.content if inc else acc.content}
        return _output_extras(req, completion, output, plugins=not step.reasoning)
    reasoning = (step.reasoning if inc else acc.reasoning) if thinking else None
    msg = _message(req, step.content if inc else acc.content, reasoning, calls)
    item: dict[str, Any] = {"message": msg, "finish_reason": finish}
    if multi:
        item["index"] = choice.index
    if req.params.get("logprobs") and (step.content or not inc):
        top = int(req.params.get("top_logprobs") or 0)
        item["logprobs"] = reply.logprobs(step.content if inc else acc.content, top)
    return _output_extras(req, completion, {"choices": [item]}, plugins=not step.reasoning)


def tokenize(ctx: Context) -> Plan:
    """``POST /api/v1/tokenizer``: the real Qwen BPE ids and token strings."""
    body = ctx.body
    try:
        if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
            raise invalid("Model can not be empty.", "BadRequest.EmptyModel")
        messages = _input_messages(body)
    except EmulatedError as err:
        return error_plan(ctx, err, False)
    ids = tokenizer.encode("\n".join(m.text for m in messages))
    data = {"output": {"token_ids": ids, "tokens": tokenizer.token_strings(ids)},
            "usage": {"input_tokens": len(ids)}, "request_id": ctx.request_id}
    return JsonPlan(200, ctx.service_headers(JSON_TYPE, finished=True), dumps(data))


def upload_policy(ctx: Context) -> Plan:
    """``GET /api/v1/uploads?action=getPolicy``: a policy whose ``upload_host`` is this emulator
    (docs/protocol.md#q30)."""
    day = datetime.date.today().isoformat()
    data = {
        "policy": "ZW11bGF0b3ItcG9saWN5", "signature": "ZW11bGF0b3I=",
        "upload_dir": f"dashscope-instant/emulator/{day}/{ctx.request_id}",
        "upload_host": ctx.base_url + "/oss-upload", "expire_in_seconds": 300, "max_file_size_mb": 1024,
        "capacity_limit_mb": 999999999, "oss_access_key_id": "emulator", "x_oss_object_acl": "private",
        "x_oss_forbid_overwrite": "true",
    }
    headers = {"content-type": JSON_TYPE, "x-request-id": ctx.request_id, "server": "istio-envoy"}
    return JsonPlan(200, headers, dumps({"data": data, "request_id": ctx.request_id}))
