"""Constants every suite shares: the API key the tests use, both protocols, the recorded captures."""

from __future__ import annotations

from pathlib import Path

#: The key every test passes (the emulator and the fault server accept any key); distinctive, so a test that looks
#: for it in reprs, errors, logs or dumps cannot miss a leak.
API_KEY = "sk-emulator-secret-0123456789"
#: Both wire protocols, as the ``api`` argument spells them.
APIS = ("compatible", "dashscope")
#: Real-service captures (request and response of each recorded call); see its README.md.
CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures"
