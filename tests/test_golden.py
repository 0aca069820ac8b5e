"""The c4_arxiv job end to end on the shipped sample: golden regression, report.html with its plots,
and the inspection commands (`byod report`, `byod validate`, `byod inspect`) on what it wrote.

Re-record the golden summary on purpose with:  BYOD_RECORD_GOLDEN=1 bash scripts/test.sh tests/test_golden.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from byod.runner import run_job
from tests.golden.summary import check_or_record, summarize

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample_run(spark, tmp_path_factory, tokenizer_dirs):
    output = tmp_path_factory.mktemp("c4_arxiv") / "out"
    cwd = Path.cwd()
    try:
        import os

        os.chdir(REPO)
        report = run_job("c4_arxiv", overrides=[f"output={output}", f"tokenize.tokenizer={tokenizer_dirs['llama3']}",
                                                 "tokenize.max_seq_len=128"])
    finally:
        os.chdir(cwd)
    return output, report


def test_c4_arxiv_golden(sample_run):
    output, report = sample_run
    differences = check_or_record("c4_arxiv", summarize(str(output), report))
    assert not differences, "c4_arxiv drifted from tests/golden/c4_arxiv.json:\n" + "\n".join(differences)


def test_report_accounts_for_every_document_and_records_the_run(sample_run):
    output, report = sample_run
    on_disk = json.loads((output / "report.json").read_text())
    assert on_disk["totals"] == report["totals"]
    totals = on_disk["totals"]
    assert totals["in"] == totals["kept"] + totals["dropped"] + totals["rejected"]
    assert on_disk["run"]["config"]["tokenize"]["max_seq_len"] == 128
    assert on_disk["run"]["spark_version"] and on_disk["run"]["byod_version"]
    assert [s["name"] for s in on_disk["stages"]][0] == "ArxivLatexClean"
    assert all("params" in s for s in on_disk["stages"])
    assert on_disk["output"]["packing"]["tokens_in"] == (on_disk["output"]["tokens"]
                                                         + on_disk["output"]["packing"]["remainder_tokens_dropped"])


def test_report_html_holds_every_plot_and_the_counts(sample_run):
    output, report = sample_run
    page = (output / "report.html").read_text()
    assert set(report["output"]["tokens_by_source"]) == {"c4", "arxiv"}
    assert sum(report["output"]["tokens_by_source"].values()) == report["output"]["packing"]["tokens_in"]
    for plot in ("funnel", "drops_by_reason", "length_histogram", "tokens_by_source", "dedup_clusters"):
        assert f"id='plot-{plot}'" in page and "data:image/png;base64," in page, plot
    assert f"<th>documents in</th><td>{report['totals']['in']}</td>" in page
    for reason in report["dropped_by_reason"]:
        assert reason in page
    # self-contained: nothing is loaded from elsewhere (example texts may quote URLs, escaped)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:|url\(\s*["']?https?:|@import""", page)
    for reason, items in report["examples"].items():
        assert reason in page and all(item["id"] in page for item in items)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "byod.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_report_validate_and_inspect_commands(sample_run, tokenizer_dirs):
    output, report = sample_run
    (output / "report.html").unlink()
    rendered = _cli("report", str(output))
    assert rendered.returncode == 0 and (output / "report.html").exists()
    validated = _cli("validate", str(output / "mds"), "--vocab-size", "128256")
    assert validated.returncode == 0, validated.stderr
    assert json.loads(validated.stdout)["samples"] == report["output"]["samples"]
    inspected = _cli("inspect", str(output / "mds"), "--tokenizer", str(tokenizer_dirs["llama3"]), "-n", "2")
    assert inspected.returncode == 0, inspected.stderr
    assert f"{report['output']['samples']:,} samples" in inspected.stdout
    decoded = [line for line in inspected.stdout.splitlines() if line.startswith("--- sample")]
    assert len(decoded) == 2
    assert all(re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", line) for line in decoded), decoded
    too_small = _cli("validate", str(output / "mds"), "--vocab-size", "1000")
    assert too_small.returncode == 2 and "outside the vocabulary" in too_small.stderr


def test_every_job_has_a_golden_run_on_sample_data():
    """A new job needs a golden run (tests/golden/<job>.json, checked by a test that runs it on sample data)."""
    from byod.runner import available_jobs
    from tests.golden.summary import GOLDEN_DIR

    jobs = set(available_jobs())
    assert {"c4_arxiv", "ft_data_prep"} <= jobs
    tests_text = "".join(p.read_text() for p in (REPO / "tests").glob("test_golden*.py"))
    for job in jobs:
        assert (GOLDEN_DIR / f"{job}.json").exists(), f"jobs/{job}.py has no golden summary"
        assert f'check_or_record("{job}"' in tests_text, f"no test runs jobs/{job}.py against its golden summary"
