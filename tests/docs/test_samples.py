"""Every Python sample of the documentation runs against the emulator (the rules are in docs/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.docs_samples import DOCS, Sample, pages, parse

RUNNER = Path(__file__).resolve().with_name("run_page.py")
_DASHSCOPE_ENV = ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "DASHSCOPE_WORKSPACE_ID", "DASHSCOPE_HTTP_BASE_URL")
_PAGE_TIMEOUT = 240


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _DASHSCOPE_ENV}


def _page_ids() -> list[Path]:
    return [p for p in pages() if any(s.mode == "page" for s in parse(p))]


def _single_samples() -> list[Sample]:
    return [s for p in pages() for s in parse(p) if s.mode != "page"]


def _show(done: subprocess.CompletedProcess[str]) -> str:
    return f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-6000:]}"


def test_every_page_parses_and_has_samples() -> None:
    found = {p: parse(p) for p in pages()}
    assert len(found) >= 10
    assert sum(len(s) for s in found.values()) >= 10


@pytest.mark.timeout(_PAGE_TIMEOUT + 30)
@pytest.mark.parametrize("page", _page_ids(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_samples_run(page: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(RUNNER), str(page)], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=_PAGE_TIMEOUT)
    assert done.returncode == 0, _show(done)


@pytest.mark.timeout(_PAGE_TIMEOUT + 30)
@pytest.mark.parametrize("sample", _single_samples(), ids=lambda s: f"{s.page.relative_to(DOCS)}#{s.number}")
def test_single_sample_runs(sample: Sample, tmp_path: Path) -> None:
    if sample.mode == "new-process":
        command = [sys.executable, str(RUNNER), str(sample.page), str(sample.number)]
    else:
        assert not sample.setup, f"{sample.title}: a pytest sample takes no hidden set-up (use fixtures)"
        (tmp_path / "test_sample.py").write_text(sample.code.lstrip("\n"), encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_sample.py"]
    done = subprocess.run(command, cwd=tmp_path, env=_clean_env(), capture_output=True, text=True,
                          timeout=_PAGE_TIMEOUT)
    assert done.returncode == 0, _show(done)
    if sample.mode == "pytest":
        assert " passed" in done.stdout, _show(done)
