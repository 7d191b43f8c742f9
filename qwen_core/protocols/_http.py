"""The HTTP side both protocols share: case-insensitive header lookup, the masked ``Authorization`` value, the
request headers, and a JSON ``POST`` as a :class:`~qwen_core.protocols.base.WireRequest`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qwen_core.protocols._json import dumps_body
from qwen_core.protocols.base import WireRequest

if TYPE_CHECKING:
    from qwen_core.settings import QwenSettings


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup (``name`` lower-case)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


class AuthorizationValue(str):
    """The ``Authorization`` header value: a real ``str`` for the HTTP clients, masked wherever it is shown.

    ``repr`` (what tracebacks rendered with locals, error trackers, debuggers and ``repr`` of the headers dict or
    of a :class:`~qwen_core.protocols.base.WireRequest` print, including the HTTP libraries' own frames) never
    shows the key, and it refuses to be pickled, like :class:`~qwen_core.settings.SecretStr`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'Bearer **********'"

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("the Authorization header cannot be pickled: it holds an API key")


def base_headers(
    settings: QwenSettings, *, stream: bool, native: bool, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Auth, content type, stream switch (native: header only, docs/protocol.md#q2), workspace, User-Agent, then the
    user's headers.

    The user's headers (``settings.extra_headers``, i.e. ``default_headers``, then the call's ``extra``) replace
    a header of the same name in any letter case, so a gateway may get its own ``User-Agent`` or ``Authorization``.
    """
    headers = {
        "Authorization": AuthorizationValue(f"Bearer {settings.api_key.get_secret_value()}"),
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "User-Agent": settings.user_agent,
    }
    if stream and native:
        # the only switch the native API honours; no body field (docs/protocol.md#q2)
        headers["X-DashScope-SSE"] = "enable"
    if settings.workspace:
        headers["X-DashScope-WorkSpace"] = settings.workspace
    if settings.extra_headers:
        _merge_headers(headers, settings.extra_headers)
    if extra:
        _merge_headers(headers, extra)
    return headers


def _merge_headers(headers: dict[str, str], extra: Mapping[str, str]) -> None:
    """Set each of ``extra`` in ``headers``, replacing a same-named header whatever its letter case (a user's own
    ``Authorization``, e.g. a gateway's credential, is masked like the library's)."""
    lower = {name.lower(): name for name in headers}
    for name, value in extra.items():
        key = name.lower()
        existing = lower.get(key)
        if existing is not None and existing != name:
            del headers[existing]
        headers[name] = AuthorizationValue(value) if key == "authorization" else value
        lower[key] = name


def post_json(
    url: str,
    settings: QwenSettings,
    payload: Mapping[str, Any],
    *,
    native: bool,
    stream: bool = False,
    timeout: float | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> WireRequest:
    """A ``POST`` of ``payload`` as JSON to ``url``, with :func:`base_headers`."""
    return WireRequest(
        url=url,
        headers=base_headers(settings, stream=stream, native=native, extra=extra_headers),
        body=dumps_body(payload),
        stream=stream,
        timeout=timeout,
    )
