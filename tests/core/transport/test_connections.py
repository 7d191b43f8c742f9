"""The transports as users meet them through QwenClient: failure classification (alike in sync and async, and
on a user's httpx client), deadlines, per-request timeouts, pooled reuse after an early break, fork safety."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx
import pytest

from qwen_core.client import QwenClient
from qwen_core.emulator import Emulator
from qwen_core.emulator.script import ScriptedReply, SlowFirstByte
from qwen_core.errors import APIConnectionError, APITimeoutError
from qwen_core.types import Api
from tests._support.calls import MODES, answer, ask
from tests._support.constants import API_KEY
from tests._support.net_servers import ResettingServer, refused_url
from tests._support.processes import fork, wait_for_exit

Factory = Callable[..., QwenClient]


@pytest.fixture(params=["built-in", "httpx"])
def make_client(request: pytest.FixtureRequest) -> Iterator[Factory]:
    """QwenClient on the built-in transports (urllib3/aiohttp) or on the user's own httpx clients."""
    own: list[httpx.Client] = []

    def make(**kwargs: object) -> QwenClient:
        if request.param == "httpx":
            sync_client = httpx.Client()
            own.append(sync_client)
            kwargs.update(http_client=sync_client, http_async_client=httpx.AsyncClient())
        return QwenClient(api_key=API_KEY, **kwargs)  # type: ignore[arg-type]

    yield make
    for client in own:
        client.close()


# -- failure classification ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_dns_failure_is_a_connection_error_naming_the_host(make_client: Factory, mode: str) -> None:
    client = make_client(base_url="http://no-such-host.invalid", max_retries=0)
    with pytest.raises(APIConnectionError, match=r"cannot resolve host no-such-host\.invalid") as caught:
        answer(client, mode)
    assert not isinstance(caught.value, APITimeoutError)


@pytest.mark.parametrize("mode", MODES)
def test_refused_connection_is_a_connection_error_naming_the_host(make_client: Factory, mode: str) -> None:
    url = refused_url()
    client = make_client(base_url=url, max_retries=0)
    with pytest.raises(APIConnectionError, match="connection refused by " + url.removeprefix("http://")):
        answer(client, mode)


@pytest.mark.parametrize("mode", MODES)
def test_reset_connection_is_a_connection_error(make_client: Factory, mode: str) -> None:
    with ResettingServer() as server:
        client = make_client(base_url=server.url, max_retries=0)
        with pytest.raises(APIConnectionError, match=server.url.removeprefix("http://")) as caught:
            answer(client, mode)
    assert not isinstance(caught.value, APITimeoutError)


@pytest.mark.parametrize("mode", MODES)
def test_only_a_real_timeout_is_a_timeout(emu: Emulator, make_client: Factory, mode: str) -> None:
    emu.reset()
    emu.enqueue(SlowFirstByte(delay=1.0))
    client = make_client(base_url=emu.base_url, timeout=0.2, max_retries=0)
    with pytest.raises(APITimeoutError, match=f"127.0.0.1:{emu.port} timed out"):
        answer(client, mode)


# -- deadlines and per-request timeouts ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_total_timeout_bounds_a_call_and_a_whole_stream(make_client: Factory, mode: str) -> None:
    with Emulator(chunk_interval=0.05) as slow:
        streamed = mode in ("stream", "astream")  # 200 events 50 ms apart; a call's first byte after 2 s
        slow.enqueue(ScriptedReply(text="word " * 200, chunk_size=5) if streamed else SlowFirstByte(delay=2.0))
        client = make_client(base_url=slow.base_url, timeout=5, total_timeout=0.4, max_retries=0)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"timed out|total_timeout"):
            answer(client, mode)
        assert time.monotonic() - started < 1.5


def test_total_timeout_includes_retries(emu: Emulator, make_client: Factory) -> None:
    emu.reset()
    emu.enqueue(*[SlowFirstByte(delay=0.3)] * 6)
    client = make_client(base_url=emu.base_url, timeout=0.1, total_timeout=0.6, max_retries=5)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.chat(ask("x"))
    assert time.monotonic() - started < 1.2


def test_per_request_read_timeout(emu: Emulator, make_client: Factory) -> None:
    emu.reset()
    emu.enqueue(SlowFirstByte(delay=0.5), SlowFirstByte(delay=0.5))
    client = make_client(base_url=emu.base_url, timeout=0.2, max_retries=0)
    wire = replace(client.prepare_chat(ask("patient"), stream=False), timeout=5.0)
    body = client._sync.send(wire, client.protocol.parse_error)
    assert client.protocol.parse_chat(body).text == "Echo: patient"
    hurried = replace(wire, timeout=0.1)
    with pytest.raises(APITimeoutError):
        client._sync.send(hurried, client.protocol.parse_error)


# -- pooled reuse after an early break -----------------------------------------------------------------


@pytest.mark.parametrize("api", ["compatible", "dashscope"])
def test_breaking_out_of_streams_reuses_the_connection(emu: Emulator, api: Api) -> None:
    emu.reset()
    with QwenClient(api=api, api_key=API_KEY, base_url=emu.base_url) as client:
        for _ in range(50):
            emu.enqueue(ScriptedReply(text="word " * 200, chunk_size=5))
            for _delta in client.stream(ask("x")):
                break
        assert client.chat(ask("after")).text == "Echo: after"
    assert emu.connections_opened <= 5  # drained and reused (a reconnect per break before: 51)


def test_a_stream_still_running_is_closed_not_drained_forever() -> None:
    with Emulator(chunk_interval=0.05) as slow, QwenClient(api_key=API_KEY, base_url=slow.base_url) as client:
        slow.enqueue(ScriptedReply(text="word " * 100, chunk_size=5))
        started = time.monotonic()
        for _delta in client.stream(ask("x")):
            break
        assert time.monotonic() - started < 0.5
        assert client.chat(ask("next")).text == "Echo: next"
        assert slow.connections_opened == 2


# -- fork safety ---------------------------------------------------------------------------------------


def _child_answers_own_questions(client: QwenClient, token: str) -> bool:
    sync_ok = all(client.chat(ask(f"{token}-{i}")).text == f"Echo: {token}-{i}" for i in range(3))
    streamed = answer(client, "stream", f"{token}-s")
    async_answer = answer(client, "achat", f"{token}-a")
    return sync_ok and streamed == f"Echo: {token}-s" and async_answer == f"Echo: {token}-a"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is not available on this platform")
@pytest.mark.parametrize("api", ["compatible", "dashscope"])
def test_forked_children_get_fresh_pools(emu: Emulator, api: Api) -> None:
    emu.reset()
    client = QwenClient(api=api, api_key=API_KEY, base_url=emu.base_url, max_retries=0)
    loop = asyncio.new_event_loop()
    try:
        assert client.chat(ask("warm")).text == "Echo: warm"  # the sync pool holds a live connection
        assert loop.run_until_complete(client.achat(ask("warm"))).text == "Echo: warm"  # and the async one
        for round_ in range(30):
            pid = fork()
            if pid == 0:  # the child: calls while the parent calls too
                ok = False
                try:
                    ok = _child_answers_own_questions(client, f"child{round_}")
                finally:
                    os._exit(0 if ok else 1)
            parent = [client.chat(ask(f"parent{round_}-{i}")).text for i in range(3)]
            assert parent == [f"Echo: parent{round_}-{i}" for i in range(3)]
            assert loop.run_until_complete(client.achat(ask(f"p{round_}"))).text == f"Echo: p{round_}"
            assert wait_for_exit(pid, time.monotonic() + 30) == 0, f"child of round {round_} got a wrong answer"
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        client.close()
