"""`BatchClient`: the service's Batch API (files and batches on the compatible endpoint), sync and async.

Every step that decides what to send or what an answer means is pure and shared (:mod:`qwen_core.batch.objects`,
:mod:`qwen_core.batch.lines`, :mod:`qwen_core.batch.job`); the sync and async methods differ only in the I/O.

Example (against the offline emulator, whose batches finish in about a second):
    >>> from qwen_core.batch import BatchClient, chat_parts, collect_chat
    >>> from qwen_core.client import QwenClient
    >>> from qwen_core.emulator import Emulator
    >>> from qwen_core.types import ChatRequest, Message
    >>> with Emulator() as emu, QwenClient(api_key="sk-test", base_url=emu.base_url) as client:
    ...     requests = [ChatRequest(model="qwen-plus", messages=[Message("user", f"Say {n}")]) for n in range(3)]
    ...     batches = client.batch
    ...     job = batches.submit(chat_parts(requests, client.model_info, client.settings))
    ...     final = batches.wait(job, show_progress=False)
    ...     results = collect_chat(batches.result_lines(final), 3)
    >>> final.status, [type(r).__name__ for r in results]
    ('completed', ['ChatResult', 'ChatResult', 'ChatResult'])
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from contextlib import aclosing, closing
from dataclasses import dataclass

from qwen_core.batch.job import BatchJob, JobStatus
from qwen_core.batch.lines import LineResult, LineSplitter, file_bytes, iter_lines, parse_result_line
from qwen_core.batch.objects import (
    DEFAULT_COMPLETION_WINDOW,
    BatchStatus,
    cancel_request,
    content_request,
    create_request,
    parse_batch,
    parse_file_id,
    retrieve_request,
    upload_request,
)
from qwen_core.batch.progress import Progress, make_progress
from qwen_core.errors import APITimeoutError, InvalidRequestError
from qwen_core.protocols._errors import error_from_body
from qwen_core.settings import QwenSettings
from qwen_core.transport import AsyncSender, SyncSender


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """Waits between status polls: ``initial`` seconds, growing by ``factor`` up to ``maximum``."""

    initial: float = 2.0
    factor: float = 1.5
    maximum: float = 60.0

    def __post_init__(self) -> None:
        if not (self.initial > 0 and self.factor >= 1 and self.maximum >= self.initial):
            raise InvalidRequestError(f"invalid poll schedule {self!r}: need initial > 0, factor >= 1, "
                                      "maximum >= initial")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before poll number ``attempt + 1``."""
        return float(min(self.initial * self.factor ** min(attempt, 64), self.maximum))


@dataclass(frozen=True, slots=True)
class Part:
    """One batch to create: its endpoint and its input lines."""

    endpoint: str
    lines: Sequence[bytes]


def _deadline(timeout: float | None) -> float | None:
    if timeout is not None and timeout <= 0:
        raise InvalidRequestError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    return None if timeout is None else time.monotonic() + timeout


def _check_deadline(deadline: float | None, job: BatchJob) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise APITimeoutError(f"batch job {job.id} is still running; wait again later or resume it by its id")


def _sleep_for(schedule: PollSchedule, attempt: int, deadline: float | None) -> float:
    delay = schedule.delay(attempt)
    return delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic()))


def _total(parts: Sequence[Part]) -> int:
    return sum(len(part.lines) for part in parts)


def _result_files(status: JobStatus) -> list[str]:
    return [file_id for batch in status.batches for file_id in (batch.output_file_id, batch.error_file_id) if file_id]


class BatchClient:
    """Upload, create, poll, download and cancel batch jobs over a client's pooled transports.

    Get one from :attr:`qwen_core.client.QwenClient.batch`.
    """

    def __init__(self, settings: QwenSettings, sync: SyncSender, aio: AsyncSender,
                 schedule: PollSchedule | None = None) -> None:
        self.settings = settings
        self.schedule = schedule or PollSchedule()
        self._sync = sync
        self._async = aio

    def __repr__(self) -> str:
        return f"BatchClient(root_url={self.settings.root_url!r})"

    def with_schedule(self, schedule: PollSchedule) -> BatchClient:
        """The same client (same pools) polling on ``schedule``."""
        return BatchClient(self.settings, self._sync, self._async, schedule)

    # -- single calls (sync) -----------------------------------------------------------------------

    def upload(self, content: bytes, filename: str = "batch.jsonl") -> str:
        """Upload a JSONL input file (``purpose=batch``); returns its file id."""
        return parse_file_id(self._sync.send(upload_request(self.settings, content, filename), error_from_body))

    def create(self, file_id: str, endpoint: str, *, completion_window: str = DEFAULT_COMPLETION_WINDOW,
               metadata: Mapping[str, str] | None = None) -> BatchStatus:
        """Create a batch over an uploaded file."""
        wire = create_request(self.settings, file_id, endpoint, completion_window=completion_window,
                              metadata=metadata)
        return parse_batch(self._sync.send(wire, error_from_body))

    def retrieve(self, batch_id: str) -> BatchStatus:
        return parse_batch(self._sync.send(retrieve_request(self.settings, batch_id), error_from_body))

    def cancel(self, batch_id: str) -> BatchStatus:
        return parse_batch(self._sync.send(cancel_request(self.settings, batch_id), error_from_body))

    def file_lines(self, file_id: str) -> Generator[bytes, None, None]:
        """The lines of a file, downloaded as a stream (never held whole)."""
        chunks = self._sync.stream(content_request(self.settings, file_id), error_from_body)
        with closing(chunks):
            yield from iter_lines(chunks)

    # -- jobs (sync) -------------------------------------------------------------------------------

    def submit(self, parts: Sequence[Part], *, completion_window: str = DEFAULT_COMPLETION_WINDOW,
               metadata: Mapping[str, str] | None = None) -> BatchJob:
        """Upload and create one batch per part; if one fails, the batches already created are cancelled."""
        created: list[BatchStatus] = []
        try:
            for part in parts:
                file_id = self.upload(file_bytes(part.lines))
                created.append(self.create(file_id, part.endpoint, completion_window=completion_window,
                                           metadata=metadata))
        except BaseException:
            for batch in created:
                self._cancel_quietly(batch.id)
            raise
        return _job(created, parts)

    def _cancel_quietly(self, batch_id: str) -> None:
        try:
            self.cancel(batch_id)
        except Exception:  # best effort while reporting the original failure
            return

    def status(self, job: BatchJob) -> JobStatus:
        return JobStatus(job, tuple(self.retrieve(batch_id) for batch_id in job.batch_ids))

    def cancel_job(self, job: BatchJob) -> JobStatus:
        """Ask the service to cancel every unfinished batch of ``job``; returns the job's status."""
        current = self.status(job)
        batches = tuple(batch if batch.done else self.cancel(batch.id) for batch in current.batches)
        return JobStatus(job, batches)

    def wait(self, job: BatchJob, *, timeout: float | None = None, show_progress: bool = True,
             progress: Progress | None = None) -> JobStatus:
        """Poll until every batch of ``job`` is final (waits grow per :attr:`schedule`); returns the final status.

        Raises:
            APITimeoutError: ``timeout`` seconds passed first (the job keeps running; resume it by its id).
        """
        deadline = _deadline(timeout)
        display = progress or make_progress(show_progress)
        try:
            attempt = 0
            while True:
                status = self.status(job)
                display.update(status)
                if status.done:
                    return status
                _check_deadline(deadline, job)
                time.sleep(_sleep_for(self.schedule, attempt, deadline))
                attempt += 1
        finally:
            display.close()

    def result_lines(self, status: JobStatus) -> Generator[LineResult, None, None]:
        """Every result line of a finished job (output files, then error files), parsed one at a time."""
        for file_id in _result_files(status):
            for line in self.file_lines(file_id):
                yield parse_result_line(line)

    # -- single calls (async) ----------------------------------------------------------------------

    async def aupload(self, content: bytes, filename: str = "batch.jsonl") -> str:
        wire = upload_request(self.settings, content, filename)
        return parse_file_id(await self._async.send(wire, error_from_body))

    async def acreate(self, file_id: str, endpoint: str, *, completion_window: str = DEFAULT_COMPLETION_WINDOW,
                      metadata: Mapping[str, str] | None = None) -> BatchStatus:
        wire = create_request(self.settings, file_id, endpoint, completion_window=completion_window,
                              metadata=metadata)
        return parse_batch(await self._async.send(wire, error_from_body))

    async def aretrieve(self, batch_id: str) -> BatchStatus:
        return parse_batch(await self._async.send(retrieve_request(self.settings, batch_id), error_from_body))

    async def acancel(self, batch_id: str) -> BatchStatus:
        return parse_batch(await self._async.send(cancel_request(self.settings, batch_id), error_from_body))

    async def afile_lines(self, file_id: str) -> AsyncGenerator[bytes, None]:
        splitter = LineSplitter()
        async with aclosing(self._async.stream(content_request(self.settings, file_id), error_from_body)) as chunks:
            async for chunk in chunks:
                for line in splitter.feed(chunk):
                    yield line
        for line in splitter.flush():
            yield line

    # -- jobs (async) ------------------------------------------------------------------------------

    async def asubmit(self, parts: Sequence[Part], *, completion_window: str = DEFAULT_COMPLETION_WINDOW,
                      metadata: Mapping[str, str] | None = None) -> BatchJob:
        created: list[BatchStatus] = []
        try:
            for part in parts:
                file_id = await self.aupload(file_bytes(part.lines))
                created.append(await self.acreate(file_id, part.endpoint, completion_window=completion_window,
                                                  metadata=metadata))
        except BaseException:
            for batch in created:
                await self._acancel_quietly(batch.id)
            raise
        return _job(created, parts)

    async def _acancel_quietly(self, batch_id: str) -> None:
        try:
            await self.acancel(batch_id)
        except Exception:  # best effort while reporting the original failure
            return

    async def astatus(self, job: BatchJob) -> JobStatus:
        batches = await asyncio.gather(*(self.aretrieve(batch_id) for batch_id in job.batch_ids))
        return JobStatus(job, tuple(batches))

    async def acancel_job(self, job: BatchJob) -> JobStatus:
        current = await self.astatus(job)
        batches = [batch if batch.done else await self.acancel(batch.id) for batch in current.batches]
        return JobStatus(job, tuple(batches))

    async def await_job(self, job: BatchJob, *, timeout: float | None = None, show_progress: bool = True,
                        progress: Progress | None = None) -> JobStatus:
        """Async :meth:`wait` (sleeps on the event loop)."""
        deadline = _deadline(timeout)
        display = progress or make_progress(show_progress)
        try:
            attempt = 0
            while True:
                status = await self.astatus(job)
                display.update(status)
                if status.done:
                    return status
                _check_deadline(deadline, job)
                await asyncio.sleep(_sleep_for(self.schedule, attempt, deadline))
                attempt += 1
        finally:
            display.close()

    async def aresult_lines(self, status: JobStatus) -> AsyncGenerator[LineResult, None]:
        for file_id in _result_files(status):
            async with aclosing(self.afile_lines(file_id)) as lines:
                async for line in lines:
                    yield parse_result_line(line)


def _job(created: Sequence[BatchStatus], parts: Sequence[Part]) -> BatchJob:
    endpoints = {part.endpoint for part in parts}
    return BatchJob(tuple(batch.id for batch in created), endpoint=endpoints.pop() if len(endpoints) == 1 else None,
                    total=_total(parts))


__all__ = ["BatchClient", "Part", "PollSchedule"]
