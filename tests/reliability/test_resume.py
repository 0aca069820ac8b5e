"""Resume: a run that stopped is continued from its last finished step when its settings and inputs are
the same, and refused, with nothing deleted, when they are not."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from byod.errors import ResumeError
from byod.job import execute
from byod.runner import load_job, run_job
from tests.golden.summary import _digest_samples
from tests.helpers.corpus import real_web_docs, varied_copies
from tests.helpers.killed_runs import REPO, c4_arxiv_command, kill_when

STAGES = "stages=[{stage: Normalize}, {stage: GopherQualityFilter}, {stage: Dedup}]"


@pytest.fixture(scope="module")
def web(tmp_path_factory, corpora) -> Path:
    folder = tmp_path_factory.mktemp("resume-web")
    docs = real_web_docs(corpora)[:50]
    with gzip.open(folder / "part-0.jsonl.gz", "wt", encoding="utf-8") as handle:
        for doc in docs + docs[:5]:  # five exact copies, so dedup has work
            handle.write(json.dumps({"text": doc["text"], "url": doc["url"]}) + "\n")
    return folder


def _overrides(web: Path, output: Path, tokenizer: Path, *extra: str) -> list[str]:
    return [f"output={output}", f"sources=[{{name: web, format: c4, paths: ['{web}']}}]", STAGES,
            f"tokenize.tokenizer={tokenizer}", "tokenize.max_seq_len=128", *extra]


def _fail_after_pipeline(cfg, ctx, planned):
    """The job's own read and pipeline (every step persisted), then a crash before anything is written."""
    ctx.run_pipeline(ctx.read_sources(cfg.sources), planned.stages)
    raise RuntimeError("crashed before writing")


def _crash(web: Path, output: Path, tokenizer: Path) -> str:
    job = load_job("c4_arxiv")
    with pytest.raises(RuntimeError, match="crashed before writing"):
        execute("c4_arxiv", job.Config, job.plan, _fail_after_pipeline, overrides=_overrides(web, output, tokenizer))
    return json.loads((output / "_byod.json").read_text())["attempt"]["run_id"]


def test_resume_reuses_finished_steps_and_matches_a_clean_run(spark, tmp_path, web, tokenizer_dirs):
    tokenizer = tokenizer_dirs["llama3"]
    clean = run_job("c4_arxiv", overrides=_overrides(web, tmp_path / "clean", tokenizer))
    crashed = _crash(web, tmp_path / "out", tokenizer)
    resumed = run_job("c4_arxiv", overrides=_overrides(web, tmp_path / "out", tokenizer, "resume=true"))
    assert resumed["run"]["resumed_from"] == crashed == resumed["run"]["run_id"]
    assert resumed["run"]["reused_steps"] == ["step-01-annotated"]
    assert [t["step"] for t in resumed["timings"] if t.get("reused")] == ["step-01-annotated"]
    assert resumed["totals"] == clean["totals"] and resumed["dropped_by_reason"] == clean["dropped_by_reason"]
    assert _digest_samples(str(tmp_path / "out" / "mds")) == _digest_samples(str(tmp_path / "clean" / "mds"))
    assert not (tmp_path / "out" / "_work").exists()


@pytest.mark.slow  # a whole job run or more: CI's slow step (keeps the default suite under 15 min)
def test_resume_with_other_settings_or_inputs_is_refused_and_deletes_nothing(spark, tmp_path, web, tokenizer_dirs):
    tokenizer = tokenizer_dirs["llama3"]
    inputs = tmp_path / "web"
    shutil.copytree(web, inputs)
    output = tmp_path / "out"
    crashed = _crash(inputs, output, tokenizer)
    work = output / "_work" / crashed
    before = sorted(str(p) for p in work.rglob("*"))
    with pytest.raises(ResumeError, match=f"cannot resume run {crashed}.*settings differ"):
        run_job("c4_arxiv", overrides=_overrides(inputs, output, tokenizer, "resume=true", "tokenize.max_seq_len=256"))
    later = time.time_ns() + 10**9
    os.utime(inputs / "part-0.jsonl.gz", ns=(later, later))  # the same bytes, touched: inputs may have changed
    with pytest.raises(ResumeError, match=f"cannot resume run {crashed}.*inputs changed"):
        run_job("c4_arxiv", overrides=_overrides(inputs, output, tokenizer, "resume=true"))
    assert sorted(str(p) for p in work.rglob("*")) == before, "a refused resume deleted work"
    started_over = run_job("c4_arxiv", overrides=_overrides(inputs, output, tokenizer))
    assert started_over["run"]["resumed_from"] is None and started_over["run"]["reused_steps"] == []
    assert started_over["run"]["run_id"] != crashed


@pytest.mark.slow
def test_killed_during_dedup_or_write_then_resumed_equals_an_uninterrupted_run(tmp_path, corpora, tokenizer_dirs):
    inputs = tmp_path / "in"
    varied_copies(corpora, inputs, copies=6)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "BYOD_SPARK_MASTER": "local[2]"}
    tokenizer = tokenizer_dirs["llama3"]
    reference = subprocess.run(c4_arxiv_command(inputs, tmp_path / "ref", tokenizer), cwd=REPO, env=env, capture_output=True,
                               text=True, timeout=900)
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = _digest_samples(str(tmp_path / "ref" / "mds"))
    for name, pattern, reused in (("dedup", "_work/*/dedup", ["step-00-before-Dedup"]),
                                  ("write", "_staging/*/mds/*/_staging", ["step-01-annotated"])):
        output = tmp_path / name
        kill_when(c4_arxiv_command(inputs, output, tokenizer), env,
                  lambda output=output, pattern=pattern: any(output.glob(pattern)))
        assert not (output / "report.json").exists()
        resumed = subprocess.run(c4_arxiv_command(inputs, output, tokenizer, "resume=true"), cwd=REPO, env=env,
                                 capture_output=True, text=True, timeout=900)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        report = json.loads((output / "report.json").read_text())
        assert report["run"]["resumed_from"] is not None and report["run"]["reused_steps"] == reused, name
        assert _digest_samples(str(output / "mds")) == expected, name
