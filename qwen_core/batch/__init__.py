"""The service's Batch API (OpenAI-compatible files + batches), built from the same request builders as live calls.

* :mod:`~qwen_core.batch.lines`: input lines from the live builders, the limits, result-line parsing;
* :mod:`~qwen_core.batch.objects`: the files/batches requests and the batch object;
* :mod:`~qwen_core.batch.client`: :class:`BatchClient` (sync and async): upload, create, poll, download, cancel;
* :mod:`~qwen_core.batch.job`: :class:`BatchJob`, a handle that can be stored and resumed after a restart;
* :mod:`~qwen_core.batch.plan`, :mod:`~qwen_core.batch.results`, :mod:`~qwen_core.batch.run`: inputs to batches
  and results back to inputs, in input order.
"""

from qwen_core.batch.client import BatchClient, Part, PollSchedule
from qwen_core.batch.job import BatchJob, JobStatus
from qwen_core.batch.lines import SERVICE_LIMITS, TEST_MODEL, TEST_MODEL_LIMITS, BatchLimits
from qwen_core.batch.objects import TERMINAL_STATES, BatchIssue, BatchStatus, RequestCounts
from qwen_core.batch.plan import chat_parts, embedding_parts
from qwen_core.batch.progress import Progress, make_progress
from qwen_core.batch.results import acollect_chat, acollect_vectors, collect_chat, collect_vectors
from qwen_core.batch.run import (
    WaitOptions,
    aembed_with_batches,
    aretrieve_chat,
    asubmit_chat,
    embed_with_batches,
    retrieve_chat,
    submit_chat,
)

__all__ = [
    "SERVICE_LIMITS",
    "TERMINAL_STATES",
    "TEST_MODEL",
    "TEST_MODEL_LIMITS",
    "BatchClient",
    "BatchIssue",
    "BatchJob",
    "BatchLimits",
    "BatchStatus",
    "JobStatus",
    "Part",
    "PollSchedule",
    "Progress",
    "RequestCounts",
    "WaitOptions",
    "acollect_chat",
    "acollect_vectors",
    "aembed_with_batches",
    "aretrieve_chat",
    "asubmit_chat",
    "chat_parts",
    "collect_chat",
    "collect_vectors",
    "embed_with_batches",
    "embedding_parts",
    "make_progress",
    "retrieve_chat",
    "submit_chat",
]
