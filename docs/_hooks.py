"""MkDocs hooks: files that live outside docs/ but belong on the site (one source, no copies in the repository)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
#: site path -> repository file
EXTERNAL = {"assets/benchmark.png": ROOT / "benchmarks" / "results" / "benchmark.png"}


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    for site_path, source in EXTERNAL.items():
        files.append(File.generated(config, site_path, abs_src_path=str(source)))
    return files
