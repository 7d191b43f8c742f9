"""Progress of a long batch wait: a tqdm bar when tqdm is installed, log lines otherwise, or nothing.

Batch jobs take minutes to hours, so waiting shows progress by default: a ``tqdm`` bar (tqdm ships with
LlamaIndex and many LangChain installs) counting finished requests, with the job's state as its postfix; without
tqdm, one ``INFO`` log line on the ``qwen_core.batch`` logger each time the state or counts change. Pass
``show_progress=False`` (the adapters' ``batch_api_progress=False``) to silence it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from qwen_core.batch.job import JobStatus

logger = logging.getLogger("qwen_core.batch")


class Progress(Protocol):
    """Receives the job's status after every poll."""

    def update(self, status: JobStatus) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    """Shows nothing."""

    def update(self, status: JobStatus) -> None:
        del status

    def close(self) -> None:
        return None


class LogProgress:
    """One log line per change of state or counts."""

    def __init__(self, description: str) -> None:
        self._description = description
        self._last: tuple[Any, ...] | None = None

    def update(self, status: JobStatus) -> None:
        counts = status.counts
        key = (status.status, counts.completed, counts.failed, counts.total)
        if key != self._last:
            self._last = key
            logger.info("%s %s: %d/%d done, %d failed (%s)", self._description, status.status,
                        counts.completed + counts.failed, counts.total, counts.failed, status.job.id)

    def close(self) -> None:
        return None


class TqdmProgress:
    """A tqdm bar over the job's requests."""

    def __init__(self, description: str) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=0, desc=description, unit="req", leave=False)

    def update(self, status: JobStatus) -> None:
        counts = status.counts
        bar = self._bar
        if counts.total and bar.total != counts.total:
            bar.total = counts.total
        bar.n = counts.completed + counts.failed
        bar.set_postfix_str(status.status, refresh=False)
        bar.refresh()

    def close(self) -> None:
        self._bar.close()


def make_progress(show: bool, description: str = "Qwen batch") -> Progress:
    """The progress display for a wait: tqdm if ``show`` and importable, logging if ``show`` only, else none."""
    if not show:
        return SilentProgress()
    try:
        return TqdmProgress(description)
    except ImportError:
        return LogProgress(description)


__all__ = ["LogProgress", "Progress", "SilentProgress", "TqdmProgress", "make_progress"]
