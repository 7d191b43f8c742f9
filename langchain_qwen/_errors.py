"""Errors raised by ``ChatQwen``: the ``qwen_core`` errors, also catchable as langchain-core's model errors.

Every error the core raises is re-raised (``from`` the original) as an adapter subclass that inherits from
both the ``qwen_core`` class and the matching ``langchain_core.exceptions`` class, so callers can catch
either family::

    qwen_core.errors                      langchain_core.exceptions
    AuthenticationError         ──┐   ┌── ModelAuthenticationError
                                  QwenAuthenticationError
    PermissionDeniedError       ->  QwenPermissionDeniedError   (+ ModelPermissionDeniedError)
    NotFoundError               ->  QwenNotFoundError           (+ ModelNotFoundError)
    ContextLengthError          ->  QwenContextLengthError      (+ ContextOverflowError, ModelInvalidRequestError)
    ContentInspectionError      ->  QwenContentInspectionError  (+ ModelInvalidRequestError)
    BadRequestError             ->  QwenBadRequestError         (+ ModelInvalidRequestError)
    RateLimitError              ->  QwenRateLimitError          (+ ModelRateLimitError)
    ServerError                 ->  QwenServerError             (+ ModelAPIError)
    APITimeoutError             ->  QwenTimeoutError            (+ ModelTimeoutError)
    APIConnectionError          ->  QwenConnectionError         (+ ModelConnectionError)
    IncompleteStreamError       ->  QwenIncompleteStreamError   (+ ModelAPIError)
    StreamEventTooLargeError    ->  QwenStreamEventTooLargeError (+ ModelAPIError)
    ResponseParseError          ->  QwenResponseParseError      (+ ModelAPIError)
    APIStatusError (other)      ->  QwenAPIStatusError          (+ ModelError)
    ModelNonComplianceError     ->  QwenModelNonComplianceError (+ ModelRefusalError; ``raw_message`` is the
                                                                 last answer as an AIMessage)
    UnsupportedFeatureError     ->  QwenUnsupportedFeatureError (+ ModelInvalidRequestError; a ValueError)
    InvalidRequestError         ->  QwenInvalidRequestError     (+ ModelInvalidRequestError; a ValueError)

``ConfigurationError`` (no API key, unknown region) has no langchain-core counterpart and passes through as is.
"""

from __future__ import annotations

from types import TracebackType

from langchain_core import exceptions as lc

from qwen_core import errors as qe


class QwenAuthenticationError(qe.AuthenticationError, lc.ModelAuthenticationError):
    """401: the API key is wrong, or belongs to another region or workspace."""


class QwenPermissionDeniedError(qe.PermissionDeniedError, lc.ModelPermissionDeniedError):
    """403 / Arrearage: the account may not use this model or feature."""


class QwenNotFoundError(qe.NotFoundError, lc.ModelNotFoundError):
    """The model does not exist or is not available to this key."""


class QwenContextLengthError(qe.ContextLengthError, lc.ContextOverflowError, lc.ModelInvalidRequestError):
    """The input is longer than the model accepts."""


class QwenContentInspectionError(qe.ContentInspectionError, lc.ModelInvalidRequestError):
    """Input or output failed the service's content inspection."""


class QwenBadRequestError(qe.BadRequestError, lc.ModelInvalidRequestError):
    """The service rejected the request's parameters."""


class QwenRateLimitError(qe.RateLimitError, lc.ModelRateLimitError):
    """Throttled (after the core's retries)."""


class QwenServerError(qe.ServerError, lc.ModelAPIError):
    """The service failed internally (after the core's retries)."""


class QwenTimeoutError(qe.APITimeoutError, lc.ModelTimeoutError):
    """The request timed out."""


class QwenConnectionError(qe.APIConnectionError, lc.ModelConnectionError):
    """The connection could not be made, or broke."""


class QwenResponseParseError(qe.ResponseParseError, lc.ModelAPIError):
    """The service answered something that cannot be read."""


class QwenIncompleteStreamError(qe.IncompleteStreamError, lc.ModelAPIError):
    """The stream ended before the protocol said it was complete (``partial`` holds what arrived)."""


class QwenStreamEventTooLargeError(qe.StreamEventTooLargeError, lc.ModelAPIError):
    """One stream event is larger than the cap."""


class QwenAPIStatusError(qe.APIStatusError, lc.ModelError):
    """Any other error answer from the service."""


class QwenModelNonComplianceError(qe.ModelNonComplianceError, lc.ModelRefusalError):
    """The model never gave the forced tool call or JSON answer (``raw_message``: its last answer)."""


class QwenUnsupportedFeatureError(qe.UnsupportedFeatureError, lc.ModelInvalidRequestError):
    """The chosen model or protocol cannot honour a requested option (raised before any request)."""


class QwenInvalidRequestError(qe.InvalidRequestError, lc.ModelInvalidRequestError):
    """The input is invalid (raised before any request)."""


# Most specific first: the first entry the core error is an instance of wins.
_API_ERRORS: tuple[tuple[type[qe.APIError], type[qe.APIError]], ...] = (
    (qe.AuthenticationError, QwenAuthenticationError),
    (qe.PermissionDeniedError, QwenPermissionDeniedError),
    (qe.NotFoundError, QwenNotFoundError),
    (qe.ContextLengthError, QwenContextLengthError),
    (qe.ContentInspectionError, QwenContentInspectionError),
    (qe.BadRequestError, QwenBadRequestError),
    (qe.RateLimitError, QwenRateLimitError),
    (qe.ServerError, QwenServerError),
    (qe.APITimeoutError, QwenTimeoutError),
    (qe.APIConnectionError, QwenConnectionError),
    (qe.IncompleteStreamError, QwenIncompleteStreamError),
    (qe.StreamEventTooLargeError, QwenStreamEventTooLargeError),
    (qe.ResponseParseError, QwenResponseParseError),
    (qe.APIStatusError, QwenAPIStatusError),
)
_ADAPTER_ERRORS: tuple[type[qe.QwenError], ...] = (
    *(dual for _, dual in _API_ERRORS),
    QwenModelNonComplianceError,
    QwenUnsupportedFeatureError,
    QwenInvalidRequestError,
)


def to_langchain_error(error: qe.QwenError) -> qe.QwenError:
    """The adapter error for ``error`` (itself when it is already one, or has no langchain-core counterpart)."""
    if isinstance(error, _ADAPTER_ERRORS):
        return error
    if isinstance(error, qe.ModelNonComplianceError):
        return _non_compliance(error)
    if isinstance(error, qe.APIError):
        for core, dual in _API_ERRORS:
            if isinstance(error, core):
                converted = dual(
                    error.message, code=error.code, status=error.status, request_id=error.request_id,
                    model=error.model, body=error.body,
                )
                converted.retry_after = error.retry_after
                converted.partial = error.partial
                if isinstance(error, qe.ResponseParseError):
                    converted.path = error.path  # type: ignore[attr-defined]  # a ResponseParseError too
                return converted
        return error
    if isinstance(error, qe.UnsupportedFeatureError):
        return QwenUnsupportedFeatureError(*error.args)
    if isinstance(error, qe.InvalidRequestError):
        return QwenInvalidRequestError(*error.args)
    return error


def _non_compliance(error: qe.ModelNonComplianceError) -> QwenModelNonComplianceError:
    from langchain_qwen._messages import from_qwen_result  # deferred: _messages imports this module

    converted = QwenModelNonComplianceError(
        error.message, result=error.result, attempts=error.attempts, request_id=error.request_id, model=error.model
    )
    generations = from_qwen_result(error.result).generations if error.result is not None else []
    converted.raw_message = generations[0].message if generations else None
    return converted


class ErrorTranslation:
    """Context manager re-raising ``qwen_core`` errors as their adapter subclasses (the original is ``__cause__``).

    A class rather than a ``@contextmanager`` generator: it wraps every call and stream, and entering and leaving
    it costs a fraction of a generator-based one. It holds no state, so one instance serves every ``with``.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, qe.QwenError):
            converted = to_langchain_error(exc)
            if converted is not exc:
                raise converted from exc


_TRANSLATION = ErrorTranslation()


def translate_errors() -> ErrorTranslation:
    """``with translate_errors(): ...`` re-raises ``qwen_core`` errors as their adapter subclasses."""
    return _TRANSLATION


__all__ = [
    "QwenAPIStatusError",
    "QwenAuthenticationError",
    "QwenBadRequestError",
    "QwenConnectionError",
    "QwenContentInspectionError",
    "QwenContextLengthError",
    "QwenIncompleteStreamError",
    "QwenInvalidRequestError",
    "QwenModelNonComplianceError",
    "QwenNotFoundError",
    "QwenPermissionDeniedError",
    "QwenRateLimitError",
    "QwenResponseParseError",
    "QwenServerError",
    "QwenStreamEventTooLargeError",
    "QwenTimeoutError",
    "QwenUnsupportedFeatureError",
    "to_langchain_error",
    "translate_errors",
]
