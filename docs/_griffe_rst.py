"""Griffe extension for the API reference: our docstrings carry RST code blocks and roles; render them as Markdown.

``.. code-block:: python`` directives, ``text::`` literal blocks and doctests become fenced code;
``:class:`X``` becomes ``X``.
Loaded by mkdocstrings (``extensions:`` in mkdocs.yml); it only rewrites docstring text, never the code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*(?P<lang>\w*)\s*$")
_LITERAL = re.compile(r"^(?P<indent>\s*)(?P<text>\S.*?)::\s*$")
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj|const):`~?([^`]+)`")
_DOUBLE = re.compile(r"``([^`]+)``")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _block_end(lines: list[str], start: int, base: int) -> int:
    """Index after the indented block that starts at ``start`` (blank lines inside it belong to it)."""
    end = start
    for j in range(start, len(lines)):
        if lines[j].strip():
            if _indent(lines[j]) <= base:
                break
            end = j + 1
    return end


def _fence(lines: list[str], start: int, indent: str, lang: str) -> tuple[list[str], int]:
    first = next((j for j in range(start, len(lines)) if lines[j].strip()), len(lines))
    end = _block_end(lines, first, len(indent))
    body = lines[first:end]
    cut = min((_indent(b) for b in body if b.strip()), default=0)
    return [f"{indent}```{lang}", *[indent + b[cut:] if b.strip() else "" for b in body], f"{indent}```"], end


def _doctest(lines: list[str], start: int) -> tuple[list[str], int]:
    """A doctest (``>>>`` lines and their output, up to a blank line) as a ``pycon`` fence."""
    indent = lines[start][: _indent(lines[start])]
    end = next((j for j in range(start, len(lines)) if not lines[j].strip()), len(lines))
    return [f"{indent}```pycon", *lines[start:end], f"{indent}```"], end


def rst_to_markdown(text: str) -> str:
    """The docstring ``text`` with RST code blocks fenced and roles reduced to inline code."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _DIRECTIVE.match(line)
        literal = None if directive else _LITERAL.match(line)
        if literal and literal["text"].startswith(">>>"):
            literal = None
        if line.lstrip().startswith(">>> "):
            block, i = _doctest(lines, i)
            out.extend(block)
            continue
        if directive is not None:
            block, i = _fence(lines, i + 1, directive["indent"], directive["lang"] or "text")
            out.extend(block)
            continue
        if literal is not None and i + 1 < len(lines) and not lines[i + 1].strip():
            out.append(f"{literal['indent']}{literal['text']}:")
            block, i = _fence(lines, i + 1, literal["indent"], "text")
            out.extend(block)
            continue
        out.append(_DOUBLE.sub(r"`\1`", _ROLE.sub(r"`\1`", line)))
        i += 1
    return "\n".join(out)


class RstCodeBlocks(griffe.Extension):
    """Rewrite every loaded object's docstring from RST idioms to Markdown (see the module docstring)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
