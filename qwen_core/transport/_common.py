"""Pieces both transports share: pool limits and turning an error answer into a typed error.

(The stream parser, pure code shared by the sync and async clients, is :mod:`qwen_core.stream_parser`.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from qwen_core.errors import APIStatusError
from qwen_core.retry import retry_after_seconds

#: Maps an error answer (status, body, lower-case headers) to a typed error; each protocol provides one.
ErrorParser = Callable[[int, bytes, Mapping[str, str]], APIStatusError]

#: Pool limits: enough for heavy fan-out, bounded so 1,000 concurrent calls never open 1,000 sockets.
MAX_CONNECTIONS = 100
KEEPALIVE_EXPIRY = 30.0


def status_error(parse_error: ErrorParser, status: int, body: bytes, headers: Mapping[str, str]) -> APIStatusError:
    """The typed error for an error answer, with the service's ``Retry-After`` attached."""
    error = parse_error(status, body, headers)
    error.retry_after = retry_after_seconds(headers)
    return error
