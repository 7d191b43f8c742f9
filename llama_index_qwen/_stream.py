"""A streamed call's core deltas -> LlamaIndex's cumulative streamed ``ChatResponse`` chunks.

The deltas are merged by the core :class:`~qwen_core.streaming.StreamAccumulator` (the only place that merges
them); this module reads its incremental view after each delta and converts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatResponse

from llama_index_qwen._fast import chat_response
from llama_index_qwen._responses import from_qwen_logprobs, response_message, response_meta, tool_kwargs
from qwen_core.errors import ResponseParseError
from qwen_core.streaming import StreamAccumulator
from qwen_core.types import ChatDelta, ToolCall, Usage

__all__ = ["ChatStream"]


class ChatStream:
    """Turns the deltas of one streamed call into LlamaIndex's cumulative ``ChatResponse`` chunks.

    Each chunk's ``message`` holds everything so far; ``delta`` the new text and
    ``additional_kwargs["thinking_delta"]`` the new reasoning. Tool calls are the core accumulator's (merged by
    index: id and name from their first non-empty values, arguments concatenated); their arguments may be partial
    JSON until the stream ends. Chunks share no mutable objects with each other.

    LlamaIndex responses carry one choice: chunks show choice 0, with the ids, usage and finish reason its deltas
    carried. Deltas of other choices (``n > 1``) are accumulated too, so that :meth:`finish` checks them.
    """

    def __init__(self, model: str | None = None) -> None:
        self._accumulator = StreamAccumulator()
        self._usage: Usage | None = None
        self._finish_reason: str | None = None
        self._request_id: str | None = None
        self._model = model
        self._search_info: Mapping[str, Any] | None = None
        self._partial: dict[int, str] = {}  # per tool index: arguments last found not to be a JSON object
        self.chunks = 0

    def add(self, delta: ChatDelta) -> ChatResponse | None:
        """Merge one delta; return the chunk to yield (``None`` for other choices or empty deltas)."""
        self._accumulator.add(delta)
        if delta.index != 0:
            return None
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

    def _response(self, delta: ChatDelta) -> ChatResponse:
        accumulator = self._accumulator
        usage = self._usage
        calls = accumulator.tool_calls()
        message = response_message(
            accumulator.text(), accumulator.reasoning(), calls,
            usage.reasoning_tokens if usage is not None else None, self._kwargs(calls) if calls else None,
        )
        # fresh dicts per chunk: callers may mutate a chunk without touching the others
        raw, extra = response_meta(self._request_id, self._model, self._finish_reason, usage, self._search_info)
        if delta.reasoning:
            extra["thinking_delta"] = delta.reasoning
        response = chat_response(message, raw, extra, delta.text)
        if delta.logprobs:
            response.logprobs = from_qwen_logprobs(delta.logprobs)
        return response

    def _kwargs(self, calls: Sequence[ToolCall]) -> list[dict[str, Any] | str]:
        """``tool_kwargs`` of each call (a fresh dict per chunk), without parsing again arguments known partial."""
        partial = self._partial
        values: list[dict[str, Any] | str] = []
        for call in calls:
            if partial.get(call.index) == call.arguments:
                values.append(call.arguments)
                continue
            value = tool_kwargs(call.arguments)
            if isinstance(value, str):
                partial[call.index] = call.arguments
            values.append(value)
        return values

    def finish(self) -> None:
        """The core accumulator's end-of-stream checks.

        Raises:
            ResponseParseError: the stream carried nothing, or a tool call (of any choice) never got its name.
        """
        if not self.chunks:
            raise ResponseParseError("the stream ended before the model sent anything", model=self._model)
        self._accumulator.result()
