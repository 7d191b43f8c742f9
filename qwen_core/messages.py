"""Neutral helpers over chat messages and replies, shared by the rules, both protocols, the stream accumulator
and the adapters: the text of content, whether messages carry media, tool names by call id, whether a finish
reason is real, and the id of a tool call the service sent without one.

Example:
    >>> from qwen_core.messages import has_media, is_finished, text_of
    >>> from qwen_core.types import ImagePart, Message, TextPart
    >>> text_of([TextPart("a"), ImagePart("https://example.com/cat.png"), TextPart("b")])
    'a\\nb'
    >>> has_media([Message("user", [ImagePart("https://example.com/cat.png")])])
    True
    >>> is_finished("null"), is_finished("stop")
    (False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from qwen_core.types import Content, Message, TextPart

__all__ = ["UNFINISHED", "has_media", "is_finished", "synthesize_tool_call_id", "text_of", "tool_names_by_id"]

#: Values the services use for "not finished yet" (native streams send the *string* "null", docs/protocol.md#q1).
UNFINISHED: Final = frozenset({"", "null"})


def is_finished(value: str | None) -> bool:
    """Whether ``value`` is a real finish reason (``None``, ``""`` and ``"null"`` are not, docs/protocol.md#q1)."""
    return value is not None and value not in UNFINISHED


def synthesize_tool_call_id(request_id: str | None, index: int, choice_index: int = 0) -> str:
    """A deterministic id for a tool call the service sent with an empty id (docs/protocol.md#q8)."""
    prefix = request_id.replace("-", "")[:12] if request_id else "0"
    if choice_index:
        return f"call_{prefix}_{choice_index}_{index}"
    return f"call_{prefix}_{index}"


def text_of(content: Content) -> str:
    """The text of a message's content (text parts joined by newlines; media parts ignored)."""
    if isinstance(content, str):
        return content
    return "\n".join(part.text for part in content if isinstance(part, TextPart))


def has_media(messages: Iterable[Message]) -> bool:
    """Whether any message carries an image, video or audio part."""
    for message in messages:
        content = message.content
        if not isinstance(content, str) and any(not isinstance(part, TextPart) for part in content):
            return True
    return False


def tool_names_by_id(messages: Sequence[Message]) -> dict[str, str]:
    """Tool call id -> function name, from the assistant messages' tool calls."""
    return {call.id: call.name for message in messages for call in message.tool_calls}
