"""The connection model of the three LlamaIndex classes: where and how to reach the service, one lazy client.

The same fields, names and aliases as ``langchain_qwen._connection.QwenConnection`` (see
:mod:`qwen_core.arguments` for the aliases and :mod:`qwen_core.lazy_client` for copies and pickles).
"""

from __future__ import annotations

import os
import ssl
from typing import Any, ClassVar, Literal

import llama_index.core
from llama_index.core.bridge.pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from pydantic import AliasChoices
from typing_extensions import Self

from qwen_core.arguments import check_model_arguments
from qwen_core.embedding import DEFAULT_MAX_CONCURRENCY
from qwen_core.lazy_client import ConnectionState, OwnsLazyClient, check_picklable
from qwen_core.settings import API_KEY_ENV


def _key_from_env() -> SecretStr | None:
    value = os.environ.get(API_KEY_ENV)
    return SecretStr(value) if value else None


class QwenConnection(OwnsLazyClient, BaseModel):
    """Where and how to reach the service; settings resolved once, one lazily created client per instance."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    framework: ClassVar[str] = f"llama-index-core/{llama_index.core.__version__}"
    escape_hatch: ClassVar[str | None] = None

    api: Literal["compatible", "dashscope"] = Field(default="dashscope", description="Wire protocol.")
    api_key: SecretStr | None = Field(
        default_factory=_key_from_env,
        validation_alias=AliasChoices("api_key", "dashscope_api_key"),
        exclude=True,
        repr=False,
        description="DashScope API key (alias dashscope_api_key; default: DASHSCOPE_API_KEY); never serialized.",
    )
    region: str | None = Field(default=None, description="Region, e.g. cn-beijing or ap-southeast-1.")
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("base_url", "api_base"),
        description="Service root or protocol base URL (alias api_base); wins over region.",
    )
    workspace: str | None = Field(default=None, description="Workspace id (X-DashScope-WorkSpace).")
    timeout: float | tuple[float, float] | None = Field(
        default=None,
        validation_alias=AliasChoices("timeout", "request_timeout"),
        description="Read timeout in seconds, or (connect, read) (alias request_timeout; default 10 s and 120 s).",
    )
    total_timeout: float | None = Field(
        default=None, description="Deadline of one call or one whole stream, retries included (default: none)."
    )
    max_retries: int | None = Field(default=None, description="Retries per request (default 2).")
    proxy: str | None = Field(
        default=None, exclude=True, repr=False,
        description="Proxy URL (default from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY); never serialized or shown.",
    )
    verify: bool | str | ssl.SSLContext | None = Field(
        default=None, exclude=True,
        description="TLS trust: True/False, a CA file or directory, or an ssl.SSLContext; not serialized.",
    )
    cert: str | tuple[str, str] | None = Field(
        default=None, description="Client certificate (mTLS): one PEM file, or (cert_file, key_file)."
    )
    http_client: Any = Field(
        default=None, exclude=True, repr=False, description="An httpx.Client used as given for sync calls."
    )
    http_async_client: Any = Field(
        default=None, exclude=True, repr=False,
        validation_alias=AliasChoices("http_async_client", "async_http_client"),
        description="An httpx.AsyncClient used as given for async calls (alias async_http_client).",
    )
    default_headers: dict[str, str] | None = Field(
        default=None, repr=False, description="Headers sent with every request; they replace same-named ones."
    )

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

    # LlamaIndex's BaseComponent pickles by trying pickle.dumps on every value and dropping (with a warning) what
    # fails, then re-runs __init__; these classes pickle like any pydantic model (derived state rebuilds itself).
    def __getstate__(self) -> dict[Any, Any]:
        check_picklable(self)
        return BaseModel.__getstate__(self)

    __setstate__ = BaseModel.__setstate__


class QwenBatchConnection(QwenConnection):
    """The connection of the classes that send many requests per call (embeddings, rerank)."""

    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1, description="Requests in flight (async).")
