"""Typed errors for everything that can go wrong talking to DashScope.

Hierarchy::

    QwenError
    ├── ConfigurationError            bad local configuration (e.g. missing API key); raised before any request
    │   └── UnknownArgumentError      an argument no class accepts (also a TypeError); names the nearest valid one
    ├── InvalidRequestError           bad input caught locally, before any request (also a ValueError)
    │   └── UnsupportedFeatureError   an option the chosen model or protocol cannot honour
    └── APIError                      the service (or the network) said no
        ├── APIStatusError            an error answer from the service, with code / status / request id
        │   ├── AuthenticationError   401 InvalidApiKey
        │   ├── PermissionDeniedError 403 AccessDenied*, 400 Arrearage (overdue account)
        │   ├── NotFoundError         404 model_not_found; native 400 "Model not exist."
        │   ├── BadRequestError       400 InvalidParameter and friends
        │   │   ├── ContextLengthError      input longer than the model accepts
        │   │   └── ContentInspectionError  DataInspectionFailed (input or output moderation)
        │   ├── RateLimitError        429 Throttling* (retryable)
        │   └── ServerError           5xx InternalError*, ServiceUnavailable (retryable)
        ├── APITimeoutError           the request timed out (retryable before the first byte)
        ├── APIConnectionError        could not connect, or the connection dropped (retryable before the first byte)
        ├── ResponseParseError        the service answered something we cannot read (``path`` names the field)
        │   ├── IncompleteStreamError     a stream ended before the protocol said it was complete (``partial``)
        │   └── StreamEventTooLargeError  one stream event is larger than the cap (``max_event_bytes``)
        ├── ModelNonComplianceError   a forced tool call or JSON answer the model did not give (guided calls)
        └── BatchJobError             a Batch API job ended without a result for an input (failed, expired, cancelled)

Every :class:`APIError` carries ``code``, ``message``, ``status`` and ``request_id``; ``str(error)`` shows them.
An error raised inside a stream also carries ``partial``: the :class:`~qwen_core.types.ChatResult` of everything
received before it (every delta was delivered before the error was raised).
Messages never contain the API key.
"""

from __future__ import annotations

from typing import Any


class QwenError(Exception):
    """Base class of every error raised by qwen-integrations."""


class ConfigurationError(QwenError):
    """Local configuration is incomplete or wrong (e.g. no API key)."""


class UnknownArgumentError(ConfigurationError, TypeError):
    """A constructor or per-call keyword that is not an argument (a typo, or another library's spelling)."""


class InvalidRequestError(QwenError, ValueError):
    """The request is invalid; detected locally before anything is sent."""


class UnsupportedFeatureError(InvalidRequestError):
    """The chosen model or protocol does not support a requested option."""


class APIError(QwenError):
    """An error talking to the service."""

    retryable: bool = False
    #: Seconds the service asked us to wait (``Retry-After``), when it said so.
    retry_after: float | None = None
    #: For an error raised inside a stream: the ``ChatResult`` of what was received before it.
    partial: Any = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        model: str | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.model = model
        self.body = body
        super().__init__(self._render())

    def _render(self) -> str:
        details = [f"{name}={value}" for name, value in (
            ("status", self.status), ("code", self.code), ("request_id", self.request_id), ("model", self.model)
        ) if value is not None]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_api_error, (type(self), self.message, self.code, self.status, self.request_id, self.model))


def _rebuild_api_error(
    cls: type[APIError], message: str, code: str | None, status: int | None, request_id: str | None, model: str | None
) -> APIError:
    return cls(message, code=code, status=status, request_id=request_id, model=model)


class APIStatusError(APIError):
    """The service answered with an error."""


class AuthenticationError(APIStatusError):
    """The API key is missing, wrong, or belongs to another region or workspace."""


class PermissionDeniedError(APIStatusError):
    """The account may not use this model or feature (also overdue accounts: ``Arrearage``)."""


class NotFoundError(APIStatusError):
    """The model (or workspace) does not exist or is not available to this key."""


class BadRequestError(APIStatusError):
    """The service rejected the request's parameters."""


class ContextLengthError(BadRequestError):
    """The input is longer than the model accepts."""


class ContentInspectionError(BadRequestError):
    """Input or output failed the service's content inspection."""


class RateLimitError(APIStatusError):
    """Requests or tokens are throttled; retried automatically."""

    retryable = True


class ServerError(APIStatusError):
    """The service failed internally; retried automatically."""

    retryable = True


class APITimeoutError(APIError):
    """The request timed out."""

    retryable = True


class APIConnectionError(APIError):
    """The connection could not be made, or broke."""

    retryable = True


class ResponseParseError(APIError):
    """The service's answer could not be parsed; ``path`` is the JSON path of the offending field, if any."""

    path: str | None = None


class IncompleteStreamError(ResponseParseError):
    """A stream ended before the protocol said it was complete.

    Native streams end with a frame that carries a finish reason; compatible streams with a finish reason and
    ``data: [DONE]``. ``partial`` holds the :class:`~qwen_core.types.ChatResult` of what was received (every
    delta was yielded before this error was raised).
    """


class StreamEventTooLargeError(ResponseParseError):
    """One stream event is larger than the cap (``max_event_bytes``, 16 MiB by default)."""


class ModelNonComplianceError(APIError):
    """The model never gave the forced tool call or the JSON answer the caller needed (see
    :mod:`qwen_core.forced_output`). ``result`` is the last raw answer (text, reasoning, tool calls, usage);
    ``attempts`` is how many calls were made."""

    def __init__(self, message: str, *, result: Any = None, attempts: int = 0, **details: Any) -> None:
        self.result = result
        self.attempts = attempts
        super().__init__(message, code="ModelNonCompliance", **details)

    def __reduce__(self) -> tuple[Any, ...]:
        details = {"request_id": self.request_id, "model": self.model}
        return (_rebuild_non_compliance, (type(self), self.message, self.result, self.attempts, details))


def _rebuild_non_compliance(
    cls: type[ModelNonComplianceError], message: str, result: Any, attempts: int, details: dict[str, Any]
) -> ModelNonComplianceError:
    return cls(message, result=result, attempts=attempts, **details)


class BatchJobError(APIError):
    """A Batch API job has no result for an input: its batch failed validation, expired or was cancelled.

    ``code`` is the batch's final status (``"failed"``, ``"expired"``, ``"cancelled"``) or the service's
    validation error code; the message names the batch and, for validation failures, the service's reason.
    """


def drop_library_frames(exc: BaseException) -> None:
    """Forget the stack frames of a network library's exception and of everything chained to it.

    The typed error raised from ``exc`` keeps its type and message, but not the frames: their local variables
    (which error trackers and ``traceback`` with ``capture_locals=True`` record) include the raw request bytes,
    Authorization header and all, in ``http.client``'s frames.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen or isinstance(current, QwenError):
            continue
        seen.add(id(current))
        current.__traceback__ = None
        todo += [current.__cause__, current.__context__]


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchJobError",
    "ConfigurationError",
    "ContentInspectionError",
    "ContextLengthError",
    "IncompleteStreamError",
    "InvalidRequestError",
    "ModelNonComplianceError",
    "NotFoundError",
    "PermissionDeniedError",
    "QwenError",
    "RateLimitError",
    "ResponseParseError",
    "ServerError",
    "StreamEventTooLargeError",
    "UnknownArgumentError",
    "UnsupportedFeatureError",
]
