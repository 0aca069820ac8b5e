#!/usr/bin/env bash
# Install what the tests need and run them. `scripts/test.sh` runs the default suite;
# `scripts/test.sh slow` runs the slow-marked checks (CI runs both, the slow step with a time bound).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh test
venv="${BYOD_VENV:-.venv}"
export PYSPARK_PYTHON="$PWD/$venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/$venv/bin/python"
export SPARK_LOCAL_IP=127.0.0.1 HF_HUB_OFFLINE=1
if [ "${1:-}" = "slow" ]; then
  shift
  exec "$venv/bin/python" -m pytest -m slow "$@"
fi
exec "$venv/bin/python" -m pytest "$@"
