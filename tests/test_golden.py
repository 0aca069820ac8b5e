"""Golden regression: each shipped job on fixed input and config must reproduce its recorded summary.

Re-record on purpose with:  BYOD_RECORD_GOLDEN=1 bash scripts/test.sh tests/test_golden.py
"""

from __future__ import annotations

from pathlib import Path

from byod.runner import run_job
from tests.golden.summary import check_or_record, summarize

REPO = Path(__file__).resolve().parent.parent


def test_c4_arxiv_golden(spark, tmp_path, tokenizer_dirs, monkeypatch):
    monkeypatch.chdir(REPO)
    output = tmp_path / "c4_arxiv"
    report = run_job("c4_arxiv", overrides=[f"output={output}", f"tokenize.tokenizer={tokenizer_dirs['llama3']}",
                                             "tokenize.max_seq_len=128"])
    differences = check_or_record("c4_arxiv", summarize(str(output), report))
    assert not differences, "c4_arxiv drifted from tests/golden/c4_arxiv.json:\n" + "\n".join(differences)
