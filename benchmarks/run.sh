#!/usr/bin/env bash
# One command for the benchmarks: builds benchmarks/.venv-bench (git-ignored) with the project and the baseline
# integrations, then runs benchmarks/run.py with the arguments given (e.g. --quick, --only stream).
# Re-runs skip pip when pyproject.toml and the baseline list are unchanged (a stamp file records their hash).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=benchmarks/.venv-bench
PY=${PYTHON:-python3}
BASELINES="langchain-openai langchain-qwq langchain-community llama-index-llms-openai-like"
# llama-index-llms-dashscope pins dashscope==1.22.2 while the project needs >=1.26.7: it is installed without its
# dependencies and runs on the project's dashscope (its calls are the same in both).
NODEPS="llama-index-llms-dashscope"
TOOLS="matplotlib psutil pyinstrument"

stamp_value="$(cat pyproject.toml; echo "$BASELINES $NODEPS $TOOLS")"
stamp_hash="$(printf '%s' "$stamp_value" | sha256sum | cut -d' ' -f1)"
stamp_file="$VENV/.bench-stamp"

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$stamp_file" 2>/dev/null || true)" != "$stamp_hash" ]; then
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[all]" $BASELINES $TOOLS
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps $NODEPS
  echo "$stamp_hash" > "$stamp_file"
fi

exec "$VENV/bin/python" benchmarks/run.py "$@"
