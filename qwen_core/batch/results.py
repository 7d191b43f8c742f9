"""Result lines -> one result per input, in input order, read one line at a time.

Output and error files list results in any order; each line's ``custom_id`` is the input position of its first
item, so a collector places each result straight into its slot as the line is read (the file is never held, and
each result is converted once: pass the adapter's converter as ``convert`` and only the final objects are kept).
An input the files do not mention (its batch failed validation, expired or was cancelled first) gets a
:class:`~qwen_core.errors.BatchJobError` saying which batch and why.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable
from typing import Generic, TypeVar

from qwen_core.batch.job import JobStatus
from qwen_core.batch.lines import LineResult, chat_result, embedding_result
from qwen_core.batch.objects import BatchStatus
from qwen_core.errors import APIError, BatchJobError, ResponseParseError
from qwen_core.types import ChatResult

T = TypeVar("T")


def missing_error(position: int, status: JobStatus | None) -> BatchJobError:
    """The error for an input without a result line."""
    if status is None:
        return BatchJobError(f"the batch job returned no result for input {position}", code="missing")
    batch = _batch_of(status)
    reasons = "; ".join(f"{issue.code}: {issue.message}" for issue in batch.errors) if batch else ""
    state = batch.status if batch else status.status
    where = f"batch {batch.id}" if batch else f"job {status.job.id}"
    message = f"no result for input {position}: {where} ended {state!r}"
    return BatchJobError(message + (f" ({reasons})" if reasons else ""), code=state)


def _batch_of(status: JobStatus) -> BatchStatus | None:
    """The one batch that did not complete, when there is exactly one."""
    unfinished = [batch for batch in status.batches if batch.status != "completed"]
    return unfinished[0] if len(unfinished) == 1 else None


class ChatCollector(Generic[T]):
    """Places each chat result line (converted by ``convert``) or its typed error at its input position."""

    def __init__(self, total: int, convert: Callable[[ChatResult], T]) -> None:
        self._results: list[T | APIError | None] = [None] * total
        self._convert = convert

    def add(self, item: LineResult) -> None:
        if not 0 <= item.start < len(self._results):
            raise ResponseParseError(f"a batch result names custom_id {item.start}, outside the {len(self._results)} "
                                     "inputs")
        if item.error is not None:
            self._results[item.start] = item.error
            return
        try:
            self._results[item.start] = self._convert(chat_result(item))
        except APIError as error:
            self._results[item.start] = error

    def finish(self, status: JobStatus | None = None) -> list[T | APIError]:
        results = self._results
        for position, value in enumerate(results):
            if value is None:
                results[position] = missing_error(position, status)
        return results  # type: ignore[return-value]  # every None was replaced above


class VectorCollector:
    """Places each embedding line's vectors at its texts' positions; the first failure is raised."""

    def __init__(self, total: int, dimensions: int | None = None) -> None:
        self._vectors: list[list[float] | None] = [None] * total
        self._dimensions = dimensions

    def add(self, item: LineResult) -> None:
        if item.error is not None:
            raise item.error
        result = embedding_result(item)
        end = item.start + len(result.vectors)
        if item.start < 0 or end > len(self._vectors):
            raise ResponseParseError(f"a batch result covers texts {item.start}..{end - 1}, outside the input")
        for offset, vector in enumerate(result.vectors):
            if not vector or (self._dimensions is not None and len(vector) != self._dimensions):
                raise ResponseParseError(f"the batch returned an embedding of size {len(vector)} for text "
                                         f"{item.start + offset}", request_id=item.request_id)
            self._vectors[item.start + offset] = list(vector)

    def finish(self, status: JobStatus | None = None) -> list[list[float]]:
        for position, vector in enumerate(self._vectors):
            if vector is None:
                raise missing_error(position, status)
        return self._vectors  # type: ignore[return-value]  # no None is left


def collect_chat(
    lines: Iterable[LineResult], total: int, convert: Callable[[ChatResult], T] = lambda r: r,  # type: ignore[assignment,return-value]
    status: JobStatus | None = None,
) -> list[T | APIError]:
    """One result (``convert``-ed) or typed error per input, in input order."""
    collector: ChatCollector[T] = ChatCollector(total, convert)
    for item in lines:
        collector.add(item)
    return collector.finish(status)


async def acollect_chat(
    lines: AsyncIterable[LineResult], total: int, convert: Callable[[ChatResult], T] = lambda r: r,  # type: ignore[assignment,return-value]
    status: JobStatus | None = None,
) -> list[T | APIError]:
    collector: ChatCollector[T] = ChatCollector(total, convert)
    async for item in lines:
        collector.add(item)
    return collector.finish(status)


def collect_vectors(lines: Iterable[LineResult], total: int, dimensions: int | None = None,
                    status: JobStatus | None = None) -> list[list[float]]:
    """One vector per text, in input order; the first failed line raises its typed error."""
    collector = VectorCollector(total, dimensions)
    for item in lines:
        collector.add(item)
    return collector.finish(status)


async def acollect_vectors(lines: AsyncIterable[LineResult], total: int, dimensions: int | None = None,
                           status: JobStatus | None = None) -> list[list[float]]:
    collector = VectorCollector(total, dimensions)
    async for item in lines:
        collector.add(item)
    return collector.finish(status)


__all__ = [
    "ChatCollector",
    "VectorCollector",
    "acollect_chat",
    "acollect_vectors",
    "collect_chat",
    "collect_vectors",
    "missing_error",
]
