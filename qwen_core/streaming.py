"""One stream accumulator for both protocols: :class:`ChatDelta` fragments in, one :class:`ChatResult` out.

Per choice index it concatenates text, reasoning and logprobs, and merges tool-call fragments **by their
tool index**: the id and name come from the first non-empty values, arguments are concatenated in arrival
order. A fragment never starts a new call because it carries an id (continuation fragments have ``id=""``
on the wire, which the parsers turn into ``None``). Usage, request id and model: the latest value wins
(native usage is cumulative per frame). Nothing is repaired or guessed; a call that never got a name is an
error when the final result is taken.

Adapters that yield cumulative chunks (LlamaIndex's streamed responses hold everything so far) read the
incremental view instead of merging deltas themselves: :meth:`StreamAccumulator.text`,
:meth:`~StreamAccumulator.reasoning` and :meth:`~StreamAccumulator.tool_calls` give one choice's state so far,
each equal to the matching part of :meth:`~StreamAccumulator.snapshot` and cheap enough to read after every delta.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qwen_core.errors import ResponseParseError
from qwen_core.messages import is_finished, synthesize_tool_call_id
from qwen_core.types import ChatDelta, ChatResult, Choice, ToolCall, ToolCallChunk, Usage

__all__ = ["StreamAccumulator", "is_finished", "unnamed_tool_call_error"]


class _ToolState:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []


class _ChoiceState:
    __slots__ = ("calls", "calls_request_id", "finish_reason", "logprobs", "reasoning", "text", "tools")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tools: dict[int, _ToolState] = {}
        self.finish_reason: str | None = None
        self.logprobs: list[Mapping[str, Any]] | None = None
        # the non-strict tool calls last built for the incremental view, and the request id their synthesized
        # ids were derived from; None once a new fragment arrived
        self.calls: tuple[ToolCall, ...] | None = None
        self.calls_request_id: str | None = None


def _joined(parts: list[str]) -> str:
    """The concatenation of ``parts``, which are replaced by it: reading after every delta copies once per read."""
    if len(parts) > 1:
        parts[:] = ["".join(parts)]
    return parts[0] if parts else ""


def unnamed_tool_call_error(tool_index: int, choice_index: int, request_id: str | None) -> ResponseParseError:
    """The error for a stream that ended before a tool call received its function name."""
    return ResponseParseError(
        f"the stream ended with tool call #{tool_index} (choice {choice_index}) that has no function name",
        request_id=request_id,
    )


def _merge_tool_calls(state: _ChoiceState, chunks: Iterable[ToolCallChunk]) -> None:
    """Merge fragments by tool index: the first non-empty id and name win, arguments are concatenated."""
    state.calls = None
    for chunk in chunks:
        tool = state.tools.get(chunk.index)
        if tool is None:
            tool = state.tools[chunk.index] = _ToolState()
        if chunk.id and tool.id is None:
            tool.id = chunk.id
        if chunk.name and tool.name is None:
            tool.name = chunk.name
        if chunk.arguments:
            tool.arguments.append(chunk.arguments)


class StreamAccumulator:
    """Accumulates the deltas of one streamed chat call (any protocol) into a :class:`ChatResult`."""

    __slots__ = ("_choices", "_model", "_request_id", "_search_info", "_usage")

    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self._usage: Usage | None = None
        self._request_id: str | None = None
        self._model: str | None = None
        self._search_info: Mapping[str, Any] | None = None

    def add(self, delta: ChatDelta) -> None:
        """Merge one delta."""
        state = self._choices.get(delta.index)
        if state is None:
            state = self._choices[delta.index] = _ChoiceState()
        if delta.text:
            state.text.append(delta.text)
        if delta.reasoning:
            state.reasoning.append(delta.reasoning)
        if delta.tool_call_chunks:
            _merge_tool_calls(state, delta.tool_call_chunks)
        if is_finished(delta.finish_reason):
            state.finish_reason = delta.finish_reason
        if delta.logprobs:
            if state.logprobs is None:
                state.logprobs = []
            state.logprobs.extend(delta.logprobs)
        self._merge_meta(delta)

    def _merge_meta(self, delta: ChatDelta) -> None:
        if delta.usage is not None:
            self._usage = delta.usage
        if delta.request_id:
            self._request_id = delta.request_id
        if delta.model:
            self._model = delta.model
        if delta.search_info and any(delta.search_info.values()):
            self._search_info = delta.search_info

    @property
    def started(self) -> bool:
        """Whether any delta arrived."""
        return bool(self._choices)

    @property
    def finished(self) -> bool:
        """Whether every choice seen so far has a finish reason."""
        return bool(self._choices) and all(state.finish_reason for state in self._choices.values())

    def text(self, index: int = 0) -> str:
        """Choice ``index``'s text so far (``""`` for a choice not seen)."""
        state = self._choices.get(index)
        return _joined(state.text) if state is not None else ""

    def reasoning(self, index: int = 0) -> str:
        """Choice ``index``'s reasoning so far (``""`` for a choice not seen)."""
        state = self._choices.get(index)
        return _joined(state.reasoning) if state is not None else ""

    def tool_calls(self, index: int = 0) -> tuple[ToolCall, ...]:
        """Choice ``index``'s tool calls so far, as :meth:`snapshot` gives them (``name=""`` until it arrives).

        The tuple is built again only after a fragment of this choice arrived (or the request id the
        synthesized ids derive from changed); otherwise the same tuple is returned.
        """
        state = self._choices.get(index)
        if state is None or not state.tools:
            return ()
        calls = state.calls
        if calls is None or state.calls_request_id != self._request_id:
            calls = state.calls = self._tool_calls(index, state, strict=False)
            state.calls_request_id = self._request_id
        return calls

    def result(self) -> ChatResult:
        """The final result.

        Raises:
            ResponseParseError: a tool call never received its function name.
        """
        return self._build(strict=True)

    def snapshot(self) -> ChatResult:
        """The result so far (mid-stream); a tool call whose name has not arrived yet has ``name=""``."""
        return self._build(strict=False)

    def _build(self, *, strict: bool) -> ChatResult:
        choices = tuple(self._choice(index, self._choices[index], strict) for index in sorted(self._choices))
        return ChatResult(
            choices=choices,
            usage=self._usage,
            request_id=self._request_id,
            model=self._model,
            search_info=self._search_info,
        )

    def _tool_calls(self, index: int, state: _ChoiceState, strict: bool) -> tuple[ToolCall, ...]:
        calls = []
        for tool_index in sorted(state.tools):
            tool = state.tools[tool_index]
            if tool.name is None and strict:
                raise unnamed_tool_call_error(tool_index, index, self._request_id)
            calls.append(
                ToolCall(
                    id=tool.id or synthesize_tool_call_id(self._request_id, tool_index, index),
                    name=tool.name or "",
                    arguments=_joined(tool.arguments),
                    index=tool_index,
                )
            )
        return tuple(calls)

    def _choice(self, index: int, state: _ChoiceState, strict: bool) -> Choice:
        return Choice(
            index=index,
            text="".join(state.text),
            reasoning="".join(state.reasoning),
            tool_calls=self._tool_calls(index, state, strict),
            finish_reason=state.finish_reason,
            logprobs=tuple(state.logprobs) if state.logprobs is not None else None,
        )
