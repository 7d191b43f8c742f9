"""Walls for the offline suite: no DashScope credentials or base URL leak in from the environment."""

from __future__ import annotations

import pytest

_ENV_VARS = ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "DASHSCOPE_WORKSPACE_ID", "DASHSCOPE_HTTP_BASE_URL")


@pytest.fixture(autouse=True)
def _no_dashscope_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
