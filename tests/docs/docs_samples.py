"""Split a documentation page into the code samples the tests execute (see docs/README.md for the rules)."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: Fence languages that would be Python under another name; refused so no Python sample escapes execution.
PYTHON_ALIASES = frozenset({"py", "py3", "python3", "pycon", "ipython", "pyi"})
MODES = frozenset({"page", "pytest", "new-process"})

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*sample:\s*(?P<mode>[\w-]+)\s*-->\s*$")
_SETUP_START = re.compile(r"^\s*<!--\s*sample-setup\s*$")


class PageFormatError(ValueError):
    """A page breaks the sample conventions (unknown marker, Python under another name, stray set-up)."""


@dataclass(frozen=True)
class Sample:
    """One ```python block: its code padded so line numbers are the page's, the mode and hidden set-up code."""

    page: Path
    number: int
    line: int
    code: str
    mode: str = "page"
    setup: str = ""

    @property
    def title(self) -> str:
        first = next((s.strip() for s in self.code.splitlines() if s.strip()), "")
        return f"{self.page.relative_to(DOCS)} block {self.number} (line {self.line}): {first[:60]}"


def pages() -> list[Path]:
    """Every Markdown page of the site (the contributor README is not part of it)."""
    return sorted(p for p in DOCS.rglob("*.md") if p != DOCS / "README.md")


def parse(page: Path) -> list[Sample]:
    """The page's Python samples in document order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    samples: list[Sample] = []
    mode, setup, i = "page", "", 0
    while i < len(lines):
        line = lines[i]
        if (marker := _MARKER.match(line)) is not None:
            mode = marker["mode"]
            if mode not in MODES - {"page"}:
                raise PageFormatError(f"{page}:{i + 1}: unknown sample marker {mode!r}")
            i += 1
            continue
        if _SETUP_START.match(line):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "-->"), None)
            if end is None:
                raise PageFormatError(f"{page}:{i + 1}: sample-setup without a closing -->")
            setup += "\n" * (i + 1 - setup.count("\n")) + textwrap.dedent("\n".join(lines[i + 1: end])) + "\n"
            i = end + 1
            continue
        fence = _FENCE.match(line)
        if fence is None:
            i += 1
            continue
        end = _closing(lines, i, fence["indent"], fence["ticks"])
        lang = fence["lang"].lower()
        if lang in PYTHON_ALIASES:
            raise PageFormatError(f"{page}:{i + 1}: use ```python (executed) or ```text, not ```{lang}")
        if lang == "python":
            body = textwrap.dedent("\n".join(lines[i + 1: end]))
            code = "\n" * (i + 1) + body + "\n"
            samples.append(Sample(page, len(samples) + 1, i + 2, code, mode, setup))
            mode, setup = "page", ""
        elif mode != "page" or setup:
            raise PageFormatError(f"{page}:{i + 1}: a sample marker or set-up must precede a ```python block")
        i = end + 1
    if mode != "page" or setup:
        raise PageFormatError(f"{page}: a sample marker or set-up at the end of the page precedes no block")
    return samples


def _closing(lines: list[str], start: int, indent: str, ticks: str) -> int:
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith(ticks[0] * len(ticks)) and not stripped.strip(ticks[0]):
            return j
    raise PageFormatError(f"unclosed code fence at line {start + 1}")
