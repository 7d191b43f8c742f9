"""Implicit prompt-cache emulation: a long prompt prefix seen before is reported as cached input tokens.

The service caches prompt prefixes implicitly and reports the reused part as
``usage.prompt_tokens_details.cached_tokens``. The emulator keeps the token sequences of recent prompts per API key
and model; a new prompt that shares at least :data:`MIN_CACHED_PREFIX` leading tokens with one of them reports
that shared prefix as cached. Deterministic, so tests of cached-token accounting run offline.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Final

from qwen_core import tokenizer
from qwen_core.emulator.chat import EmulatedChatRequest

__all__ = ["MAX_PROMPTS", "MIN_BODY_BYTES", "MIN_CACHED_PREFIX", "PromptCache", "prompt_tokens"]

#: Fewest shared leading tokens that count as a cache hit (the service's documented minimum for implicit cache).
MIN_CACHED_PREFIX: Final = 256
#: Prompts remembered per emulator (least recently used are forgotten first).
MAX_PROMPTS: Final = 256
#: Request bodies shorter than this cannot hold MIN_CACHED_PREFIX tokens (a token is at least one byte).
MIN_BODY_BYTES: Final = MIN_CACHED_PREFIX


def prompt_tokens(req: EmulatedChatRequest) -> tuple[int, ...]:
    """The prompt as the model sees it, as token ids: tool schemas first, then each message's role and text."""
    parts = [json.dumps(req.tools, ensure_ascii=False)] if req.tools else []
    parts.extend(f"<|{m.role}|>{m.text}" for m in req.messages)
    return tuple(tokenizer.encode("\n".join(parts)))


def _shared_prefix(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class PromptCache:
    """Thread-safe memory of recent prompts per ``(key, model)`` scope."""

    def __init__(self, max_prompts: int = MAX_PROMPTS) -> None:
        self._max = max_prompts
        self._prompts: OrderedDict[tuple[str, str, tuple[int, ...]], None] = OrderedDict()
        self._lock = threading.Lock()

    def observe(self, scope: str, req: EmulatedChatRequest) -> int:
        """Cached input tokens for ``req`` (0 below the minimum); remembers its prompt for later requests."""
        tokens = prompt_tokens(req)
        with self._lock:
            best = 0
            for other_scope, model, seen in self._prompts:
                if other_scope == scope and model == req.model:
                    best = max(best, _shared_prefix(tokens, seen))
            entry = (scope, req.model, tokens)
            self._prompts[entry] = None
            self._prompts.move_to_end(entry)
            while len(self._prompts) > self._max:
                self._prompts.popitem(last=False)
        return best if best >= MIN_CACHED_PREFIX else 0

    def clear(self) -> None:
        with self._lock:
            self._prompts.clear()
