"""Network field values and their expected resolved settings, shared by both adapters' connection tests."""

from __future__ import annotations

from typing import Any

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
