"""Bad input through the shipped job: every kind of broken record is quarantined or counted, the
accounting in = kept + dropped + rejected holds exactly, and a missing file is a clear error."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from byod.errors import InputError
from byod.runner import run_job
from tests.helpers.corpus import real_web_docs

REPO = Path(__file__).resolve().parent.parent.parent


def _write_bad_inputs(folder: Path, corpora: Path) -> int:
    """One file per kind of bad input plus real documents; returns the number of records (non-blank lines)."""
    folder.mkdir()
    docs = real_web_docs(corpora)[:20]
    good = [json.dumps({"text": d["text"], "url": d["url"], "timestamp": d["timestamp"]}) for d in docs]
    (folder / "good.jsonl").write_text("\n".join(good) + "\n")
    (folder / "malformed.jsonl").write_text('{"text": "unterminated\n{not json at all}\n[1, 2, 3]\n')
    (folder / "invalid_utf8.jsonl").write_bytes(b'{"text": "caf\xe9 au lait \xff\xfe", "url": "u1"}\n')
    (folder / "nulls.jsonl").write_text('{"text": null, "url": "u2"}\n{"text": "", "url": "u3"}\n'
                                        '{"url": "u4"}\n{"text": "   ", "url": "u5"}\n')
    (folder / "wrong_schema.jsonl").write_text('{"text": 42, "url": "u6"}\n{"text": ["a", "b"], "url": "u7"}\n'
                                               '{"content": "no text field", "url": "u8"}\n')
    (folder / "binary.jsonl").write_bytes(bytes(b for b in range(256) if b != 10) * 4 + b"\n")
    (folder / "empty.jsonl").write_text("")
    big = ("A sentence that repeats to make a very long document. " * 400_000)[: 20 * 1024 * 1024]
    with gzip.open(folder / "huge.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": big, "url": "u-huge"}) + "\n")
    lines = 0
    for path in folder.iterdir():
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
        # records as Hadoop's line reader cuts them: \n, \r\n and a lone \r all end a line
        lines += sum(1 for line in re.split(rb"\r\n|\r|\n", raw) if line.strip())
    return lines


@pytest.mark.slow
def test_every_bad_record_is_counted_and_quarantined(spark, tmp_path, corpora, tokenizer_dirs, monkeypatch):
    monkeypatch.chdir(REPO)
    inputs = tmp_path / "bad"
    records = _write_bad_inputs(inputs, corpora)
    output = tmp_path / "out"
    report = run_job("c4_arxiv", overrides=[
        f"output={output}", f"sources=[{{name: web, format: c4, paths: ['{inputs}']}}]",
        f"tokenize.tokenizer={tokenizer_dirs['llama3']}", "tokenize.max_seq_len=512"])
    totals = report["totals"]
    assert totals["in"] == records
    assert totals["in"] == totals["kept"] + totals["dropped"] + totals["rejected"]
    rejected = report["rejected_by_reason"]
    # the binary junk holds \r bytes, so it is 5 records: some invalid UTF-8, some valid but not JSON
    assert rejected.get("jsonl.bad_json", 0) + rejected.get("jsonl.invalid_utf8", 0) == 2 + 1 + 5
    assert rejected.get("jsonl.invalid_utf8", 0) >= 2  # at least the Latin-1 line and one junk piece
    assert rejected.get("jsonl.missing_text") == 3  # null text, no text field, and {"content": ...}
    assert rejected.get("jsonl.wrong_type") == 3  # a number, a list, and the JSON array line
    assert rejected.get("jsonl.empty_text") == 2  # "" and whitespace only
    quarantined = [json.loads(line) for f in (output / "quarantine" / "web").glob("*.json") for line in f.open()]
    assert len(quarantined) == totals["rejected"]
    assert all(q["reject_reason"] and q["origin"] for q in quarantined)
    assert report["output"]["samples"] > 0


def test_missing_file_in_the_input_list_is_a_clear_error(spark, tmp_path, tokenizer_dirs, monkeypatch):
    monkeypatch.chdir(REPO)
    present = tmp_path / "a.jsonl"
    present.write_text(json.dumps({"text": "x", "url": "u"}) + "\n")
    with pytest.raises(InputError, match="does not exist"):
        run_job("c4_arxiv", overrides=[
            f"output={tmp_path / 'out'}", f"sources=[{{name: web, format: c4, paths: ['{present}', '{tmp_path}/gone.jsonl']}}]",
            f"tokenize.tokenizer={tokenizer_dirs['llama3']}"])
    assert not (tmp_path / "out" / "report.json").exists()


def test_only_empty_files_is_a_clear_error_before_spark(tmp_path, tokenizer_dirs):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.jsonl").write_text("")
    out = subprocess.run([sys.executable, "-m", "byod.cli", "run", "c4_arxiv", f"output={tmp_path / 'out'}",
                          f"sources=[{{name: web, format: c4, paths: ['{tmp_path / 'in'}']}}]",
                          f"tokenize.tokenizer={tokenizer_dirs['llama3']}"],
                         cwd=REPO, env={**os.environ}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == "byod: error: every input file is empty: nothing to do"
