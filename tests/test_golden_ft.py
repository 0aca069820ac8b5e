"""Golden regression for ft_data_prep: counts, finetuning figures and a digest of every written sample.

Re-record on purpose with:  BYOD_RECORD_GOLDEN=1 bash scripts/test.sh tests/test_golden_ft.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from byod.runner import run_job
from tests.golden.summary import _digest_samples, check_or_record

REPO = Path(__file__).resolve().parent.parent


def summarize_ft(output: str, report: dict[str, Any]) -> dict[str, Any]:
    """The lead's summary fields, with one sample digest per split folder and the finetuning section."""
    splits = {}
    for split in ("train", "eval"):
        samples, digest = _digest_samples(f"{output}/mds/{split}")
        splits[split] = {"samples": samples, "sha256": digest}
    finetune = {k: v for k, v in report["finetune"].items() if k != "token_histogram"}
    return {
        "totals": report["totals"],
        "dropped_by_reason": dict(sorted(report["dropped_by_reason"].items())),
        "rejected_by_reason": dict(sorted(report["rejected_by_reason"].items())),
        "stages": [{k: s[k] for k in ("name", "in", "out", "dropped_by_reason")} for s in report["stages"]],
        "finetune": finetune,
        "token_histogram": report["finetune"]["token_histogram"]["counts"],
        "splits": splits,
    }


def test_ft_data_prep_golden(spark, tmp_path, corpora, tokenizer_dirs, monkeypatch):
    monkeypatch.chdir(REPO)
    output = tmp_path / "ft"
    paths = [str(corpora / "sft_pairs_public.jsonl.gz"), str(corpora / "sft_chat_public.jsonl.gz"), "data/sample/ft"]
    report = run_job("ft_data_prep", overrides={
        "output": str(output), "sources": [{"name": "ft", "format": "jsonl", "paths": paths,
                                            "options": {"id_column": "id"}}],
        "tokenize.tokenizer": str(tokenizer_dirs["qwen2"]), "tokenize.max_seq_len": 256,
        "split.eval_fraction": 0.2, "split.seed": 11})
    differences = check_or_record("ft_data_prep", summarize_ft(str(output), report))
    assert not differences, "ft_data_prep drifted from tests/golden/ft_data_prep.json:\n" + "\n".join(differences)
