"""The emulator's files and batches endpoints, driven by the OpenAI SDK (the service's documented client)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from qwen_core.emulator import BatchTiming, Emulator
from tests._support.constants import API_KEY

TIMING = BatchTiming(validating=0.1, in_progress=0.3, finalizing=0.1, cancelling=0.1)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(batch_timing=TIMING) as server:
        yield server


@pytest.fixture
def sdk(emu: Emulator) -> Iterator[openai.OpenAI]:
    emu.batches.timing = TIMING
    with openai.OpenAI(api_key=API_KEY, base_url=emu.compatible_base, max_retries=0) as client:
        yield client


def line(custom_id: str, body: dict[str, Any], url: str = "/v1/chat/completions") -> str:
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})


def chat(text: str, model: str = "qwen-plus") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def run(sdk: openai.OpenAI, lines: list[str], endpoint: str = "/v1/chat/completions") -> Any:
    uploaded = sdk.files.create(file=("in.jsonl", io.BytesIO("\n".join(lines).encode())), purpose="batch")
    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint=endpoint, completion_window="24h")  # type: ignore[arg-type]
    seen = [batch.status]
    for _ in range(200):
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            break
        time.sleep(0.03)
        batch = sdk.batches.retrieve(batch.id)
        if batch.status != seen[-1]:
            seen.append(batch.status)
    return batch, seen


def test_status_sequence_and_output_lines(sdk: openai.OpenAI) -> None:
    batch, seen = run(sdk, [line(str(n), chat(f"hi {n}")) for n in range(6)])
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert batch.request_counts.total == 6 and batch.request_counts.completed == 6
    assert batch.in_progress_at and batch.finalizing_at and batch.completed_at and batch.error_file_id is None
    records = [json.loads(raw) for raw in sdk.files.content(batch.output_file_id).text.splitlines()]
    assert sorted(int(r["custom_id"]) for r in records) == list(range(6))
    first = records[0]
    assert set(first) == {"id", "custom_id", "response", "error"} and first["error"] is None
    assert first["response"]["status_code"] == 200 and first["response"]["request_id"] == first["id"]
    assert first["response"]["body"]["object"] == "chat.completion"


def test_failed_lines_go_to_the_error_file(sdk: openai.OpenAI) -> None:
    lines = [line("ok", chat("fine")), line("bad", {**chat("x"), "temperature": 7})]
    batch, _ = run(sdk, lines)
    assert batch.status == "completed" and batch.request_counts.failed == 1
    (record,) = [json.loads(raw) for raw in sdk.files.content(batch.error_file_id).text.splitlines()]
    assert record["custom_id"] == "bad" and record["response"]["status_code"] == 400
    assert record["error"]["code"] == "invalid_parameter_error"


@pytest.mark.parametrize(("lines", "code"), [
    ([line("1", chat("a")), line("1", chat("b"))], "invalid_request"),
    ([line("1", chat("a")), line("2", chat("b", model="qwen-max"))], "mixed_models"),
    ([line("1", chat("a"), url="/v1/embeddings")], "invalid_request"),
    (["not json"], "invalid_request"),
    ([line("1", chat("a", model="qwen-mt-plus"))], "model_not_supported"),
    ([line(str(n), chat("a", model="batch-test-model"), url="/v1/chat/ds-test") for n in range(101)],
     "test_file_too_large"),
])
def test_invalid_files_fail_the_batch(sdk: openai.OpenAI, lines: list[str], code: str) -> None:
    endpoint = "/v1/chat/ds-test" if "ds-test" in lines[0] else "/v1/chat/completions"
    batch, seen = run(sdk, lines, endpoint)
    assert seen == ["validating", "failed"] and batch.failed_at
    assert batch.errors.data[0].code == code


def test_at_most_50000_requests_per_file(sdk: openai.OpenAI) -> None:
    tiny = line("0", chat("a"))
    lines = [tiny.replace('"0"', f'"{n}"', 1) for n in range(50_001)]
    batch, _ = run(sdk, lines)
    assert batch.status == "failed" and batch.errors.data[0].code == "too_many_requests"


def test_batch_test_model_answers_a_fixed_text(sdk: openai.OpenAI) -> None:
    lines = [line(str(n), chat("hi", model="batch-test-model"), url="/v1/chat/ds-test") for n in range(3)]
    batch, _ = run(sdk, lines, "/v1/chat/ds-test")
    records = [json.loads(raw) for raw in sdk.files.content(batch.output_file_id).text.splitlines()]
    assert {r["response"]["body"]["choices"][0]["message"]["content"] for r in records} == {"This is a test result."}


def test_cancel_goes_through_cancelling(sdk: openai.OpenAI, emu: Emulator) -> None:
    emu.batches.timing = BatchTiming(validating=0.05, in_progress=5.0, cancelling=0.2)
    uploaded = sdk.files.create(file=("in.jsonl", io.BytesIO(line("1", chat("a")).encode())), purpose="batch")
    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert sdk.batches.cancel(batch.id).status == "cancelling"
    time.sleep(0.3)
    done = sdk.batches.retrieve(batch.id)
    assert done.status == "cancelled" and done.cancelled_at
    with pytest.raises(openai.BadRequestError):
        sdk.batches.cancel(batch.id)


def test_expired(sdk: openai.OpenAI, emu: Emulator) -> None:
    emu.batches.timing = BatchTiming(validating=0.05, in_progress=5.0, expire_after=0.1)
    batch, seen = run(sdk, [line("1", chat("a"))])
    assert seen[-1] == "expired" and batch.expired_at
    (record,) = [json.loads(raw) for raw in sdk.files.content(batch.error_file_id).text.splitlines()]
    assert record["error"]["code"] == "batch_expired"


def test_request_errors(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="purpose"):
        sdk.files.create(file=("in.jsonl", io.BytesIO(b"{}")), purpose="fine-tune")
    with pytest.raises(openai.NotFoundError):
        sdk.batches.retrieve("batch_missing")
    uploaded = sdk.files.create(file=("in.jsonl", io.BytesIO(line("1", chat("a")).encode())), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="completion_window"):
        sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                           completion_window="1h")  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="endpoint"):
        sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/responses",  # type: ignore[arg-type]
                           completion_window="24h")
    assert sdk.files.retrieve(uploaded.id).purpose == "batch"
    assert sdk.files.delete(uploaded.id).deleted
    assert sdk.batches.list().data is not None


def test_needs_an_api_key(emu: Emulator) -> None:
    answer = httpx.get(emu.compatible_base + "/batches", timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"
