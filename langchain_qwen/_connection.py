"""The connection model of the three LangChain classes: where and how to reach the service, one lazy client.

The same fields, names and aliases as ``llama_index_qwen._connection.QwenConnection`` (see
:mod:`qwen_core.arguments` for the aliases and :mod:`qwen_core.lazy_client` for copies and pickles).
"""

from __future__ import annotations

import ssl
from typing import Any, ClassVar, Literal

import langchain_core
from langchain_core.utils import secret_from_env
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from qwen_core.arguments import check_model_arguments
from qwen_core.catalogue import DEFAULT_CATALOGUE, ModelCatalogue
from qwen_core.embedding import DEFAULT_MAX_CONCURRENCY
from qwen_core.lazy_client import ConnectionState, OwnsLazyClient, check_picklable
from qwen_core.settings import API_KEY_ENV


class QwenConnection(OwnsLazyClient, BaseModel):
    """Where and how to reach the service; settings resolved once, one lazily created client per instance."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), arbitrary_types_allowed=True)
    framework: ClassVar[str] = f"langchain-core/{langchain_core.__version__}"
    escape_hatch: ClassVar[str | None] = None
    #: Constructor keywords the framework accepts besides the fields.
    framework_keywords: ClassVar[frozenset[str]] = frozenset()

    api: Literal["compatible", "dashscope"] = "dashscope"
    """Wire protocol: native (``"dashscope"``) or OpenAI-compatible (``"compatible"``)."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env(API_KEY_ENV, default=None),
        validation_alias=AliasChoices("api_key", "dashscope_api_key"),
    )
    """DashScope API key (alias ``dashscope_api_key``); read from ``DASHSCOPE_API_KEY`` when not given."""
    region: str | None = None
    """Region (``cn-beijing`` default, ``ap-southeast-1``, ``us-east-1``, ``cn-hongkong``)."""
    base_url: str | None = Field(default=None, validation_alias=AliasChoices("base_url", "api_base"))
    """Service root or protocol base URL (alias ``api_base``); wins over ``region``; else ``DASHSCOPE_BASE_URL``."""
    workspace: str | None = None
    """Workspace id (``X-DashScope-WorkSpace``); falls back to ``DASHSCOPE_WORKSPACE_ID``."""
    timeout: float | tuple[float, float] | None = Field(
        default=None, validation_alias=AliasChoices("timeout", "request_timeout")
    )
    """Read timeout in seconds, or ``(connect, read)`` (alias ``request_timeout``; default 10 s and 120 s)."""
    total_timeout: float | None = None
    """Deadline of one call or one whole stream in seconds, retries included (default: none)."""
    max_retries: int | None = None
    """Retries per request on throttling, server and connection errors (default 2)."""
    proxy: str | None = Field(default=None, exclude=True, repr=False)
    """Proxy URL ``http://[user:pass@]host:port`` (``""``: none); default from ``HTTPS_PROXY``/``HTTP_PROXY``/
    ``ALL_PROXY`` minus ``NO_PROXY``. Never serialized or shown (it may hold credentials)."""
    verify: bool | str | ssl.SSLContext | None = Field(default=None, exclude=True)
    """TLS trust: ``True``/``False``, a CA file or directory, or an ``ssl.SSLContext``; default from
    ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE``/``SSL_CERT_DIR``, else certifi. Not serialized."""
    cert: str | tuple[str, str] | None = None
    """Client certificate (mTLS): a PEM file holding both, or ``(cert_file, key_file)``."""
    http_client: Any = Field(default=None, exclude=True, repr=False)
    """An ``httpx.Client`` used as given for sync calls (its own proxy and TLS settings apply). Not serialized."""
    http_async_client: Any = Field(
        default=None, exclude=True, repr=False, validation_alias=AliasChoices("http_async_client", "async_http_client")
    )
    """An ``httpx.AsyncClient`` used as given for async calls (alias ``async_http_client``). Not serialized."""
    default_headers: dict[str, str] | None = Field(default=None, repr=False)
    """Headers sent with every request (e.g. ``X-DashScope-DataInspection``, a gateway's auth); they replace the
    library's headers of the same name, ``User-Agent`` included."""

    catalogue: ModelCatalogue | None = Field(default=None, exclude=True, repr=False)
    """The model facts to consult (limits, capabilities) instead of the built-in catalogue
    (``qwen_core.catalogue.DEFAULT_CATALOGUE``), e.g. ``ModelCatalogue()`` with your own models registered.
    Not serialized; copies and pickles carry it."""

    _state: ConnectionState = PrivateAttr(default_factory=ConnectionState)

    @model_validator(mode="before")
    @classmethod
    def _check_arguments(cls, data: Any) -> Any:
        """Unknown keywords raise (naming the nearest valid one) instead of being dropped."""
        return check_model_arguments(cls, data)

    @model_validator(mode="after")
    def _resolve_connection(self) -> Self:
        """Resolve the settings once (a missing key or bad URL fails here, before any request)."""
        self._connect()
        return self

    @property
    def model_catalogue(self) -> ModelCatalogue:
        """The catalogue this instance consults: ``catalogue``, or the built-in one."""
        return self.catalogue or DEFAULT_CATALOGUE

    def __getstate__(self) -> dict[Any, Any]:
        check_picklable(self)
        return BaseModel.__getstate__(self)

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": API_KEY_ENV}


class QwenBatchConnection(QwenConnection):
    """The connection of the classes that send many requests per call (embeddings, rerank)."""

    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1)
    """Requests in flight at once on the async path, across all calls on this instance."""

