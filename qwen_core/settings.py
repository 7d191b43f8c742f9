"""Connection settings: API key (held as a secret), region or base URL, workspace, timeouts, retries, network.

Settings are resolved once, explicitly, into an immutable :class:`QwenSettings`; the environment is read in
:meth:`QwenSettings.resolve` only. Nothing is process-global: two settings objects with different keys or
regions never interfere.
"""

from __future__ import annotations

import os
import platform
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Protocol

from qwen_core._version import __version__
from qwen_core.errors import ConfigurationError
from qwen_core.network import (
    COMPATIBLE_API_PREFIX,
    COMPATIBLE_PREFIX,
    NATIVE_PREFIX,
    resolve_cert,
    resolve_proxy,
    resolve_timeouts,
    resolve_verify,
    service_root,
)

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_REGION",
    "DEFAULT_TIMEOUT",
    "NETWORK_OPTIONS",
    "REGION_ROOTS",
    "WORKSPACE_ENV",
    "ConnectionOptions",
    "QwenSettings",
    "SecretStr",
    "default_user_agent",
    "region_root",
    "resolve_options",
]

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

DEFAULT_TIMEOUT: Final = 120.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_MAX_RETRIES: Final = 2


def default_user_agent(framework: str | None = None) -> str:
    """``qwen-integrations/<version> [<framework>/<version>] python/<version>`` (RFC 9110 product tokens).

    >>> default_user_agent("langchain-core/1.8.3").startswith("qwen-integrations/")
    True
    """
    products = [f"qwen-integrations/{__version__}", framework, f"python/{platform.python_version()}"]
    return " ".join(product for product in products if product)


class SecretStr:
    """A string that never shows itself in ``repr``, ``str``, logs or errors.

    It pickles with its value: a pickle exists to ship a configured object to your own process (multiprocessing,
    Ray, Spark workers), which needs the key; treat pickles like the key itself. Copies share the value.
    """

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
        return (SecretStr, (self._value,))


def region_root(region: str) -> str:
    try:
        return REGION_ROOTS[region]
    except KeyError:
        known = ", ".join(sorted(REGION_ROOTS))
        raise ConfigurationError(f"unknown region {region!r}; use one of: {known}, or pass base_url=") from None


@dataclass(frozen=True, slots=True)
class QwenSettings:
    """Resolved, immutable connection settings, network settings included.

    Use :meth:`resolve` to build one from arguments and the environment; the transports read these values and
    never the environment. What :meth:`resolve` reads (an argument given wins, ``None`` falls back):

    - ``api_key``: ``DASHSCOPE_API_KEY``; ``base_url`` (wins over ``region``): ``DASHSCOPE_BASE_URL``, any form
      listed in :mod:`qwen_core.network`; ``workspace``: ``DASHSCOPE_WORKSPACE_ID``.
    - ``timeout``: read timeout in seconds, or ``(connect, read)``; ``connect_timeout`` alone; ``total_timeout``:
      overall deadline per call and per stream (retries included).
    - ``proxy``: ``"http://[user:pass@]host:port"`` (``""``: none); else ``HTTPS_PROXY``/``HTTP_PROXY``/
      ``ALL_PROXY`` minus ``NO_PROXY`` (either case).
    - ``verify``: ``True``/``False``, a CA file or directory, or an ``ssl.SSLContext``; else ``SSL_CERT_FILE``,
      ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_DIR``; else certifi's bundle. ``cert``: client certificate (mTLS), a
      PEM file or ``(cert_file, key_file)``.
    - ``http_client`` / ``http_async_client``: an ``httpx.Client`` / ``httpx.AsyncClient`` used as given (its
      own proxy and TLS configuration apply, so ``proxy``/``verify``/``cert`` may not be passed with one).
    - ``framework`` (``"name/version"``) joins the ``User-Agent``; ``extra_headers`` are sent with every
      request and may replace any header, ``User-Agent`` included.

    Copying: ``copy.copy`` and ``copy.deepcopy`` return the same object (it is immutable; a user's
    ``ssl.SSLContext`` or httpx client is shared, never duplicated). ``pickle`` refuses with ``TypeError``:
    the API key is a secret, and an ``http_client``, ``http_async_client`` or ``ssl.SSLContext`` cannot cross
    a process boundary (pass ``verify=<CA path>`` instead of a context, and build the httpx client in the
    worker). Adapter classes re-resolve their settings from their fields after unpickling.
    """

    api_key: SecretStr
    root_url: str = REGION_ROOTS[DEFAULT_REGION]
    workspace: str | None = None
    #: Read timeout: the longest wait for the next bytes of an answer, in seconds.
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    #: Overall deadline of one call or one whole stream (retries included), in seconds; None: no deadline.
    total_timeout: float | None = None
    #: Proxy for requests to ``root_url`` (credentials removed), from ``proxy=`` or the environment.
    proxy: str | None = None
    #: ``Proxy-Authorization`` value built from the proxy URL's ``user:pass@``.
    proxy_auth: SecretStr | None = None
    #: TLS trust: True (certifi's bundle), False (no verification), a CA file or directory, or a context.
    verify: bool | str | ssl.SSLContext = True
    #: Client certificate for mTLS: (certificate file, key file or None when the first file holds both).
    cert: tuple[str, str | None] | None = None
    #: A user's ``httpx.Client`` / ``httpx.AsyncClient``, used as given instead of the built-in transports.
    http_client: Any = None
    http_async_client: Any = None
    #: ``User-Agent`` of every request (an ``extra_headers`` entry of that name wins).
    user_agent: str = field(default_factory=default_user_agent)

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

    def __copy__(self) -> QwenSettings:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> QwenSettings:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        held = [name for name in ("http_client", "http_async_client") if getattr(self, name) is not None]
        if isinstance(self.verify, ssl.SSLContext):
            held.append("verify (an ssl.SSLContext)")
        if held:
            raise TypeError(
                f"QwenSettings holding {', '.join(held)} cannot be pickled: such objects cannot cross a process "
                "boundary; pass verify=<CA file path> instead of a context and create HTTP clients in the worker"
            )
        return (_rebuild_settings, tuple(getattr(self, name) for name in _FIELDS))

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | SecretStr | None = None,
        region: str | None = None,
        base_url: str | None = None,
        workspace: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        connect_timeout: float | None = None,
        total_timeout: float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        proxy: str | None = None,
        verify: bool | str | os.PathLike[str] | ssl.SSLContext | None = None,
        cert: str | os.PathLike[str] | tuple[str, str] | None = None,
        http_client: Any | None = None,
        http_async_client: Any | None = None,
        framework: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> QwenSettings:
        """Resolve settings from explicit arguments, falling back to the environment (``None`` = default); each
        argument's sources are listed in the class docstring.

        Raises:
            ConfigurationError: no API key, an unknown region, a malformed URL, proxy or path, or a bad number.
        """
        if isinstance(api_key, str):
            api_key = SecretStr(api_key)  # a secret from here on: no raw key in this frame's locals if we raise
        environ = os.environ if env is None else env
        url = base_url or environ.get(BASE_URL_ENV)
        root = service_root(url) if url else region_root(region or DEFAULT_REGION)
        connect, read, total = resolve_timeouts(timeout, connect_timeout, total_timeout, _DEFAULT_TIMEOUTS)
        retries = _resolve_retries(max_retries)
        _check_own_client(http_client, http_async_client, proxy=proxy, verify=verify, cert=cert)
        proxy_url, proxy_auth = resolve_proxy(proxy, root, environ)
        return cls(
            _resolve_key(api_key, environ), root, workspace or environ.get(WORKSPACE_ENV) or None,
            timeout=read, connect_timeout=connect, total_timeout=total, max_retries=retries,
            extra_headers=MappingProxyType(dict(extra_headers or {})),
            proxy=proxy_url, proxy_auth=None if proxy_auth is None else SecretStr(proxy_auth),
            verify=resolve_verify(verify, environ), cert=resolve_cert(cert),
            http_client=http_client, http_async_client=http_async_client, user_agent=default_user_agent(framework),
        )


_FIELDS: Final = tuple(QwenSettings.__dataclass_fields__)
_DEFAULT_TIMEOUTS: Final = (DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT)


def _rebuild_settings(*values: Any) -> QwenSettings:
    return QwenSettings(*values)


def _check_own_client(http_client: Any, http_async_client: Any, **network: object) -> None:
    """A user's httpx client carries its own proxy and TLS set-up: ours may not be passed beside it."""
    given = [name for name, value in network.items() if value is not None]
    if given and (http_client is not None or http_async_client is not None):
        raise ConfigurationError(
            f"{', '.join(given)} cannot be combined with http_client/http_async_client: configure them on the "
            "httpx client you pass (httpx.Client(proxy=..., verify=..., cert=...))"
        )
    for name, client, expected in (("http_client", http_client, "Client"),
                                   ("http_async_client", http_async_client, "AsyncClient")):
        if client is not None and not _is_httpx(client, expected):
            raise ConfigurationError(f"{name} must be an httpx.{expected}, got {type(client).__name__}")


def _is_httpx(client: Any, expected: str) -> bool:
    import sys

    httpx = sys.modules.get("httpx")  # a user who passes an httpx client has imported httpx
    return httpx is not None and isinstance(client, getattr(httpx, expected))


def _resolve_retries(max_retries: int | None) -> int:
    retries = DEFAULT_MAX_RETRIES if max_retries is None else int(max_retries)
    if retries < 0:
        raise ConfigurationError("max_retries must be >= 0")
    return retries


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


#: Optional network fields an adapter class may declare; read with ``getattr`` so undeclared ones stay default.
NETWORK_OPTIONS: Final = (
    "connect_timeout", "total_timeout", "proxy", "verify", "cert", "http_client", "http_async_client"
)


def resolve_options(options: ConnectionOptions) -> QwenSettings:
    """:meth:`QwenSettings.resolve` for an adapter's connection fields (environment fallbacks included).

    Fields named like :data:`NETWORK_OPTIONS` are passed on when the adapter class declares them.
    """
    network = {name: getattr(options, name, None) for name in NETWORK_OPTIONS}
    return QwenSettings.resolve(
        api_key=options.api_key.get_secret_value() if options.api_key is not None else None,
        region=options.region,
        base_url=options.base_url,
        workspace=options.workspace,
        timeout=options.timeout,
        max_retries=options.max_retries,
        **network,
        extra_headers=getattr(options, "default_headers", None),  # headers for every request
        framework=getattr(options, "framework", None),  # "name/version" for the User-Agent
    )
