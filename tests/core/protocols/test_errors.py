"""Error bodies of both protocols map to the right typed error, keeping code, status and request id."""

from __future__ import annotations

import json

import pytest

from qwen_core import (  # the errors as users import them
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContentInspectionError,
    ContextLengthError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from qwen_core.protocols._errors import classify_error, error_from_body


@pytest.mark.parametrize(
    ("status", "code", "message", "cls"),
    [
        (401, "InvalidApiKey", "Invalid API-key provided.", AuthenticationError),
        (401, "invalid_api_key", "Incorrect API key provided.", AuthenticationError),
        (403, "AccessDenied", "Access denied.", PermissionDeniedError),
        (403, "AllocationQuota.FreeTierOnly", "free tier only", PermissionDeniedError),
        (400, "Arrearage", "Access denied, please make sure your account is in good standing.", PermissionDeniedError),
        (404, "model_not_found", "The model x does not exist", NotFoundError),
        (400, "InvalidParameter", "Model not exist.", NotFoundError),
        (429, "Throttling.RateQuota", "Requests rate limit exceeded", RateLimitError),
        (429, "Throttling.AllocationQuota", "Allocated quota exceeded", RateLimitError),
        (429, "insufficient_quota", "Free allocated quota exceeded.", RateLimitError),
        (429, "limit_requests", "slow", RateLimitError),
        (429, "PrepaidBillOverdue", "bill overdue", PermissionDeniedError),
        (400, "DataInspectionFailed", "Input data may contain inappropriate content.", ContentInspectionError),
        (400, "data_inspection_failed", "Output data may contain inappropriate content.", ContentInspectionError),
        (400, "InvalidParameter", "Range of input length should be [1, 30720]", ContextLengthError),
        (
            400,
            "invalid_parameter_error",
            "<400> InternalError.Algo.InvalidParameter: Range of input length",
            ContextLengthError,
        ),
        (400, "InvalidParameter", "Temperature should be in [0.0, 2.0)", BadRequestError),
        (400, "InvalidParameter.NotSupportEnableThinking", "no thinking", BadRequestError),
        (500, "InternalError", "An internal error has occured", ServerError),
        (503, "ModelServingError", "Too many requests", ServerError),
        (502, None, None, ServerError),
        (409, "Conflict", "deployment", APIStatusError),
        (418, None, "teapot", APIStatusError),
    ],
)
def test_classification(status: int, code: str | None, message: str | None, cls: type[APIStatusError]) -> None:
    error = classify_error(status, code, message, "rid")
    assert type(error) is cls
    assert (error.status, error.code, error.request_id) == (status, code, "rid")
    assert error.message == (message or f"HTTP {status}")


@pytest.mark.parametrize(
    ("code", "cls", "status"),
    [
        ("limit_requests", RateLimitError, 429),
        ("internal_error", ServerError, 500),
        ("invalid_api_key", AuthenticationError, 401),
        ("invalid_parameter_error", BadRequestError, 400),
    ],
)
def test_status_inferred_from_code_when_unknown(code: str, cls: type[APIStatusError], status: int) -> None:
    error = classify_error(None, code, "m")
    assert type(error) is cls and error.status == status


def test_retryable_flags() -> None:
    assert classify_error(429, "Throttling", "x").retryable
    assert classify_error(500, "InternalError", "x").retryable
    assert not classify_error(400, "Arrearage", "x").retryable


def test_native_body_and_header_request_id_fallback() -> None:
    error = error_from_body(400, b'{"code":"InvalidParameter","message":"bad"}', {"X-Request-Id": "from-header"})
    assert isinstance(error, BadRequestError)
    assert (error.code, error.message, error.request_id) == ("InvalidParameter", "bad", "from-header")


def test_compatible_body() -> None:
    body = json.dumps(
        {
            "error": {"code": "model_not_found", "message": "nope", "type": "invalid_request_error", "param": None},
            "id": "chatcmpl-1234",
            "request_id": "1234",
        }
    )
    error = error_from_body(404, body)
    assert isinstance(error, NotFoundError)
    assert (error.code, error.message, error.request_id, error.status) == ("model_not_found", "nope", "1234", 404)


def test_native_sse_error_body() -> None:
    body = (
        b"id:1\nevent:error\n:HTTP_STATUS/400\n"
        b'data:{"code":"InvalidParameter","message":"Role must be user","request_id":"r"}\n\n'
    )
    error = error_from_body(400, body)
    assert isinstance(error, BadRequestError) and error.request_id == "r" and error.message == "Role must be user"


def test_non_json_body_keeps_truncated_text() -> None:
    error = error_from_body(502, b"<html>" + b"x" * 2000 + b"</html>", {"x-request-id": "h"})
    assert isinstance(error, ServerError)
    assert error.message.startswith("<html>xxx") and len(error.message) <= 503
    assert (error.code, error.request_id) == (None, "h")


def test_empty_body() -> None:
    error = error_from_body(503, b"")
    assert isinstance(error, ServerError) and error.message == "HTTP 503"
