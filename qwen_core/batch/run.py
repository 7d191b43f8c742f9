"""The Batch API as whole operations, for the adapters: submit a job, wait for it, get results in input order.

Sync and async twins share every pure step (planning, collecting); only the client calls differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import aclosing, closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from qwen_core.batch.client import BatchClient, Part, PollSchedule
from qwen_core.batch.job import BatchJob, JobStatus
from qwen_core.batch.lines import BatchLimits
from qwen_core.batch.objects import DEFAULT_COMPLETION_WINDOW
from qwen_core.batch.plan import chat_parts, embedding_parts
from qwen_core.batch.results import acollect_chat, acollect_vectors, collect_chat, collect_vectors
from qwen_core.catalogue import ModelInfo
from qwen_core.errors import APIError, InvalidRequestError
from qwen_core.types import ChatRequest, ChatResult

if TYPE_CHECKING:
    from qwen_core.client import QwenClient

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WaitOptions:
    """How to wait for a job: poll schedule, give up after ``timeout`` seconds (``None``: never), progress display."""

    schedule: PollSchedule | None = None
    timeout: float | None = None
    show_progress: bool = True

    @classmethod
    def of(cls, poll_interval: float, timeout: float | None, show_progress: bool) -> WaitOptions:
        """The options of an adapter's ``batch_api_poll_interval`` / ``batch_api_timeout`` / ``batch_api_progress``."""
        return cls(PollSchedule(initial=poll_interval, maximum=max(60.0, poll_interval)), timeout, show_progress)

    def client(self, client: QwenClient) -> BatchClient:
        batches = client.batch
        return batches if self.schedule is None else batches.with_schedule(self.schedule)


def _job_total(job: BatchJob, status: JobStatus) -> int:
    return job.total if job.total is not None else status.counts.total


def _check_done(status: JobStatus, wait: bool) -> None:
    if not wait and not status.done:
        raise InvalidRequestError(
            f"batch job {status.job.id} is {status.status}; retrieve with wait=True or after it finished"
        )


def _chat_parts(client: QwenClient, requests: Sequence[ChatRequest], model_info: Callable[[str], ModelInfo] | None,
                limits: BatchLimits | None) -> list[Part]:
    return chat_parts(requests, model_info or client.model_info, client.settings, limits)


def submit_chat(client: QwenClient, requests: Sequence[ChatRequest], *,
                model_info: Callable[[str], ModelInfo] | None = None, limits: BatchLimits | None = None,
                completion_window: str = DEFAULT_COMPLETION_WINDOW,
                metadata: Mapping[str, str] | None = None) -> BatchJob:
    """Upload and create the batches for ``requests`` (checked first, nothing sent on bad input)."""
    parts = _chat_parts(client, requests, model_info, limits)
    return client.batch.submit(parts, completion_window=completion_window, metadata=metadata)


async def asubmit_chat(client: QwenClient, requests: Sequence[ChatRequest], *,
                       model_info: Callable[[str], ModelInfo] | None = None, limits: BatchLimits | None = None,
                       completion_window: str = DEFAULT_COMPLETION_WINDOW,
                       metadata: Mapping[str, str] | None = None) -> BatchJob:
    parts = _chat_parts(client, requests, model_info, limits)
    return await client.batch.asubmit(parts, completion_window=completion_window, metadata=metadata)


def retrieve_chat(client: QwenClient, job: BatchJob, convert: Callable[[ChatResult], T], *, wait: bool = True,
                  options: WaitOptions = WaitOptions()) -> list[T | APIError]:
    """Each input's result (``convert``-ed) or typed error, in input order; waits for the job first."""
    batches = options.client(client)
    status = batches.wait(job, timeout=options.timeout, show_progress=options.show_progress) if wait \
        else batches.status(job)
    _check_done(status, wait)
    with closing(batches.result_lines(status)) as lines:
        return collect_chat(lines, _job_total(job, status), convert, status)


async def aretrieve_chat(client: QwenClient, job: BatchJob, convert: Callable[[ChatResult], T], *,
                         wait: bool = True, options: WaitOptions = WaitOptions()) -> list[T | APIError]:
    batches = options.client(client)
    status = await (batches.await_job(job, timeout=options.timeout, show_progress=options.show_progress) if wait
                    else batches.astatus(job))
    _check_done(status, wait)
    async with aclosing(batches.aresult_lines(status)) as lines:
        return await acollect_chat(lines, _job_total(job, status), convert, status)


def _embedding_parts(client: QwenClient, texts: Sequence[str], model: str, dimensions: int | None,
                     batch_size: int | None, limits: BatchLimits | None) -> list[Part]:
    return embedding_parts(texts, model=model, catalogue=client.catalogue, settings=client.settings,
                           dimensions=dimensions, batch_size=batch_size, limits=limits)


def embed_with_batches(client: QwenClient, texts: Sequence[str], *, model: str, dimensions: int | None = None,
                       batch_size: int | None = None, limits: BatchLimits | None = None,
                       options: WaitOptions = WaitOptions()) -> list[list[float]]:
    """Embed ``texts`` through the Batch API: submit, wait, and read the vectors back in input order."""
    parts = _embedding_parts(client, texts, model, dimensions, batch_size, limits)
    batches = options.client(client)
    job = batches.submit(parts)
    status = batches.wait(job, timeout=options.timeout, show_progress=options.show_progress)
    with closing(batches.result_lines(status)) as lines:
        return collect_vectors(lines, len(texts), dimensions, status)


async def aembed_with_batches(client: QwenClient, texts: Sequence[str], *, model: str,
                              dimensions: int | None = None, batch_size: int | None = None,
                              limits: BatchLimits | None = None,
                              options: WaitOptions = WaitOptions()) -> list[list[float]]:
    parts = _embedding_parts(client, texts, model, dimensions, batch_size, limits)
    batches = options.client(client)
    job = await batches.asubmit(parts)
    status = await batches.await_job(job, timeout=options.timeout, show_progress=options.show_progress)
    async with aclosing(batches.aresult_lines(status)) as lines:
        return await acollect_vectors(lines, len(texts), dimensions, status)


__all__ = [
    "WaitOptions",
    "aembed_with_batches",
    "aretrieve_chat",
    "asubmit_chat",
    "embed_with_batches",
    "retrieve_chat",
    "submit_chat",
]
