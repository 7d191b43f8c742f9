"""OpenAI-compatible chat completions (``/compatible-mode/v1/chat/completions``), JSON and SSE (docs/protocol.md#s4)."""

from __future__ import annotations

import time
from typing import Any

from qwen_core.emulator import reply
from qwen_core.emulator.chat import EmulatedChatRequest, check_model, parse_messages, validate
from qwen_core.emulator.errors import EmulatedError, compat_error_body, invalid
from qwen_core.emulator.plan import JSON_TYPE, SSE_TYPE, Context, JsonPlan, Plan, StreamPlan, as_dict, dumps
from qwen_core.emulator.reply import Completion, EmulatedChoice, Step

__all__ = ["DONE", "build_request", "chat_completions", "error_plan", "sse_data"]

DONE = b"data: [DONE]\n\n"


def sse_data(data: bytes) -> bytes:
    """One compatible-mode event: ``data: {json}`` and a blank line."""
    return b"data: " + data + b"\n\n"


def error_plan(ctx: Context, err: EmulatedError, stream: bool) -> Plan:
    """A compatible error with its HTTP status; stream requests get an SSE-formatted body when configured
    (docs/protocol.md#q25)."""
    body = dumps(compat_error_body(err.code, err.message, ctx.request_id, err.compat_code))
    if stream and ctx.compat_stream_errors_as_sse:
        return JsonPlan(err.status, ctx.service_headers(SSE_TYPE, finished=True), sse_data(body))
    return JsonPlan(err.status, ctx.service_headers(JSON_TYPE, finished=True), body)


def build_request(ctx: Context) -> EmulatedChatRequest:
    """Validate a chat-completions body and normalise it."""
    body = ctx.body
    if not isinstance(body, dict):
        raise invalid("Required body invalid, please check the request body format.")
    info = check_model(body.get("model"), "compatible", None)
    if "messages" not in body:
        raise invalid("Missing required parameter: 'messages'.")
    stream = body.get("stream") is True
    options = as_dict(body.get("stream_options"))
    req = EmulatedChatRequest(
        protocol="compatible", model=str(body["model"]), info=info, endpoint=info.native_endpoint,
        messages=parse_messages(body.get("messages")), params=body, stream=stream,
        thinking=info.thinking_enabled(body.get("enable_thinking")), include_usage=bool(options.get("include_usage")),
    )
    validate(req)
    return req


def chat_completions(ctx: Context) -> Plan:
    """``POST /compatible-mode/v1/chat/completions``."""
    stream = isinstance(ctx.body, dict) and ctx.body.get("stream") is True
    try:
        req = build_request(ctx)
    except EmulatedError as err:
        return error_plan(ctx, err, stream)
    completion = reply.generate(req, ctx.request_id, ctx.script)
    if ctx.prompt_cache is not None:
        completion.cached_input_tokens = ctx.prompt_cache(req)
    created = int(time.time())
    if not req.stream:
        body = _full_body(ctx, req, completion, created)
        return JsonPlan(200, ctx.service_headers(JSON_TYPE, finished=True), dumps(body))
    return _stream_plan(ctx, _chunks(ctx, req, completion, created))


def _stream_plan(ctx: Context, events: list[bytes]) -> StreamPlan:
    def error_event(n: int, code: str, message: str, status: int) -> bytes:
        return sse_data(dumps(compat_error_body(code, message, ctx.request_id)))

    def malformed_event(n: int) -> bytes:
        return sse_data(b'{"id":"chatcmpl-' + ctx.request_id.encode() + b'","choices":[{"delta":{"content":"tru')

    return StreamPlan(200, ctx.service_headers(SSE_TYPE, finished=False), events, error_event, malformed_event)


def _usage(req: EmulatedChatRequest, completion: Completion) -> dict[str, Any]:
    inp, out = completion.prompt_tokens(), completion.output_tokens()
    usage: dict[str, Any] = {
        "prompt_tokens": inp, "completion_tokens": out,
        "total_tokens": completion.usage_override.get("total_tokens", inp + out),
        "prompt_tokens_details": {"cached_tokens": completion.cached_tokens()},
    }
    if req.thinking or completion.reasoning_tokens():
        usage["completion_tokens_details"] = {"reasoning_tokens": completion.reasoning_tokens()}
    return usage


def _wire_calls(choice: EmulatedChoice) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "index": i, "function": {"name": c.name, "arguments": c.arguments}}
        for i, c in enumerate(choice.tool_calls)
    ]


def _full_body(ctx: Context, req: EmulatedChatRequest, completion: Completion, created: int) -> dict[str, Any]:
    choices = []
    for choice in completion.choices:
        msg: dict[str, Any] = {"role": "assistant", "content": choice.content}
        if req.thinking or choice.reasoning:
            msg["reasoning_content"] = choice.reasoning
        if choice.tool_calls:
            msg["tool_calls"] = _wire_calls(choice)
        logprobs = reply.logprobs(choice.content, int(req.params.get("top_logprobs") or 0)) \
            if req.params.get("logprobs") else None
        choices.append({"index": choice.index, "finish_reason": choice.finish_reason, "logprobs": logprobs,
                        "message": msg})
    return {
        "id": f"chatcmpl-{ctx.request_id}", "object": "chat.completion", "created": created, "model": req.model,
        "system_fingerprint": None, "choices": choices, "usage": _usage(req, completion),
    }


def _chunk(ctx: Context, req: EmulatedChatRequest, created: int, choices: list[dict[str, Any]],
           usage: dict[str, Any] | None = None) -> bytes:
    data: dict[str, Any] = {"id": f"chatcmpl-{ctx.request_id}", "object": "chat.completion.chunk",
                            "created": created, "model": req.model, "system_fingerprint": None, "choices": choices}
    if usage is not None:
        data["usage"] = usage
    return sse_data(dumps(data))


def _delta(req: EmulatedChatRequest, step: Step, thinking: bool) -> dict[str, Any]:
    if step.tool_frags:
        return {"content": None, "tool_calls": step.tool_frags}
    if step.reasoning:
        return {"content": None, "reasoning_content": step.reasoning}
    delta: dict[str, Any] = {"content": step.content}
    if thinking:
        delta["reasoning_content"] = None
    return delta


def _choice_chunks(ctx: Context, req: EmulatedChatRequest, choice: EmulatedChoice, created: int) -> list[bytes]:
    thinking = req.thinking or bool(choice.reasoning_pieces)
    first: dict[str, Any] = {"content": None, "role": "assistant", "reasoning_content": ""} if thinking \
        else {"content": "", "role": "assistant"}
    top = int(req.params.get("top_logprobs") or 0)

    def item(delta: dict[str, Any], finish: str | None, content: str = "") -> dict[str, Any]:
        logprobs = reply.logprobs(content, top) if req.params.get("logprobs") and content else None
        return {"index": choice.index, "delta": delta, "finish_reason": finish, "logprobs": logprobs}

    out = [_chunk(ctx, req, created, [item(first, None)])]
    for step in reply.stream_steps(choice):
        has_output = bool(step.tool_frags or step.reasoning or step.content)
        if has_output:
            out.append(_chunk(ctx, req, created, [item(_delta(req, step, thinking), None, step.content)]))
        if step.finish is not None:
            final: dict[str, Any] = {} if choice.tool_calls else {"content": ""}
            out.append(_chunk(ctx, req, created, [item(final, step.finish)]))
    return out


def _chunks(ctx: Context, req: EmulatedChatRequest, completion: Completion, created: int) -> list[bytes]:
    events: list[bytes] = []
    for choice in completion.choices:
        events.extend(_choice_chunks(ctx, req, choice, created))
    if req.include_usage:
        events.append(_chunk(ctx, req, created, [], _usage(req, completion)))
    events.append(DONE)
    return events
