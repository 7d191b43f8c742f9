"""Wire protocols: the native DashScope API and the OpenAI-compatible endpoint."""
