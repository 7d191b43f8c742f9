"""Run a documentation page's samples against a fresh emulator: ``python run_page.py PAGE [BLOCK]``.

Without BLOCK: every ``page``-mode sample of PAGE, in order, in one namespace. With BLOCK: only that sample.
Each sample's hidden set-up runs just before it. Exit status 0 when every sample ran; otherwise the failing
sample is named on stderr with its traceback (line numbers are the page's). See docs/README.md.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from docs_samples import Sample, parse

import qwen_core.emulator as emulator_api
from qwen_core.emulator import Emulator


def _setup(sample: Sample, namespace: dict[str, Any], helpers: dict[str, Any]) -> None:
    """Run the hidden set-up with the helpers in scope; only what it defines itself reaches the sample."""
    scope = {**helpers, **namespace}
    exec(compile(sample.setup, f"{sample.page} (sample-setup)", "exec"), scope)
    namespace.update({k: v for k, v in scope.items() if k not in helpers or v is not helpers[k]})


def _run(sample: Sample, namespace: dict[str, Any], helpers: dict[str, Any]) -> bool:
    try:
        if sample.setup:
            _setup(sample, namespace, helpers)
        exec(compile(sample.code, str(sample.page), "exec"), namespace)
    except BaseException:
        print(f"FAILED: {sample.title}", file=sys.stderr)
        traceback.print_exc()
        return False
    return True


def main(argv: list[str]) -> int:
    page = Path(argv[0])
    chosen = [s for s in parse(page) if (s.number == int(argv[1]) if len(argv) > 1 else s.mode == "page")]
    if not chosen:
        print(f"no sample to run in {page} {argv[1:]}", file=sys.stderr)
        return 2
    with Emulator() as emulator:
        os.environ["DASHSCOPE_API_KEY"] = "sk-docs"
        os.environ["DASHSCOPE_BASE_URL"] = emulator.base_url
        helpers = {name: getattr(emulator_api, name) for name in emulator_api.__all__}
        helpers["emulator"] = emulator
        namespace: dict[str, Any] = {"__name__": "__main__"}
        for sample in chosen:
            if not _run(sample, namespace, helpers):
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
