"""``qwen_core.lazy_exports``: a package's public names imported on first access, as both adapters use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(tmp_path: Path, code: str) -> list[str]:
    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from qwen_core.lazy_exports import lazy_exports\n"
        "__getattr__, __dir__ = lazy_exports(__name__, {'Heavy': 'lazypkg.heavy'})\n"
        "EAGER = 1\n"
    )
    (package / "heavy.py").write_text("class Heavy:\n    pass\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_a_lazy_name_is_imported_on_first_access_and_kept(tmp_path: Path) -> None:
    code = (
        "import sys, lazypkg\n"
        "print('lazypkg.heavy' in sys.modules, 'Heavy' in dir(lazypkg), 'EAGER' in dir(lazypkg))\n"
        "from lazypkg import Heavy\n"
        "print('lazypkg.heavy' in sys.modules, vars(lazypkg)['Heavy'] is Heavy, Heavy.__module__)\n"
    )
    assert run(tmp_path, code) == ["False", "True", "True", "True", "True", "lazypkg.heavy"]


def test_an_unknown_name_raises_attribute_error(tmp_path: Path) -> None:
    code = (
        "import lazypkg\n"
        "try:\n    lazypkg.Missing\nexcept AttributeError as error:\n    print(type(error).__name__, error)\n"
        "print(hasattr(lazypkg, 'Missing'))\n"
    )
    assert run(tmp_path, code) == ["AttributeError", "module", "'lazypkg'", "has", "no", "attribute", "'Missing'",
                                   "False"]


@pytest.mark.parametrize(
    ("package", "name", "module"),
    [("langchain_qwen", "QwenEmbeddings", "langchain_qwen.embeddings"),
     ("llama_index_qwen", "QwenEmbedding", "llama_index_qwen.embeddings")],
)
def test_the_adapters_load_their_other_classes_lazily(package: str, name: str, module: str) -> None:
    code = f"import sys, {package}; print({module!r} in sys.modules, {name!r} in dir({package}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
