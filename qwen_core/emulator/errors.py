"""The error type handlers raise, and the native / compatible error bodies built from it."""

from __future__ import annotations

from typing import Any

__all__ = [
    "EmulatedError",
    "compat_code_and_type",
    "compat_error_body",
    "invalid",
    "model_not_found",
    "native_error_body",
]

_COMPAT_CODES = {
    "InvalidParameter": ("invalid_parameter_error", "invalid_request_error"),
    "InvalidApiKey": ("invalid_api_key", "invalid_request_error"),
    "ModelNotFound": ("model_not_found", "invalid_request_error"),
    "DataInspectionFailed": ("data_inspection_failed", "data_inspection_failed"),
    "Throttling.RateQuota": ("limit_requests", "limit_requests"),
    "Throttling": ("limit_requests", "limit_requests"),
    "Throttling.AllocationQuota": ("insufficient_quota", "insufficient_quota"),
    "InternalError": ("internal_error", "internal_error"),
    "Arrearage": ("Arrearage", "Arrearage"),
}


class EmulatedError(Exception):
    """A request the service rejects: HTTP ``status``, native ``code`` and ``message``.

    ``compat_code`` overrides the compatible-mode code (otherwise mapped from the native one).
    """

    def __init__(self, status: int, code: str, message: str, compat_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.compat_code = compat_code


def invalid(message: str, code: str = "InvalidParameter") -> EmulatedError:
    """A 400 ``InvalidParameter`` (or ``code``) error."""
    return EmulatedError(400, code, message)


def model_not_found(model: str, protocol: str) -> EmulatedError:
    """An unknown model: 404 ``model_not_found`` in compatible mode, 400 "Model not exist." natively
    (docs/protocol.md#q13)."""
    if protocol == "compatible":
        return EmulatedError(404, "ModelNotFound",
                        f"The model `{model}` does not exist or you do not have access to it.", "model_not_found")
    return invalid("Model not exist.")


def compat_code_and_type(code: str) -> tuple[str, str]:
    """The compatible-mode ``(code, type)`` pair for a native error code."""
    if code in _COMPAT_CODES:
        return _COMPAT_CODES[code]
    if code.startswith("InvalidParameter") or code.startswith("BadRequest"):
        return "invalid_parameter_error", "invalid_request_error"
    return code, code


def native_error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    """``{"code","message","request_id"}``."""
    return {"code": code, "message": message, "request_id": request_id}


def compat_error_body(code: str, message: str, request_id: str, compat_code: str | None = None) -> dict[str, Any]:
    """``{"error":{code,message,param,type},"id","request_id"}``."""
    mapped, kind = compat_code_and_type(code)
    return {
        "error": {"code": compat_code or mapped, "message": message, "param": None, "type": kind},
        "id": f"chatcmpl-{request_id}",
        "request_id": request_id,
    }
