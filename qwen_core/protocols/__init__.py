"""Wire protocols: the native DashScope API (:mod:`.native`) and the OpenAI-compatible endpoint (:mod:`.compatible`),
both implementing :class:`~qwen_core.protocols.base.WireProtocol`."""

__all__: list[str] = []  # the protocols live in their modules
