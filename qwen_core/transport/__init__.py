"""Sync (urllib3) and async (aiohttp) transports: the only code in qwen_core that does network I/O."""
