#!/usr/bin/env bash
# Set up the environment and run the main job (c4_arxiv) on the sample data shipped in the repo:
# local Spark, MDS shards in out/c4_arxiv/mds, report in out/c4_arxiv/report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh demo
venv="${BYOD_VENV:-.venv}"
export PYSPARK_PYTHON="$PWD/$venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/$venv/bin/python"
export SPARK_LOCAL_IP=127.0.0.1 HF_HUB_OFFLINE=1
tokenizer="$("$venv/bin/python" scripts/offline_tokenizer.py llama3 .cache/tokenizers)"
exec "$venv/bin/byod" run c4_arxiv output=out/c4_arxiv overwrite=true "tokenize.tokenizer=$tokenizer" \
  tokenize.max_seq_len=512 "$@"
