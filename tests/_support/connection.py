"""What both adapters' connection tests share: building a class against the emulator, the headers it sends, the
copy/pickle round trip, network field values and their expected resolved settings."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

from qwen_core.emulator import Emulator
from tests._support.constants import API_KEY

T = TypeVar("T")

#: Network fields as a user passes them (the proxy URL carries a credential that must never be shown).
NETWORK_FIELDS: dict[str, Any] = {
    "timeout": (2, 20), "total_timeout": 60, "proxy": "http://user:proxy-secret@127.0.0.1:3128", "verify": False,
    "cert": None,
}
PROXY_SECRET = "proxy-secret"


def check_network_settings(model: Any) -> None:
    """``model`` was built with :data:`NETWORK_FIELDS`: its resolved settings carry them."""
    settings = model.settings
    assert (settings.connect_timeout, settings.timeout, settings.total_timeout) == (2.0, 20.0, 60.0)
    assert (settings.proxy, settings.verify) == ("http://127.0.0.1:3128", False)


def build(cls: type[T], emu: Emulator, **fields: Any) -> T:
    """``cls`` against ``emu`` with the suite's key and no retries unless ``fields`` say otherwise (closing it is
    the caller's business; the suite's ``make`` fixture does it)."""
    return cls(**{"api_key": API_KEY, "base_url": emu.base_url, "max_retries": 0, **fields})


#: A header the service documents (content inspection), as a user sets it in ``default_headers``.
INSPECTION_HEADER = {"X-DashScope-DataInspection": '{"input":"cip"}'}


def sent_headers_and_user_agent(model: Any, use: Callable[[Any], Any], emu: Emulator, framework: str) -> str:
    """``model`` was built with ``default_headers=INSPECTION_HEADER``: one call (``use``) sends it, with a User-Agent
    naming this package and ``framework`` (e.g. ``langchain-core/1.8.3``); returns that User-Agent."""
    use(model)
    headers = emu.requests.last.headers
    assert headers["x-dashscope-datainspection"] == INSPECTION_HEADER["X-DashScope-DataInspection"]
    agent = str(headers["user-agent"])
    assert agent.startswith("qwen-integrations/") and framework in agent
    return agent


def check_copies_round_trip(model: Any, use: Callable[[Any], Any], emu: Emulator) -> None:
    """``model`` was built with ``default_headers={"X-A": "1"}``: its copy, deep copy and pickle round trip dump
    alike, keep the key, answer what it answers (``use(model)``) and send its headers; a deep copy opens its own
    connections."""
    first = use(model)
    for clone in (copy.copy(model), copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.model_dump() == model.model_dump()
        assert clone.api_key.get_secret_value() == API_KEY  # the key travels (the documented pickle rule)
        assert use(clone) == first
        assert emu.requests.last.headers["x-a"] == "1"
    assert copy.deepcopy(model).client is not model.client  # a deep copy opens its own connections
