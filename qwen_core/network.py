"""Network settings resolved from arguments and the environment: base URL forms, proxies, TLS trust, timeouts.

Only :meth:`qwen_core.settings.QwenSettings.resolve` calls these; the transports read the resolved values and
never the environment. Every function here is pure (the environment is passed in as a mapping).

Accepted ``base_url`` forms (all map to the service root)::

    https://dashscope.aliyuncs.com                                   service root
    https://dashscope.aliyuncs.com/compatible-mode/v1                protocol base (also /api/v1, /compatible-api/v1)
    https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions           a full endpoint URL
    https://dashscope.aliyuncs.com/api/v1/services/aigc/text-generation/generation
    https://gateway.example.com/qwen                                 a gateway's root (a path prefix is kept)

Refused at construction: query strings and fragments, ``user:pass@`` credentials (send gateway credentials
as headers), and endpoint-looking paths of other services (``…/v1/chat/completions`` without the
``compatible-mode`` prefix). Credentials and query values are masked in every message.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import ssl
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from qwen_core.errors import ConfigurationError

NATIVE_PREFIX: Final = "/api/v1"
COMPATIBLE_PREFIX: Final = "/compatible-mode/v1"
COMPATIBLE_API_PREFIX: Final = "/compatible-api/v1"

#: Endpoint paths (relative to the service root) a user may paste as ``base_url``; longest first.
ENDPOINT_PATHS: Final = (
    "/api/v1/services/aigc/multimodal-generation/generation",
    "/api/v1/services/aigc/text-generation/generation",
    "/api/v1/services/embeddings/text-embedding/text-embedding",
    "/api/v1/services/rerank/text-rerank/text-rerank",
    "/compatible-mode/v1/chat/completions",
    "/compatible-mode/v1/embeddings",
    "/compatible-api/v1/reranks",
    NATIVE_PREFIX,
    COMPATIBLE_PREFIX,
    COMPATIBLE_API_PREFIX,
)
#: Path endings that name an endpoint of some other API layout: refused rather than guessed at.
_FOREIGN_ENDPOINTS: Final = ("/chat/completions", "/completions", "/embeddings", "/generation", "/reranks", "/v1")

BASE_URL_FORMS: Final = (
    "the service root (https://dashscope.aliyuncs.com), a protocol base (…/compatible-mode/v1, …/api/v1), "
    "or a full endpoint URL of either protocol (…/compatible-mode/v1/chat/completions, "
    "…/api/v1/services/aigc/text-generation/generation)"
)

#: Environment variables naming a CA bundle file, in the order they are consulted.
CA_FILE_ENV: Final = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
CA_DIR_ENV: Final = "SSL_CERT_DIR"


def redact_url(url: str) -> str:
    """``url`` with a password and every query value replaced by ``***`` (safe to show in messages).

    >>> redact_url("https://user:secret@gw.example/v1?key=abc&x=1")
    'https://user:***@gw.example/v1?key=***&x=***'
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.partition(":")[0]
            netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
        query = "&".join(f"{item.partition('=')[0]}=***" for item in parts.query.split("&")) if parts.query else ""
        return urlunsplit((parts.scheme, netloc, parts.path, query, "***" if parts.fragment else ""))
    except ValueError:
        return "<unparsable URL>"


def service_root(base_url: str) -> str:
    """Return the service root of ``base_url`` (any of the forms in this module's docstring).

    >>> service_root("https://dashscope-intl.aliyuncs.com/compatible-mode/v1/")
    'https://dashscope-intl.aliyuncs.com'
    >>> service_root("https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions")
    'https://dashscope.aliyuncs.com'

    Raises:
        ConfigurationError: not an http(s) URL, a query string, credentials, or another API's endpoint path.
    """
    url = base_url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigurationError(f"base_url {redact_url(url)!r} is not a valid URL; use {BASE_URL_FORMS}") from None
    shown = redact_url(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL: {BASE_URL_FORMS}; got {shown!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"base_url must not contain user:password credentials (got {shown!r}); use {BASE_URL_FORMS}: the "
            "API key is sent as a Bearer token, and a gateway's own credentials go in default_headers"
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ConfigurationError(
            f"base_url must not carry a query string or fragment (got {shown!r}); use {BASE_URL_FORMS}, and "
            "send gateway parameters as default_headers"
        )
    path = parts.path.rstrip("/")
    for suffix in ENDPOINT_PATHS:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    else:
        if path.endswith(_FOREIGN_ENDPOINTS):
            raise ConfigurationError(f"base_url {shown!r} is not a DashScope URL form; use {BASE_URL_FORMS}")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


# -- proxies ----------------------------------------------------------------------------------------


def resolve_proxy(
    explicit: str | None, root_url: str, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The proxy for requests to ``root_url``, and its ``Proxy-Authorization`` value (from ``user:pass@``).

    ``explicit`` wins (``""`` means no proxy, whatever the environment says); otherwise ``<scheme>_proxy``
    then ``all_proxy`` (lower case wins over upper case, as in curl), unless ``no_proxy`` matches the host.
    """
    if explicit is not None:
        return _parse_proxy(explicit, "proxy") if explicit.strip() else (None, None)
    target = urlsplit(root_url)
    for name in (f"{target.scheme}_proxy", "all_proxy"):
        for spelling in (name, name.upper()):
            value = environ.get(spelling, "").strip()
            if value:
                if _bypassed(target.hostname or "", target.port, environ):
                    return None, None
                return _parse_proxy(value, spelling)
    return None, None


def _parse_proxy(url: str, source: str) -> tuple[str, str | None]:
    """Validate a proxy URL; return it without credentials, and the basic-auth header for them."""
    value = url.strip()
    if "://" not in value:
        value = "http://" + value  # curl and requests accept a bare host:port
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{source} {redact_url(value)!r} is not a valid proxy URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{source} {redact_url(value)!r}: only http:// and https:// proxies are supported (not SOCKS); "
            "set NO_PROXY for the DashScope host, or pass proxy= explicitly"
        )
    auth = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, "", "", "")), auth


def _bypassed(host: str, port: int | None, environ: Mapping[str, str]) -> bool:
    """Whether ``no_proxy`` / ``NO_PROXY`` exempts ``host`` (``*``, host, .domain, host:port, CIDR)."""
    rules = environ.get("no_proxy") or environ.get("NO_PROXY") or ""
    host = host.lower().strip("[]")
    for rule in (item.strip().lower() for item in rules.split(",")):
        if not rule:
            continue
        if rule == "*":
            return True
        name, _, rule_port = rule.rpartition(":") if rule.count(":") == 1 else (rule, "", "")
        if rule_port and port is not None and rule_port != str(port):
            continue
        name = name.strip("[]").lstrip("*")
        if host == name.lstrip(".") or (name and host.endswith(name if name.startswith(".") else "." + name)):
            return True
        if _in_network(host, name):
            return True
    return False


def _in_network(host: str, rule: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(rule, strict=False)
    except ValueError:
        return False


def proxy_url_with_auth(proxy: str, auth: str | None) -> str:
    """``proxy`` with its credentials put back (for clients that only take them in the URL)."""
    if auth is None:
        return proxy
    user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode("utf-8").partition(":")
    parts = urlsplit(proxy)
    return urlunsplit((parts.scheme, f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.netloc}", "", "", ""))


# -- TLS ---------------------------------------------------------------------------------------------


def resolve_verify(
    explicit: bool | str | os.PathLike[str] | ssl.SSLContext | None, environ: Mapping[str, str]
) -> bool | str | ssl.SSLContext:
    """What TLS verification trusts: ``True`` (the default CA bundle), ``False``, a CA path, or a context.

    ``explicit`` wins; otherwise ``SSL_CERT_FILE``, then ``REQUESTS_CA_BUNDLE``, then ``SSL_CERT_DIR``.
    """
    if isinstance(explicit, (bool, ssl.SSLContext)):
        return explicit
    if explicit is not None:
        return _existing_path(os.fspath(explicit), "verify")
    for name in (*CA_FILE_ENV, CA_DIR_ENV):
        value = environ.get(name, "").strip()
        if value:
            return _existing_path(value, name)
    return True


def resolve_cert(cert: str | os.PathLike[str] | tuple[str, str] | None) -> tuple[str, str | None] | None:
    """A client certificate (mTLS): one PEM file holding certificate and key, or ``(cert_file, key_file)``."""
    if cert is None:
        return None
    if isinstance(cert, tuple):
        if len(cert) != 2:
            raise ConfigurationError("cert must be a PEM file path or a (certificate file, key file) pair")
        return _existing_path(cert[0], "cert"), _existing_path(cert[1], "cert key")
    return _existing_path(os.fspath(cert), "cert"), None


def _existing_path(path: str, source: str) -> str:
    if not os.path.exists(path):
        raise ConfigurationError(f"{source}: no such file or directory: {path!r}")
    return path


# -- timeouts ----------------------------------------------------------------------------------------


def resolve_timeouts(
    timeout: Any, connect_timeout: float | None, total_timeout: float | None, defaults: tuple[float, float]
) -> tuple[float, float, float | None]:
    """``(connect, read, total)`` seconds from ``timeout`` (a number or ``(connect, read)``) and the others.

    An object with ``connect`` and ``read`` attributes (``httpx.Timeout``) is read like the pair.
    """
    connect, read = connect_timeout, timeout
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise ConfigurationError("timeout must be seconds or a (connect, read) pair of seconds")
        pair_connect, read = timeout
        connect = _agree(connect, pair_connect)
    elif timeout is not None and hasattr(timeout, "connect") and hasattr(timeout, "read"):
        connect, read = _agree(connect, timeout.connect), timeout.read
    resolved_read = defaults[1] if read is None else _seconds(read, "timeout")
    resolved_connect = defaults[0] if connect is None else _seconds(connect, "connect_timeout")
    total = None if total_timeout is None else _seconds(total_timeout, "total_timeout")
    return min(resolved_connect, resolved_read), resolved_read, total


def _agree(explicit: float | None, from_timeout: float | None) -> float | None:
    if explicit is not None and from_timeout is not None and float(explicit) != float(from_timeout):
        raise ConfigurationError("connect_timeout and timeout's connect value disagree: pass one of them")
    return explicit if from_timeout is None else from_timeout


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{name} must be a number of seconds, got {type(value).__name__}")
    seconds = float(value)
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigurationError(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return seconds


__all__ = [
    "BASE_URL_FORMS",
    "COMPATIBLE_API_PREFIX",
    "COMPATIBLE_PREFIX",
    "ENDPOINT_PATHS",
    "NATIVE_PREFIX",
    "redact_url",
    "resolve_cert",
    "resolve_proxy",
    "resolve_timeouts",
    "resolve_verify",
    "service_root",
]
