"""The documentation keeps up with the code: every error type is in the errors table, every public class in the
API reference, and the README points into the site."""

from __future__ import annotations

import re
from pathlib import Path

import qwen_core.errors
from tests.docs.docs_samples import DOCS, ROOT


def _table_names(page: Path) -> set[str]:
    return set(re.findall(r"^\| `(\w+)`", page.read_text(encoding="utf-8"), flags=re.M))


def test_errors_table_lists_every_error_type() -> None:
    documented = _table_names(DOCS / "guides" / "errors.md")
    assert set(qwen_core.errors.__all__) <= documented, set(qwen_core.errors.__all__) - documented


def test_api_reference_covers_the_public_classes() -> None:
    reference = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    for package, names in {
        "langchain_qwen": ("ChatQwen", "QwenEmbeddings", "QwenRerank"),
        "llama_index_qwen": ("Qwen", "QwenEmbedding", "QwenRerank"),
    }.items():
        for name in names:
            assert f"::: {package}.{name}" in reference, f"{package}.{name} is missing from docs/reference"
    import qwen_core.emulator

    for name in qwen_core.emulator.__all__:
        if name[0].isupper() and name not in {"Fault", "ScriptItem"}:
            assert f"::: qwen_core.emulator.{name}" in reference, name


def test_every_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):
        if page.name != "README.md":
            assert str(page.relative_to(DOCS)) in nav, page


def test_protocol_citations_in_the_code_point_at_existing_notes() -> None:
    """Comments cite the protocol notes as ``docs/protocol.md#q3`` (and ``#s3-2``); every anchor must exist."""
    anchors = set(re.findall(r"\{#([\w-]+)\}", (DOCS / "protocol.md").read_text(encoding="utf-8")))
    cited: dict[str, str] = {}
    for package in ("qwen_core", "langchain_qwen", "llama_index_qwen", "tests", "benchmarks"):
        for path in (ROOT / package).rglob("*.py"):
            if any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                continue  # virtual environments (benchmarks/.venv-bench) and caches
            text = path.read_text(encoding="utf-8")
            for run in re.findall(r"docs/protocol\.md(#[\w-]+(?:(?:, | and | to )#[\w-]+)*)", text):
                for anchor in re.findall(r"#([\w-]+)", run):
                    cited[anchor] = str(path.relative_to(ROOT))
    assert len(cited) >= 20, "the code should cite the protocol notes"
    missing = {a: where for a, where in cited.items() if a not in anchors}
    assert not missing, missing
