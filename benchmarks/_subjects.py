"""What is measured: the raw floors, our classes (both protocols) and the other integrations.

Every subject is built against the emulator and exposes up to three callables: ``call`` (one sync chat call),
``stream`` (consume one sync stream, return the number of deltas seen) and ``acall`` (one async chat call). Each
is created once and reused, so connection pools stay warm, as in a real application.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

API_KEY = "sk-bench"
MODEL = "qwen-plus"
ONE_CALL_PROMPT = "Hi"
#: The emulator echoes the prompt word by word, so 199 words give 200 content chunks ("Echo:" + 199 words).
STREAM_PROMPT = " ".join(f"w{i:03d}" for i in range(199))

_T = TypeVar("_T")

OURS = ("core", "ChatQwen", "Qwen")
BASELINES = ("ChatOpenAI", "qwq.ChatQwen", "ChatTongyi", "LI.DashScope", "LI.OpenAILike")


@dataclass
class Env:
    """Where the emulator is, and its control channel."""

    base_url: str
    control_port: int
    _sock: socket.socket | None = field(default=None, repr=False)
    _file: Any = field(default=None, repr=False)

    @classmethod
    def from_environ(cls) -> Env:
        return cls(os.environ["BENCH_BASE_URL"], int(os.environ["BENCH_CONTROL_PORT"]))

    @property
    def compat(self) -> str:
        return self.base_url + "/compatible-mode/v1"

    @property
    def native(self) -> str:
        return self.base_url + "/api/v1"

    def control(self, command: str) -> str:
        if self._sock is None:
            self._sock = socket.create_connection(("127.0.0.1", self.control_port))
            self._file = self._sock.makefile("rwb")
        self._file.write((command + "\n").encode())
        self._file.flush()
        line: bytes = self._file.readline()
        return line.decode().strip()

    def conns(self) -> int:
        return int(self.control("conns"))

    def latency(self, seconds: float) -> None:
        self.control(f"latency {seconds}")


@dataclass
class Subject:
    name: str
    protocol: str  # "compatible" or "dashscope": which floor it is compared with
    kind: str  # "floor", "ours" or "baseline"
    call: Callable[[], Any] | None = None
    stream: Callable[[], int] | None = None
    acall: Callable[[], Awaitable[Any]] | None = None
    close: Callable[[], Any] | None = None
    aclose: Callable[[], Awaitable[Any]] | None = None


# ------------------------------------------------------------------------------------------------ floors


def _compat_body(prompt: str, stream: bool) -> bytes:
    body: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": prompt}]}
    if stream:
        body.update(stream=True, stream_options={"include_usage": True})
    return json.dumps(body).encode()


def _native_body(prompt: str, stream: bool) -> bytes:
    params: dict[str, Any] = {"result_format": "message"}
    if stream:
        params["incremental_output"] = True
    return json.dumps({"model": MODEL, "input": {"messages": [{"role": "user", "content": prompt}]},
                       "parameters": params}).encode()


def _floor_request(env: Env, protocol: str, prompt: str, stream: bool) -> tuple[str, bytes, dict[str, str]]:
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    if protocol == "compatible":
        return env.compat + "/chat/completions", _compat_body(prompt, stream), headers
    if stream:
        headers = {**headers, "X-DashScope-SSE": "enable", "Accept": "text/event-stream"}
    return env.native + "/services/aigc/text-generation/generation", _native_body(prompt, stream), headers


def _raw_text_deltas(client: Any, url: str, body: bytes, headers: dict[str, str]) -> Iterator[str]:
    """The text deltas of a compatible stream, read with httpx and parsed by hand (the frameworks' floors)."""
    buf = b""
    with client.stream("POST", url, content=body, headers=headers) as response:
        for chunk in response.iter_bytes():
            lines = (buf + chunk).split(b"\n")
            buf = lines.pop()
            for line in lines:
                if line.startswith(b"data:") and line != b"data: [DONE]":
                    choices = json.loads(line[5:])["choices"]
                    if choices:
                        yield choices[0]["delta"].get("content") or ""


def floor_subject(env: Env, protocol: str, prompt: str = ONE_CALL_PROMPT) -> Subject:
    """Raw httpx POST (sync), raw httpx stream split into lines, raw aiohttp POST (async)."""
    import httpx

    client = httpx.Client()
    url, body, headers = _floor_request(env, protocol, prompt, stream=False)
    s_url, s_body, s_headers = _floor_request(env, protocol, STREAM_PROMPT, stream=True)

    def call() -> bytes:
        return client.post(url, content=body, headers=headers).content

    def stream() -> int:
        events = 0
        buf = b""
        with client.stream("POST", s_url, content=s_body, headers=s_headers) as response:
            for chunk in response.iter_bytes():
                lines = (buf + chunk).split(b"\n")
                buf = lines.pop()
                events += sum(1 for line in lines if line.startswith(b"data:"))
        return events

    session: list[Any] = []

    async def acall() -> bytes:
        if not session:
            import aiohttp

            session.append(aiohttp.ClientSession())
        async with session[0].post(url, data=body, headers=headers) as response:
            answer: bytes = await response.read()
            return answer

    def close() -> None:
        client.close()

    async def aclose() -> None:
        if session:
            await session.pop().close()

    return Subject(f"raw ({'compat' if protocol == 'compatible' else 'native'})", protocol, "floor",
                   call, stream, acall, close, aclose)


def mixed_floor_subject(env: Env, protocol: str) -> Subject:
    """The floor for the scripted mixed stream: same raw line loop, the emulator queues the reply first."""
    sub = floor_subject(env, protocol)
    raw = sub.stream
    assert raw is not None

    def stream() -> int:
        return raw()

    return Subject(sub.name, protocol, "floor", None, stream, None, sub.close)


# ------------------------------------------------------------------------------------------------ ours


def _api_label(api: str) -> str:
    return "compat" if api == "compatible" else "native"


def core_subject(env: Env, api: str) -> Subject:
    from qwen_core.client import QwenClient
    from qwen_core.types import ChatRequest, Message

    client = QwenClient(api=api, api_key=API_KEY, base_url=env.base_url)  # type: ignore[arg-type]
    one = ChatRequest(model=MODEL, messages=(Message("user", ONE_CALL_PROMPT),))
    long = ChatRequest(model=MODEL, messages=(Message("user", STREAM_PROMPT),))

    def stream() -> int:
        return sum(1 for _ in client.stream(long))

    async def acall() -> Any:
        return await client.achat(one)

    return Subject(f"QwenClient ({_api_label(api)})", api, "ours", lambda: client.chat(one), stream, acall,
                   client.close)


def chatqwen_subject(env: Env, api: str) -> Subject:
    from langchain_qwen import ChatQwen

    llm = ChatQwen(model=MODEL, api_key=API_KEY, base_url=env.base_url, api=api)  # type: ignore[arg-type]

    def stream() -> int:
        return sum(1 for _ in llm.stream(STREAM_PROMPT))

    async def acall() -> Any:
        return await llm.ainvoke(ONE_CALL_PROMPT)

    return Subject(f"ChatQwen ({_api_label(api)})", api, "ours", lambda: llm.invoke(ONE_CALL_PROMPT), stream, acall,
                   getattr(llm, "close", None))


def qwen_li_subject(env: Env, api: str) -> Subject:
    from llama_index.core.llms import ChatMessage

    from llama_index_qwen import Qwen

    llm = Qwen(model=MODEL, api_key=API_KEY, base_url=env.base_url, api=api)
    one = [ChatMessage(role="user", content=ONE_CALL_PROMPT)]
    long = [ChatMessage(role="user", content=STREAM_PROMPT)]

    def stream() -> int:
        return sum(1 for _ in llm.stream_chat(long))

    async def acall() -> Any:
        return await llm.achat(one)

    return Subject(f"Qwen/LlamaIndex ({_api_label(api)})", api, "ours", lambda: llm.chat(one), stream, acall)


# ------------------------------------------------------------------------------------------------ framework floors


class _RawCompatText:
    """The compatible chat call and stream done the raw way, as text: what both framework floors wrap.

    Sync calls and streams use one httpx client (json.loads of the answer; ``_raw_text_deltas`` for streams), the
    async call the raw floor's aiohttp session.
    """

    def __init__(self, env: Env) -> None:
        import httpx

        self.raw = floor_subject(env, "compatible")
        self._client = httpx.Client()
        self._call = _floor_request(env, "compatible", ONE_CALL_PROMPT, stream=False)
        self._stream = _floor_request(env, "compatible", STREAM_PROMPT, stream=True)

    def call(self) -> str:
        url, body, headers = self._call
        return _message_text(self._client.post(url, content=body, headers=headers).content)

    async def acall(self) -> str:
        assert self.raw.acall is not None
        return _message_text(await self.raw.acall())

    def deltas(self) -> Iterator[str]:
        return _raw_text_deltas(self._client, *self._stream)


def _message_text(payload: bytes) -> str:
    return json.loads(payload)["choices"][0]["message"]["content"]  # type: ignore[no-any-return]


def lc_floor_subject(env: Env) -> Subject:
    """langchain-core's own cost: a minimal BaseChatModel over the raw floor (json.loads, one message per chunk).

    No integration built on langchain-core can be cheaper; the gap between it and ChatQwen is the adapter's.
    """
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    floor = _RawCompatText(env)

    def result(text: str) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    class RawChat(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "raw-floor"

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
            return result(floor.call())

        async def _agenerate(self, messages: Any, stop: Any = None, run_manager: Any = None,
                             **kwargs: Any) -> ChatResult:
            return result(await floor.acall())

        def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            for text in floor.deltas():
                yield ChatGenerationChunk(message=AIMessageChunk(content=text))

    sub = _lc_subject("langchain-core floor", "compatible", RawChat())
    sub.kind, sub.aclose = "floor", floor.raw.aclose
    return sub


def li_floor_subject(env: Env) -> Subject:
    """llama-index-core's own cost: a minimal LLM (chat callbacks, ChatResponse per chunk) over the raw floor."""
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse, LLMMetadata
    from llama_index.core.llms import LLM
    from llama_index.core.llms.callbacks import llm_chat_callback

    floor = _RawCompatText(env)

    def response(text: str) -> ChatResponse:
        return ChatResponse(message=ChatMessage(role="assistant", content=text))

    class RawLLM(LLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True)

        @llm_chat_callback()
        def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
            return response(floor.call())

        @llm_chat_callback()
        async def achat(self, messages: Any, **kwargs: Any) -> ChatResponse:
            return response(await floor.acall())

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kwargs: Any) -> Any:
            def gen() -> Any:
                text = ""
                for delta in floor.deltas():
                    text += delta
                    yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=delta)

            return gen()

        def complete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        def stream_complete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        async def acomplete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        async def astream_complete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        async def astream_chat(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

    sub = _li_subject("llama-index-core floor", "compatible", RawLLM(), ChatMessage)
    sub.kind, sub.aclose = "floor", floor.raw.aclose
    return sub


# ------------------------------------------------------------------------------------------------ baselines


def _options(**options: Any) -> dict[str, Any]:
    """Constructor options for a baseline: their declared types differ between releases (``api_key`` as ``str`` or
    ``SecretStr``, aliases or not), and every one of them accepts these values at run time."""
    return options


def chatopenai_subject(env: Env) -> Subject:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(**_options(model=MODEL, api_key=API_KEY, base_url=env.compat))
    return _lc_subject("ChatOpenAI(base_url)", "compatible", llm)


def qwq_subject(env: Env) -> Subject:
    from langchain_qwq import ChatQwen as QwqChatQwen

    llm = QwqChatQwen(**_options(model=MODEL, api_key=API_KEY, api_base=env.compat))
    return _lc_subject("langchain-qwq ChatQwen", "compatible", llm)


def _point_dashscope(env: Env) -> None:
    import dashscope

    dashscope.base_http_api_url = env.native  # the SDK reads this module global on every call


def tongyi_subject(env: Env) -> Subject:
    from langchain_community.chat_models.tongyi import ChatTongyi

    _point_dashscope(env)
    llm = ChatTongyi(**_options(model=MODEL, api_key=API_KEY))
    sub = _lc_subject("ChatTongyi", "dashscope", llm)
    # With langchain-core 1.x, ChatTongyi.stream() answers with one non-streamed call unless streaming=True
    # (which would also make invoke() stream), so streams use a second instance.
    streaming = ChatTongyi(**_options(model=MODEL, api_key=API_KEY, streaming=True))
    sub.stream = _lc_subject("ChatTongyi", "dashscope", streaming).stream
    return _with_dashscope_url(env, sub)


def _lc_subject(name: str, protocol: str, llm: Any) -> Subject:
    def stream() -> int:
        return sum(1 for _ in llm.stream(STREAM_PROMPT))

    async def acall() -> Any:
        return await llm.ainvoke(ONE_CALL_PROMPT)

    return Subject(name, protocol, "baseline", lambda: llm.invoke(ONE_CALL_PROMPT), stream, acall)


def li_dashscope_subject(env: Env) -> Subject:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.dashscope import DashScope

    _point_dashscope(env)
    llm = DashScope(model_name=MODEL, api_key=API_KEY)
    sub = _li_subject("LlamaIndex DashScope", "dashscope", llm, ChatMessage)
    return _with_dashscope_url(env, sub)


def li_openailike_subject(env: Env) -> Subject:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(model=MODEL, api_key=API_KEY, api_base=env.compat, is_chat_model=True)
    return _li_subject("LlamaIndex OpenAILike", "compatible", llm, ChatMessage)


def _li_subject(name: str, protocol: str, llm: Any, chat_message: Any) -> Subject:
    one = [chat_message(role="user", content=ONE_CALL_PROMPT)]
    long = [chat_message(role="user", content=STREAM_PROMPT)]

    def stream() -> int:
        return sum(1 for _ in llm.stream_chat(long))

    async def acall() -> Any:
        return await llm.achat(one)

    return Subject(name, protocol, "baseline", lambda: llm.chat(one), stream, acall)


def _with_dashscope_url(env: Env, sub: Subject) -> Subject:
    """The dashscope SDK keeps its base URL in a module global: set it before each call (costs ~50 ns)."""
    import dashscope

    def wrap(fn: Callable[[], _T] | None) -> Callable[[], _T] | None:
        if fn is None:
            return None

        def wrapped() -> _T:
            dashscope.base_http_api_url = env.native
            return fn()

        return wrapped

    sub.call, sub.stream, sub.acall = wrap(sub.call), wrap(sub.stream), wrap(sub.acall)
    return sub


FACTORIES: dict[str, Callable[[Env], Subject]] = {
    "raw-compat": lambda env: floor_subject(env, "compatible"),
    "raw-native": lambda env: floor_subject(env, "dashscope"),
    "core-compat": lambda env: core_subject(env, "compatible"),
    "core-native": lambda env: core_subject(env, "dashscope"),
    "ChatQwen-compat": lambda env: chatqwen_subject(env, "compatible"),
    "ChatQwen-native": lambda env: chatqwen_subject(env, "dashscope"),
    "Qwen-compat": lambda env: qwen_li_subject(env, "compatible"),
    "Qwen-native": lambda env: qwen_li_subject(env, "dashscope"),
    "LC-floor": lc_floor_subject,
    "LI-floor": li_floor_subject,
    "ChatOpenAI": chatopenai_subject,
    "qwq": qwq_subject,
    "ChatTongyi": tongyi_subject,
    "LI-DashScope": li_dashscope_subject,
    "LI-OpenAILike": li_openailike_subject,
}
FLOORS = ("raw-compat", "raw-native")
FRAMEWORK_FLOORS = ("LC-floor", "LI-floor")
OUR_KEYS = ("core-compat", "core-native", "ChatQwen-compat", "ChatQwen-native", "Qwen-compat", "Qwen-native")
BASELINE_KEYS = ("ChatOpenAI", "qwq", "ChatTongyi", "LI-DashScope", "LI-OpenAILike")


def build(env: Env, keys: tuple[str, ...]) -> tuple[dict[str, Subject], dict[str, str]]:
    """Build the named subjects; a subject that cannot be built is reported, not fatal."""
    built: dict[str, Subject] = {}
    errors: dict[str, str] = {}
    for key in keys:
        try:
            built[key] = FACTORIES[key](env)
        except Exception as exc:
            errors[key] = f"{type(exc).__name__}: {exc}"[:300]
    return built, errors
