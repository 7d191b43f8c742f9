"""A batch job: the one or more service batches one call was split into, as a handle that survives restarts.

The handle is just the batch ids: results map back to inputs by ``custom_id`` (the input position), so a job is
fully described by ``"batch_a,batch_b"`` (:attr:`BatchJob.id`) or its JSON (:meth:`BatchJob.to_json`, which also
records the endpoint and the input count as a check).

Example:
    >>> job = BatchJob(("batch_1", "batch_2"), endpoint="/v1/chat/completions", total=70_000)
    >>> job.id
    'batch_1,batch_2'
    >>> BatchJob.from_json(job.to_json()) == job
    True
    >>> BatchJob.from_id("batch_1,batch_2").batch_ids
    ('batch_1', 'batch_2')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from qwen_core.batch.objects import TERMINAL_STATES, BatchStatus, RequestCounts
from qwen_core.errors import InvalidRequestError

#: Overall state order while a job is running: the least advanced batch decides.
_PROGRESS_ORDER = ("validating", "in_progress", "finalizing", "cancelling")


@dataclass(frozen=True, slots=True)
class BatchJob:
    """The service batches of one job, in input order (batch ``i`` holds the ``i``-th slice of the inputs)."""

    batch_ids: tuple[str, ...]
    endpoint: str | None = None
    total: int | None = None

    def __post_init__(self) -> None:
        if not self.batch_ids or not all(isinstance(b, str) and b and "," not in b for b in self.batch_ids):
            raise InvalidRequestError(f"a batch job needs one or more batch ids without commas, got {self.batch_ids!r}")

    @property
    def id(self) -> str:
        """The job id: its batch ids joined by commas (what ``batch_api_submit`` returns)."""
        return ",".join(self.batch_ids)

    @classmethod
    def from_id(cls, job_id: str) -> BatchJob:
        """The job of a job id (one batch id, or several joined by commas)."""
        if not isinstance(job_id, str):
            raise InvalidRequestError(f"a batch job id is a string, got {type(job_id).__name__}")
        return cls(tuple(part.strip() for part in job_id.split(",")))

    def to_json(self) -> str:
        """A JSON handle to store (a file, a database row) and resume from with :meth:`from_json`."""
        return json.dumps({"batch_ids": list(self.batch_ids), "endpoint": self.endpoint, "total": self.total})

    @classmethod
    def from_json(cls, text: str) -> BatchJob:
        try:
            data = json.loads(text)
            return cls(tuple(data["batch_ids"]), data.get("endpoint"), data.get("total"))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidRequestError(f"not a batch job handle: {text[:200]!r}") from exc


@dataclass(frozen=True, slots=True)
class JobStatus:
    """The state of a whole job: one overall status and summed request counts over its batches."""

    job: BatchJob
    batches: tuple[BatchStatus, ...]

    @property
    def status(self) -> str:
        """``completed`` when every batch completed; else the least advanced running state, or the worst end."""
        states = [batch.status for batch in self.batches]
        for state in _PROGRESS_ORDER:
            if state in states:
                return state
        for state in ("failed", "expired", "cancelled"):
            if state in states:
                return state
        return "completed"

    @property
    def done(self) -> bool:
        return all(batch.status in TERMINAL_STATES for batch in self.batches)

    @property
    def counts(self) -> RequestCounts:
        return RequestCounts(
            total=sum(b.counts.total for b in self.batches),
            completed=sum(b.counts.completed for b in self.batches),
            failed=sum(b.counts.failed for b in self.batches),
        )


def job_of(batches: Sequence[BatchStatus], endpoint: str, total: int) -> BatchJob:
    return BatchJob(tuple(batch.id for batch in batches), endpoint=endpoint, total=total)


__all__ = ["BatchJob", "JobStatus", "job_of"]
