"""Offline emulator of Alibaba's DashScope (Qwen) service: a real HTTP/1.1 server on loopback.

It speaks the native protocol (text and multimodal generation, embeddings, rerank, tokenizer) and the
OpenAI-compatible one (chat completions, embeddings, rerank, files and batches), answers deterministically, and
can be scripted (:class:`ScriptedReply`, :class:`Disobey`, :class:`RawResponse`) and made to fail (:class:`HTTPFault`,
:class:`DropConnection`, :class:`Disconnect`, :class:`StreamError`, :class:`SlowFirstByte`, :class:`MalformedJSON`,
:class:`MalformedSSE`). See :class:`Emulator`.
"""

from qwen_core.emulator.batches import BatchTiming
from qwen_core.emulator.script import (
    Disconnect,
    Disobey,
    DropConnection,
    Fault,
    HTTPFault,
    MalformedJSON,
    MalformedSSE,
    RawResponse,
    RecordedRequest,
    RequestLog,
    ScriptedReply,
    ScriptedToolCall,
    ScriptItem,
    SlowFirstByte,
    StreamError,
)
from qwen_core.emulator.server import Emulator

__all__ = [
    "BatchTiming",
    "Disconnect",
    "Disobey",
    "DropConnection",
    "Emulator",
    "Fault",
    "HTTPFault",
    "MalformedJSON",
    "MalformedSSE",
    "RawResponse",
    "RecordedRequest",
    "RequestLog",
    "ScriptItem",
    "ScriptedReply",
    "ScriptedToolCall",
    "SlowFirstByte",
    "StreamError",
]
