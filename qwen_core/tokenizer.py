"""Local, offline token counting with Qwen's BPE vocabulary.

The vocabulary file ``qwen.tiktoken`` ships inside the ``dashscope`` wheel; it is located without importing
``dashscope`` (importing it is slow and has side effects) and loaded through ``tiktoken`` once per process,
on first use. Counts match the service's tokenizer for plain text; billed ``input_tokens`` add a small
per-message template overhead, which :func:`count_message_tokens` approximates.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import os
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final

from qwen_core.errors import ConfigurationError

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "MESSAGE_OVERHEAD",
    "PATTERN",
    "SPECIAL_START_ID",
    "SPECIAL_TOKENS",
    "count_message_tokens",
    "count_tokens",
    "decode",
    "encode",
    "get_encoding",
    "token_bytes",
    "token_strings",
    "tokens",
    "vocabulary_path",
]

PATTERN: Final = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
SPECIAL_START_ID: Final = 151_643
SPECIAL_TOKENS: Final[tuple[str, ...]] = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", *(f"<|extra_{i}|>" for i in range(205))
)
#: Tokens the chat template adds around each message (``<|im_start|>role\n … <|im_end|>\n``).
MESSAGE_OVERHEAD: Final = 4
_CHUNK: Final = 100_000  # tiktoken recursion limit guard for very long inputs

_lock = threading.Lock()


def vocabulary_path() -> str:
    """Path of ``qwen.tiktoken`` inside the installed ``dashscope`` package (not imported)."""
    spec = importlib.util.find_spec("dashscope")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = os.path.join(location, "resources", "qwen.tiktoken")
        if os.path.exists(path):
            return path
    raise ConfigurationError(
        "the Qwen vocabulary (dashscope/resources/qwen.tiktoken) is missing: pip install dashscope"
    )


@functools.cache
def get_encoding() -> tiktoken.Encoding:
    """The Qwen BPE encoding (loaded once, thread-safe)."""
    with _lock:
        import tiktoken

        with open(vocabulary_path(), "rb") as handle:
            ranks = {
                base64.b64decode(token): int(rank)
                for token, rank in (line.split() for line in handle.read().splitlines() if line)
            }
        return tiktoken.Encoding(
            name="qwen",
            pat_str=PATTERN,
            mergeable_ranks=ranks,
            special_tokens={token: SPECIAL_START_ID + i for i, token in enumerate(SPECIAL_TOKENS)},
        )


def encode(text: str) -> list[int]:
    """Token ids of ``text`` (special-token strings are encoded as ordinary text)."""
    encoding = get_encoding()
    ids: list[int] = []
    for start in range(0, len(text), _CHUNK):
        ids.extend(encoding.encode_ordinary(text[start : start + _CHUNK]))
    return ids


def decode(ids: Sequence[int]) -> str:
    return get_encoding().decode(list(ids))


def token_bytes(token_id: int) -> bytes:
    """The raw bytes of one token."""
    raw: bytes = get_encoding().decode_single_token_bytes(token_id)
    return raw


def token_strings(ids: Sequence[int]) -> list[str]:
    """The surface form of each token (bytes decoded with replacement), as the ``/tokenizer`` endpoint lists them."""
    return [token_bytes(i).decode("utf-8", errors="replace") for i in ids]


def tokens(text: str) -> list[str]:
    """The token strings of ``text``."""
    return token_strings(encode(text))


@functools.lru_cache(maxsize=4096)
def count_tokens(text: str) -> int:
    """Number of Qwen tokens in ``text`` (memoised: chat histories repeat the same messages every turn)."""
    return len(encode(text)) if text else 0


def count_message_tokens(texts: Iterable[str]) -> int:
    """Approximate prompt tokens of a conversation: each message's text plus the template overhead."""
    return sum(count_tokens(text) + MESSAGE_OVERHEAD for text in texts)
