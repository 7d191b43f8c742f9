"""Connection settings: API key (held as a secret), region or base URL, workspace, timeouts, retries.

Settings are resolved once, explicitly, into an immutable :class:`QwenSettings`; the environment is read in
:meth:`QwenSettings.resolve` only. Nothing is process-global: two settings objects with different keys or
regions never interfere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Protocol
from urllib.parse import urlsplit

from qwen_core.errors import ConfigurationError

API_KEY_ENV: Final = "DASHSCOPE_API_KEY"
BASE_URL_ENV: Final = "DASHSCOPE_BASE_URL"
WORKSPACE_ENV: Final = "DASHSCOPE_WORKSPACE_ID"

#: Service root of each region's DashScope domain (protocol paths are appended to it).
REGION_ROOTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "cn-beijing": "https://dashscope.aliyuncs.com",
        "ap-southeast-1": "https://dashscope-intl.aliyuncs.com",
        "us-east-1": "https://dashscope-us.aliyuncs.com",
        "cn-hongkong": "https://cn-hongkong.dashscope.aliyuncs.com",
    }
)
DEFAULT_REGION: Final = "cn-beijing"

NATIVE_PREFIX: Final = "/api/v1"
COMPATIBLE_PREFIX: Final = "/compatible-mode/v1"
COMPATIBLE_API_PREFIX: Final = "/compatible-api/v1"
_PROTOCOL_SUFFIXES: Final = (NATIVE_PREFIX, COMPATIBLE_PREFIX, COMPATIBLE_API_PREFIX)

DEFAULT_TIMEOUT: Final = 120.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_MAX_RETRIES: Final = 2


class SecretStr:
    """A string that never shows itself in ``repr``, ``str``, logs or pickles of its holder."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("SecretStr cannot be pickled: it holds an API key")


def service_root(base_url: str) -> str:
    """Return the service root of ``base_url``, which may end in ``/api/v1`` or ``/compatible-mode/v1``.

    >>> service_root("https://dashscope-intl.aliyuncs.com/compatible-mode/v1/")
    'https://dashscope-intl.aliyuncs.com'
    """
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"base_url must be an http(s) URL such as 'https://dashscope-intl.aliyuncs.com', got {base_url!r}"
        )
    for suffix in _PROTOCOL_SUFFIXES:
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def region_root(region: str) -> str:
    try:
        return REGION_ROOTS[region]
    except KeyError:
        known = ", ".join(sorted(REGION_ROOTS))
        raise ConfigurationError(f"unknown region {region!r}; use one of: {known}, or pass base_url=") from None


@dataclass(frozen=True, slots=True)
class QwenSettings:
    """Resolved, immutable connection settings.

    Use :meth:`resolve` to build one from arguments and the environment.
    """

    api_key: SecretStr
    root_url: str = REGION_ROOTS[DEFAULT_REGION]
    workspace: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def native_base(self) -> str:
        """Base URL of the native DashScope API (``…/api/v1``)."""
        return self.root_url + NATIVE_PREFIX

    @property
    def compatible_base(self) -> str:
        """Base URL of the OpenAI-compatible endpoint (``…/compatible-mode/v1``)."""
        return self.root_url + COMPATIBLE_PREFIX

    @property
    def compatible_api_base(self) -> str:
        """Base URL of the compatible rerank API (``…/compatible-api/v1``)."""
        return self.root_url + COMPATIBLE_API_PREFIX

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | SecretStr | None = None,
        region: str | None = None,
        base_url: str | None = None,
        workspace: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> QwenSettings:
        """Resolve settings from explicit arguments, falling back to the environment.

        ``api_key`` falls back to ``DASHSCOPE_API_KEY``, ``base_url`` to ``DASHSCOPE_BASE_URL``, ``workspace`` to
        ``DASHSCOPE_WORKSPACE_ID``. ``base_url`` wins over ``region``.

        Raises:
            ConfigurationError: no API key, an unknown region, a malformed URL or a negative number.
        """
        environ = os.environ if env is None else env
        key = _resolve_key(api_key, environ)
        url = base_url or environ.get(BASE_URL_ENV)
        if url:
            root = service_root(url)
        else:
            root = region_root(region or DEFAULT_REGION)
        resolved_timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        resolved_connect = DEFAULT_CONNECT_TIMEOUT if connect_timeout is None else float(connect_timeout)
        retries = DEFAULT_MAX_RETRIES if max_retries is None else int(max_retries)
        if resolved_timeout <= 0 or resolved_connect <= 0:
            raise ConfigurationError("timeout and connect_timeout must be positive numbers of seconds")
        if retries < 0:
            raise ConfigurationError("max_retries must be >= 0")
        return cls(
            api_key=key,
            root_url=root,
            workspace=workspace or environ.get(WORKSPACE_ENV) or None,
            timeout=resolved_timeout,
            connect_timeout=min(resolved_connect, resolved_timeout),
            max_retries=retries,
            extra_headers=MappingProxyType(dict(extra_headers or {})),
        )


def _resolve_key(api_key: str | SecretStr | None, environ: Mapping[str, str]) -> SecretStr:
    if isinstance(api_key, SecretStr):
        value = api_key.get_secret_value()
    elif api_key is not None:
        value = api_key
    else:
        value = environ.get(API_KEY_ENV, "")
    value = value.strip()
    if not value:
        raise ConfigurationError(
            f"no DashScope API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
        )
    return SecretStr(value)


class _HasSecret(Protocol):
    def get_secret_value(self) -> str: ...


class ConnectionOptions(Protocol):
    """The connection fields every adapter class declares (framework models satisfy this structurally)."""

    @property
    def api_key(self) -> _HasSecret | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def workspace(self) -> str | None: ...
    @property
    def timeout(self) -> float | None: ...
    @property
    def max_retries(self) -> int | None: ...


def resolve_options(options: ConnectionOptions) -> QwenSettings:
    """:meth:`QwenSettings.resolve` for an adapter's connection fields (environment fallbacks included)."""
    return QwenSettings.resolve(
        api_key=options.api_key.get_secret_value() if options.api_key is not None else None,
        region=options.region,
        base_url=options.base_url,
        workspace=options.workspace,
        timeout=options.timeout,
        max_retries=options.max_retries,
    )
