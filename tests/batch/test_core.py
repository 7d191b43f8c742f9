"""The core Batch API client against the emulator, over real sockets: lines, splitting, results, errors, resume."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import orjson
import pytest

from qwen_core.batch import (
    BatchJob,
    BatchLimits,
    aembed_with_batches,
    aretrieve_chat,
    asubmit_chat,
    embed_with_batches,
    retrieve_chat,
    submit_chat,
)
from qwen_core.batch.lines import TEST_MODEL
from qwen_core.client import QwenClient
from qwen_core.embedding import embed_texts
from qwen_core.emulator import BatchTiming, Emulator
from qwen_core.errors import (
    APITimeoutError,
    BatchJobError,
    InvalidRequestError,
    NotFoundError,
)
from qwen_core.protocols.compatible import CompatibleProtocol
from qwen_core.types import ChatRequest, ChatResult
from tests._support.calls import ask
from tests._support.constants import API_KEY
from tests.batch.conftest import FAST, QUICK_POLL, QUIET


def same(result: ChatResult) -> ChatResult:
    return result


def uploads(emu: Emulator) -> list[list[dict[str, object]]]:
    """The input files the emulator received, decoded line by line."""
    files = []
    for record in emu.requests:
        if record.method == "POST" and record.path.endswith("/files"):
            body = record.body.split(b"\r\n\r\n", 2)[-1].rsplit(b"\r\n--", 1)[0]
            files.append([json.loads(line) for line in body.splitlines()])
    return files


def test_chat_job_results_come_back_in_input_order(emu: Emulator, client: QwenClient) -> None:
    requests = [ask(f"number {n}") for n in range(12)]
    job = submit_chat(client, requests)
    results = retrieve_chat(client, job, same, options=QUIET)
    assert [r.text for r in results] == [f"Echo: number {n}" for n in range(12)]  # type: ignore[union-attr]
    assert all(r.request_id for r in results)  # type: ignore[union-attr]
    output = [r for r in emu.requests if r.path.endswith("/content")]
    assert output, "results were downloaded from the output file"


def test_lines_carry_the_live_request_body(emu: Emulator, client: QwenClient) -> None:
    request = ask("hello", temperature=0.3, max_tokens=20, extra={"enable_search": True})
    submit_chat(client, [request])
    (lines,) = uploads(emu)
    live = CompatibleProtocol().build_chat(request, client.settings, client.model_info("qwen-plus"), stream=False)
    assert lines == [{"custom_id": "0", "method": "POST", "url": "/v1/chat/completions",
                      "body": orjson.loads(live.body)}]
    create = next(r for r in emu.requests if r.path.endswith("/batches"))
    assert create.json == {"input_file_id": create.json["input_file_id"], "endpoint": "/v1/chat/completions",
                           "completion_window": "24h"}
    upload = next(r for r in emu.requests if r.path.endswith("/files"))
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="purpose"\r\n\r\nbatch\r\n' in upload.body


def test_jobs_above_the_limits_are_split_into_several_batches(emu: Emulator, client: QwenClient) -> None:
    requests = [ask(f"item {n}") for n in range(7)]
    job = submit_chat(client, requests, limits=BatchLimits(max_requests=3))
    assert len(job.batch_ids) == 3 and job.id == ",".join(job.batch_ids)
    assert [len(lines) for lines in uploads(emu)] == [3, 3, 1]
    results = retrieve_chat(client, job, same, options=QUIET)
    assert [r.text for r in results] == [f"Echo: item {n}" for n in range(7)]  # type: ignore[union-attr]


def test_file_size_limit_splits_too(emu: Emulator, client: QwenClient) -> None:
    requests = [ask("x" * 200) for _ in range(4)]
    job = submit_chat(client, requests, limits=BatchLimits(max_file_bytes=700))  # a line is ~300 bytes
    assert len(job.batch_ids) == 2
    assert [len(lines) for lines in uploads(emu)] == [2, 2]


def test_a_request_over_the_line_limit_is_refused_before_anything_is_sent(emu: Emulator, client: QwenClient) -> None:
    with pytest.raises(InvalidRequestError, match="bytes per request"):
        submit_chat(client, [ask("short"), ask("y" * 5000)], limits=BatchLimits(max_line_bytes=1000))
    with pytest.raises(InvalidRequestError, match="messages is empty"):
        submit_chat(client, [ChatRequest(model="qwen-plus", messages=[])])
    with pytest.raises(InvalidRequestError, match="at least one"):
        submit_chat(client, [])
    with pytest.raises(InvalidRequestError, match="extra_headers"):
        submit_chat(client, [ask("h", extra_headers={"X-Trace": "1"})])
    assert len(emu.requests) == 0


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")  # unknown model names on purpose
def test_failed_items_are_typed_errors_in_place(emu: Emulator, client: QwenClient) -> None:
    requests = [ask("fine 0"), ask("bad", model="qwen-plus-no-such-snapshot"), ask("fine 2")]
    job = submit_chat(client, requests)
    assert len(job.batch_ids) == 2  # one model per file
    results = retrieve_chat(client, job, same, options=QUIET)
    assert results[0].text == "Echo: fine 0" and results[2].text == "Echo: fine 2"  # type: ignore[union-attr]
    error = results[1]
    assert isinstance(error, NotFoundError)
    assert error.status == 404 and error.code == "model_not_found" and error.request_id


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")  # unknown model names on purpose
def test_a_batch_the_service_rejects_fails_every_item_with_the_reason(client: QwenClient) -> None:
    job = submit_chat(client, [ask("a", model="qwen-mt-plus"), ask("b", model="qwen-mt-plus")])
    final = client.batch.with_schedule(QUICK_POLL).wait(job, show_progress=False)
    assert final.status == "failed" and final.batches[0].errors[0].code == "model_not_supported"
    results = retrieve_chat(client, job, same, options=QUIET)
    assert all(isinstance(r, BatchJobError) and r.code == "failed" for r in results)
    assert "does not support batch inference" in str(results[0])


def test_cancel_keeps_finished_items_and_marks_the_rest(emu: Emulator, client: QwenClient) -> None:
    emu.batches.timing = replace(FAST, in_progress=3.0)
    job = submit_chat(client, [ask(f"n{n}") for n in range(20)])
    batches = client.batch.with_schedule(QUICK_POLL)
    assert batches.status(job).status in ("validating", "in_progress")
    cancelling = batches.cancel_job(job)
    assert cancelling.status == "cancelling"
    final = batches.wait(job, show_progress=False, timeout=10)
    assert final.status == "cancelled"
    results = retrieve_chat(client, job, same, options=QUIET)
    assert all(isinstance(r, (ChatResult, BatchJobError)) for r in results)
    assert any(isinstance(r, BatchJobError) and r.code == "batch_cancelled" for r in results)


def test_expired_batch_returns_what_finished(emu: Emulator, client: QwenClient) -> None:
    emu.batches.timing = replace(FAST, in_progress=1.0, expire_after=0.5)
    job = submit_chat(client, [ask(f"n{n}") for n in range(10)])
    results = retrieve_chat(client, job, same, options=QUIET)
    done = [r for r in results if isinstance(r, ChatResult)]
    expired = [r for r in results if isinstance(r, BatchJobError)]
    assert done and expired and len(done) + len(expired) == 10
    assert {e.code for e in expired} == {"batch_expired"}


def test_a_job_is_resumed_by_its_id_after_a_restart(emu: Emulator) -> None:
    with QwenClient(api_key=API_KEY, base_url=emu.base_url) as first:
        job_id = submit_chat(first, [ask(f"r{n}") for n in range(5)], limits=BatchLimits(max_requests=2)).id
        handle = submit_chat(first, [ask("json handle")]).to_json()
    with QwenClient(api_key=API_KEY, base_url=emu.base_url) as second:  # a new process would do the same
        results = retrieve_chat(second, BatchJob.from_id(job_id), same, options=QUIET)
        assert [r.text for r in results] == [f"Echo: r{n}" for n in range(5)]  # type: ignore[union-attr]
        (only,) = retrieve_chat(second, BatchJob.from_json(handle), same, options=QUIET)
        assert only.text == "Echo: json handle"  # type: ignore[union-attr]


def test_retrieve_without_waiting_refuses_an_unfinished_job(emu: Emulator, client: QwenClient) -> None:
    emu.batches.timing = replace(FAST, in_progress=3.0)
    job = submit_chat(client, [ask("slow")])
    with pytest.raises(InvalidRequestError, match="wait=True"):
        retrieve_chat(client, job, same, wait=False, options=QUIET)
    with pytest.raises(APITimeoutError, match="resume it by its id"):
        retrieve_chat(client, job, same, options=replace(QUIET, timeout=0.3))
    client.batch.cancel_job(job)


@pytest.mark.filterwarnings("ignore::qwen_core.catalogue.UnknownModelWarning")  # unknown model names on purpose
def test_batch_test_model_runs_end_to_end_on_its_own_url(emu: Emulator, client: QwenClient) -> None:
    job = submit_chat(client, [ask(f"t{n}", model=TEST_MODEL) for n in range(101)])
    assert len(job.batch_ids) == 2  # batch-test-model files hold at most 100 lines
    assert {line["url"] for lines in uploads(emu) for line in lines} == {"/v1/chat/ds-test"}
    results = retrieve_chat(client, job, same, options=QUIET)
    assert {r.text for r in results} == {"This is a test result."}  # type: ignore[union-attr]


def test_embeddings_through_batches_equal_live_vectors(emu: Emulator, client: QwenClient) -> None:
    texts = [f"document number {n}" for n in range(23)]
    vectors = embed_with_batches(client, texts, model="text-embedding-v4", dimensions=64, options=QUIET)
    live = embed_texts(client, texts, model="text-embedding-v4", dimensions=64)
    assert vectors == live
    (lines,) = uploads(emu)
    assert [line["custom_id"] for line in lines] == ["0", "10", "20"]
    assert {line["url"] for line in lines} == {"/v1/embeddings"}


async def test_async_twins(emu: Emulator, client: QwenClient) -> None:
    job = await asubmit_chat(client, [ask(f"a{n}") for n in range(4)], limits=BatchLimits(max_requests=3))
    results = await aretrieve_chat(client, job, same, options=QUIET)
    assert [r.text for r in results] == [f"Echo: a{n}" for n in range(4)]  # type: ignore[union-attr]
    texts = [f"t {n}" for n in range(12)]
    vectors = await aembed_with_batches(client, texts, model="text-embedding-v4", dimensions=64, options=QUIET)
    assert vectors == embed_texts(client, texts, model="text-embedding-v4", dimensions=64)
    await client.aclose()


def test_progress_logs_without_tqdm_and_is_silent_when_asked(
    client: QwenClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = submit_chat(client, [ask("p")])
    batches = client.batch.with_schedule(QUICK_POLL)
    batches.wait(job, show_progress=False)
    assert capsys.readouterr().err == "" and not caplog.records
    monkeypatch.setitem(__import__("sys").modules, "tqdm.auto", None)  # tqdm not installed
    with caplog.at_level(logging.INFO, logger="qwen_core.batch"):
        batches.wait(submit_chat(client, [ask("q")]), show_progress=True)
    assert any("completed" in record.getMessage() for record in caplog.records)


def test_progress_bar_with_tqdm(client: QwenClient, capsys: pytest.CaptureFixture[str]) -> None:
    batches = client.batch.with_schedule(QUICK_POLL)
    batches.wait(submit_chat(client, [ask(f"b{n}") for n in range(3)]), show_progress=True)
    assert "Qwen batch" in capsys.readouterr().err


def test_timing_is_configurable() -> None:
    slow = BatchTiming(validating=1.0)
    with Emulator(batch_timing=slow) as emu:
        assert emu.batches.timing is slow


def test_forced_output_follows_the_live_policy_or_is_refused(emu: Emulator, client: QwenClient) -> None:
    from qwen_core.errors import UnsupportedFeatureError
    from qwen_core.types import NamedToolChoice, ToolSpec

    tool = ToolSpec(name="pick", description="Pick one.", parameters={"type": "object", "properties": {}})
    hybrid = ask("choose", model="qwen3.5-plus", tools=(tool,), tool_choice=NamedToolChoice("pick"))
    submit_chat(client, [hybrid])
    (lines,) = uploads(emu)
    assert lines[0]["body"]["enable_thinking"] is False  # thinking off for that call, as live calls do
    thinker = ask("choose", model="qwq-plus", tools=(tool,), tool_choice=NamedToolChoice("pick"))
    with pytest.raises(UnsupportedFeatureError, match="live call"):
        submit_chat(client, [thinker])
