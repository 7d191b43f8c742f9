"""The public API is explicit: every public qwen_core module declares ``__all__``, and the package exports its
main names without importing anything on ``import qwen_core``."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import qwen_core


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(qwen_core.__path__, "qwen_core."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _public_modules())
def test_every_public_module_declares_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_the_package_exports_the_main_names_from_their_modules() -> None:
    from qwen_core.catalogue import DEFAULT_CATALOGUE
    from qwen_core.client import QwenClient
    from qwen_core.emulator import Emulator
    from qwen_core.errors import __all__ as error_names
    from qwen_core.types import ChatRequest, Message

    assert qwen_core.QwenClient is QwenClient
    assert qwen_core.ChatRequest is ChatRequest
    assert qwen_core.Message is Message
    assert qwen_core.DEFAULT_CATALOGUE is DEFAULT_CATALOGUE
    assert qwen_core.Emulator is Emulator
    assert set(error_names) <= set(qwen_core.__all__)
    for name in qwen_core.__all__:
        assert getattr(qwen_core, name) is not None
    assert set(qwen_core.__all__) <= set(dir(qwen_core))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = qwen_core.Nope  # type: ignore[attr-defined]


def test_importing_the_package_loads_nothing_else() -> None:
    code = "import sys, qwen_core\nprint('\\n'.join(sorted(m for m in sys.modules if m.startswith('qwen_core'))))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["qwen_core", "qwen_core._version"]


def test_a_name_imported_from_the_package_loads_only_its_module() -> None:
    code = "import sys\nfrom qwen_core import QwenError\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert "qwen_core.errors" in out
    assert not {"qwen_core.client", "qwen_core.emulator", "httpx", "aiohttp"} & set(out)
