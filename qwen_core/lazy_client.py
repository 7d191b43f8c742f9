"""`LazyClient`: the one :class:`QwenClient` an adapter instance owns, created on first use.

Every adapter class (chat model, embeddings, reranker) holds one of these through :class:`OwnsLazyClient`, so
connections are pooled per instance, nothing is opened at construction, and ``close``/``aclose`` release the
pools (a later call opens new ones).

Copies and pickles (one rule for all six classes): an instance's fields travel, the key included (a pickle exists
to ship a configured object to your own workers); what is derived from them (settings, client, pools, locks,
cached request defaults) never does. It is rebuilt lazily from the fields on first use, so a deep copy or an
unpickled object opens its own connections; a shallow copy shares its original's pool while its connection
settings are equal (a pool is thread-safe), and gets its own as soon as they differ. Objects a user hands in
(``http_client``, ``http_async_client``, an ``ssl.SSLContext`` as ``verify``) are shared by every copy, deep
ones included, and make pickling fail with a ``TypeError`` saying what to pass instead: they cannot cross a
process boundary (create them in the worker).
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import TYPE_CHECKING, Any, Final

from qwen_core.catalogue import ModelCatalogue
from qwen_core.embedding import ConcurrencyLimiter
from qwen_core.settings import QwenSettings, resolve_options
from qwen_core.types import Api

if TYPE_CHECKING:
    from qwen_core.client import QwenClient


__all__ = ["LIVE_OBJECT_FIELDS", "ConnectionState", "LazyClient", "OwnsLazyClient", "check_picklable", "live_objects"]

#: Connection fields whose values a user hands in as live objects: shared by copies, never pickled.
LIVE_OBJECT_FIELDS: Final = ("http_client", "http_async_client", "verify")


def live_objects(owner: object) -> dict[str, object]:
    """The live objects among ``owner``'s connection fields (HTTP clients, an ``ssl.SSLContext``)."""
    found: dict[str, object] = {}
    for name in LIVE_OBJECT_FIELDS:
        value = getattr(owner, name, None)
        if value is not None and (name != "verify" or isinstance(value, ssl.SSLContext)):
            found[name] = value
    return found


def check_picklable(owner: object) -> None:
    """Raise ``TypeError`` when ``owner`` holds objects that cannot cross a process boundary."""
    held = live_objects(owner)
    if held:
        raise TypeError(
            f"{type(owner).__name__} holding {', '.join(sorted(held))} cannot be pickled: such objects cannot cross "
            "a process boundary; pass verify=<CA file path> instead of an SSLContext and create HTTP clients in "
            "the worker"
        )


class LazyClient:
    """A thread-safe holder of one :class:`QwenClient` for fixed settings, protocol and catalogue."""

    __slots__ = ("_api", "_catalogue", "_client", "_lock", "_pid", "_settings")

    def __init__(self, settings: QwenSettings, api: Api, catalogue: ModelCatalogue | None = None) -> None:
        self._settings = settings
        self._api: Api = api
        self._catalogue = catalogue
        self._client: QwenClient | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _locked(self) -> threading.Lock:
        """The lock; a fresh one in a forked child (a parent's thread may have held it at fork time).

        The client itself is kept across a fork: its transports give the child fresh pools.
        """
        if self._pid != os.getpid():
            self._lock, self._pid = threading.Lock(), os.getpid()
        return self._lock

    @property
    def settings(self) -> QwenSettings:
        return self._settings

    @property
    def api(self) -> Api:
        return self._api

    @property
    def catalogue(self) -> ModelCatalogue | None:
        return self._catalogue

    def get(self) -> QwenClient:
        """The client, created on first call and reused afterwards."""
        client = self._client
        if client is None:
            with self._locked():
                if self._client is None:
                    from qwen_core.client import QwenClient

                    self._client = QwenClient(self._settings, api=self._api, catalogue=self._catalogue)
                client = self._client
        return client

    def _take(self) -> QwenClient | None:
        with self._locked():
            client, self._client = self._client, None
        return client

    def close(self) -> None:
        """Close the sync connection pool."""
        client = self._take()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the sync pool and this event loop's async pool."""
        client = self._take()
        if client is not None:
            await client.aclose()

    def __repr__(self) -> str:
        return f"LazyClient(api={self._api!r}, open={self._client is not None})"


class ConnectionState:
    """What an adapter instance derives from its fields, and the field dict it was derived from.

    ``fields`` is the instance's ``__dict__`` at derivation time: field assignment empties it (see
    :meth:`OwnsLazyClient.__setattr__`) and every copy has a dict of its own, so derived values are never used
    for another field set. Copies and pickles of this object are empty (see the module docstring).
    """

    __slots__ = ("clients", "fields", "limiter", "request_defaults")

    def __init__(self) -> None:
        self.fields: dict[str, Any] | None = None
        self.clients: LazyClient | None = None
        self.limiter: ConcurrencyLimiter | None = None
        #: An adapter's cached request options built from its fields (its own format).
        self.request_defaults: Any = None

    def __reduce__(self) -> tuple[type[ConnectionState], tuple[()]]:
        return (ConnectionState, ())

    def __deepcopy__(self, memo: dict[int, Any]) -> ConnectionState:
        return ConnectionState()


class OwnsLazyClient:
    """Mixin for the adapters' pydantic connection models: the one way an adapter holds its client.

    The class declares the connection fields (:class:`~qwen_core.settings.ConnectionOptions`), optionally
    ``max_concurrency`` (async requests in flight) and ``catalogue`` (a :class:`ModelCatalogue` the client
    consults instead of the built-in one), and a private attribute ``_state`` (a
    :class:`ConnectionState`); it calls :meth:`_connect` after validation so a missing key or a bad URL fails at
    construction.
    """

    api: Api
    __dict__: dict[str, Any]
    __pydantic_private__: dict[str, Any] | None

    def _connect(self) -> None:
        """Resolve the settings now (errors at construction) and keep them for the first call."""
        self._refresh(ConnectionState())

    def _connection(self) -> ConnectionState:
        """This instance's derived state, rebuilt first when its fields changed or it is a fresh copy."""
        state: ConnectionState = self.__pydantic_private__["_state"]  # type: ignore[index]  # set by _connect
        if state.fields is not self.__dict__:
            state = self._refresh(state)
        return state

    def _refresh(self, old: ConnectionState) -> ConnectionState:
        settings = resolve_options(self)  # type: ignore[arg-type]  # the subclass declares the fields
        state = ConnectionState()
        clients, catalogue = old.clients, getattr(self, "catalogue", None)
        same = clients is not None and (clients.settings, clients.api) == (settings, self.api)
        same = same and clients is not None and clients.catalogue is catalogue
        state.clients = clients if same and clients is not None else LazyClient(settings, self.api, catalogue)
        limit = getattr(self, "max_concurrency", None)  # only the classes that send many requests per call
        limiter = old.limiter
        if limit is not None:
            same_limit = limiter is not None and limiter.limit == limit
            state.limiter = limiter if same_limit and limiter is not None else ConcurrencyLimiter(limit)
        state.fields = self.__dict__
        self.__pydantic_private__["_state"] = state  # type: ignore[index]  # pydantic's private storage
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        """A deep copy shares the live objects a user handed in (HTTP clients, an SSLContext)."""
        memo = {} if memo is None else memo
        for value in live_objects(self).values():
            memo[id(value)] = value
        return super().__deepcopy__(memo)  # type: ignore[misc]  # pydantic's BaseModel, after this mixin

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        private = self.__pydantic_private__
        if private and not name.startswith("_"):
            state = private.get("_state")
            if state is not None:
                state.fields = None  # a field changed: derive again on the next call

    @property
    def settings(self) -> QwenSettings:
        """The resolved connection settings (immutable)."""
        clients = self._connection().clients
        assert clients is not None  # set by _refresh
        return clients.settings

    @property
    def client(self) -> QwenClient:
        """The instance's one :class:`QwenClient`, created on first use (its connection pools are reused)."""
        clients = self._connection().clients
        assert clients is not None  # set by _refresh
        return clients.get()

    @property
    def _limiter(self) -> ConcurrencyLimiter:
        limiter = self._connection().limiter
        assert limiter is not None  # set by _refresh
        return limiter

    def close(self) -> None:
        """Close the client's sync connection pool (a later call opens a new one)."""
        clients = self._connection().clients
        if clients is not None:
            clients.close()

    async def aclose(self) -> None:
        """Close the client's connection pools (sync, and this event loop's async one)."""
        clients = self._connection().clients
        if clients is not None:
            await clients.aclose()

