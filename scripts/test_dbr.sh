#!/usr/bin/env bash
# byod on a Databricks Runtime LTS shaped environment (scripts/dbr_env.sh): the runtime's pyspark 3.5,
# pandas 1.5.3, numpy 1.23.5 and pyarrow, byod's core on top, and the tests that need nothing else
# (the peers that prove parity -- streaming, datatrove, spaCy, datasketch, torch -- are not on a cluster).
#   scripts/test_dbr.sh 15.4 [pytest args]    scripts/test_dbr.sh 14.3 [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
runtime="${1:-15.4}"
shift || true
bash scripts/dbr_env.sh "$runtime"
venv=".venv-dbr$runtime"
slice=(
  tests/stages/test_quality_c4.py tests/stages/test_quality_gopher.py tests/stages/test_quality_fineweb.py
  tests/stages/test_quality_text.py tests/stages/test_normalize.py tests/stages/test_latex.py
  tests/stages/test_latex_verbatim.py tests/stages/test_filter_bases.py tests/stages/test_dedup_components.py
  tests/stages/test_dedup_exact.py tests/stages/test_dedup_identity.py tests/stages/test_dedup_minhash.py
  tests/stages/test_dedup_survivor.py tests/stages/test_finetune_split.py tests/stages/test_finetune_validate.py
  tests/sources/test_c4.py tests/sources/test_files.py tests/sources/test_records.py tests/sources/test_spec.py
  tests/sources/test_hostile_files.py tests/mds/test_reader.py tests/test_pipeline.py tests/test_ids.py
  tests/test_config.py tests/test_config_safety.py tests/test_documents.py tests/reliability/test_determinism.py
  tests/stages/test_fused.py tests/test_sinks.py
)
# the whole c4_arxiv job (tokenizer files come in a package that needs Python 3.11)
if "$venv/bin/python" -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
  slice+=(tests/test_golden.py tests/reliability/test_output_safety.py tests/reliability/test_resume.py)
fi
export PYSPARK_PYTHON="$PWD/$venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/$venv/bin/python"
export SPARK_LOCAL_IP=127.0.0.1 HF_HUB_OFFLINE=1 BYOD_DBR_RUNTIME="$runtime"
# pyspark 3.5's bundled Hadoop has no zstd codec: byod reads local .zst files in Python tasks there
# (byod/sources/scan.py), so the hostile-file tests with a .zst among the inputs run here too.
exec "$venv/bin/python" -m pytest -p no:cacheprovider "${slice[@]}" "$@"
