"""The output folder is byod's only when byod made it: one run at a time, safe paths, nothing lost.

Each test reproduces one case of issue 14 that held on v0.1 (816ee91): runs mixing in one folder, a
source name escaping the output, ``output=/``, overwrite deleting good results before the run, a
folder not made by byod being emptied, an output that is a file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from byod.errors import ConfigError, LeaseHeldError, OutputError, OutputExistsError
from byod.job import execute
from byod.layout import MANIFEST_NAME, RunLayout
from byod.lease import LOCK_NAME, Lease
from byod.runner import load_job, run_job
from tests.helpers.corpus import real_web_docs

REPO = Path(__file__).resolve().parents[2]


def _inputs(folder: Path, corpora: Path, *, start: int, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    docs = real_web_docs(corpora)[start:start + count]
    with gzip.open(folder / "part-0.jsonl.gz", "wt", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps({"text": doc["text"], "url": doc["url"]}) + "\n")
    (folder / "bad.jsonl").write_text('{"text": 5}\nnot json\n')  # two rejects, so quarantine has files
    return folder


def _overrides(inputs: Path, output: Path, tokenizer: Path, *extra: str) -> list[str]:
    return [f"output={output}", f"sources=[{{name: web, format: c4, paths: ['{inputs}']}}]",
            "stages=[{stage: Normalize}, {stage: GopherQualityFilter}]", f"tokenize.tokenizer={tokenizer}",
            "tokenize.max_seq_len=128", *extra]


def _snapshot(folder: Path) -> dict[str, str]:
    """Every published file's content hash (byod's manifest, lease, staging and work folders excluded)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in (MANIFEST_NAME, LOCK_NAME)
            and p.relative_to(folder).parts[0] not in ("_work", "_staging")}


@pytest.fixture(scope="module")
def web_inputs(tmp_path_factory, corpora) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("safety-inputs")
    return _inputs(root / "a", corpora, start=0, count=40), _inputs(root / "b", corpora, start=40, count=25)


def test_published_run_owns_its_folder_and_leaves_no_staging(spark, tmp_path, web_inputs, tokenizer_dirs):
    output = tmp_path / "out"
    report = run_job("c4_arxiv", overrides=_overrides(web_inputs[0], output, tokenizer_dirs["llama3"]))
    manifest = json.loads((output / MANIFEST_NAME).read_text())
    assert manifest["published"]["run_id"] == report["run"]["run_id"] and manifest["publishing"] is None
    assert sorted(p.name for p in output.iterdir()) == [MANIFEST_NAME, "mds", "quarantine", "report.html",
                                                        "report.json"]
    on_disk = json.loads((output / "report.json").read_text())
    assert on_disk["run"]["run_id"] == report["run"]["run_id"]
    assert on_disk["output"]["output"] == f"{output}/mds"  # staged paths are reported as published
    assert (output / "quarantine" / "web").is_dir() and (output / "mds" / "index.json").is_file()


def test_a_second_run_on_a_busy_output_is_refused_naming_the_holder(spark, tmp_path, web_inputs, tokenizer_dirs):
    output = tmp_path / "busy"
    with Lease(str(output), "run-A", job="c4_arxiv"):
        with pytest.raises(LeaseHeldError) as caught:
            run_job("c4_arxiv", overrides=_overrides(web_inputs[1], output, tokenizer_dirs["llama3"]))
        message = str(caught.value)
        assert "run-A" in message and f"pid {os.getpid()}" in message and socket.gethostname() in message
        assert "\n" not in message
        assert not (output / "mds").exists() and not (output / "report.json").exists()
    assert not (output / LOCK_NAME).exists(), "the lease is released when its holder ends"


def test_a_lease_left_by_a_killed_run_is_taken_over(spark, tmp_path, web_inputs, tokenizer_dirs):
    output = tmp_path / "stale"
    output.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    holder = {"run_id": "killed", "job": "c4_arxiv", "host": socket.gethostname(), "pid": int(dead.stdout),
              "heartbeat": time.time()}
    (output / LOCK_NAME).write_text(json.dumps(holder))
    (output / MANIFEST_NAME).write_text(json.dumps({"byod_output": 1, "published": None, "publishing": None}))
    report = run_job("c4_arxiv", overrides=_overrides(web_inputs[1], output, tokenizer_dirs["llama3"]))
    assert report["totals"]["in"] == 27
    assert not (output / LOCK_NAME).exists()


def test_a_live_lease_on_another_host_is_respected_until_it_goes_stale(tmp_path):
    output = tmp_path / "remote-holder"
    output.mkdir()
    fresh = {"run_id": "elsewhere", "job": "x", "host": "another-host", "pid": 1, "heartbeat": time.time()}
    (output / LOCK_NAME).write_text(json.dumps(fresh))
    with pytest.raises(LeaseHeldError, match="elsewhere"):
        Lease(str(output), "mine").acquire()
    (output / LOCK_NAME).write_text(json.dumps({**fresh, "heartbeat": time.time() - 3600}))
    lease = Lease(str(output), "mine").acquire()
    assert json.loads((output / LOCK_NAME).read_text())["run_id"] == "mine"
    lease.release()


@pytest.mark.parametrize("name", ["../../victim", "a/b", "..", ".hidden", "x" * 65, ""])
def test_source_names_that_would_leave_the_output_are_refused(spark, tmp_path, web_inputs, tokenizer_dirs, name):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    output = tmp_path / "deep" / "er" / "out"
    overrides = _overrides(web_inputs[0], output, tokenizer_dirs["llama3"])
    overrides[1] = f"sources=[{{name: '{name}', format: c4, paths: ['{web_inputs[0]}']}}]"
    with pytest.raises(ConfigError, match="not a safe name"):
        run_job("c4_arxiv", overrides=overrides)
    assert (victim / "keep.txt").read_text() == "precious" and not output.exists()


def test_quarantine_refuses_an_unsafe_source_name_in_a_plain_pipeline(spark, tmp_path):
    from byod.pipeline import Pipeline

    docs = spark.createDataFrame([("1", None, "../escape", "jsonl.bad_json", "f:1", "raw")],
                                 "id string, text string, source string, reject_reason string, origin string, "
                                 "raw string")
    with pytest.raises(ConfigError, match="not a safe name"):
        Pipeline([]).run(docs, work_dir=str(tmp_path / "w"), quarantine_dir=str(tmp_path / "q"))
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize("output", ["/", "", "   ", "~", "file:///", "s3://bucket", "s3://bucket/"])
def test_dangerous_outputs_are_refused(output):
    with pytest.raises(OutputError):
        RunLayout(output)


def test_output_that_is_a_file_or_overlaps_the_inputs_is_refused(spark, tmp_path, web_inputs, tokenizer_dirs):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    cases = {
        str(afile): "an existing file",
        str(web_inputs[0]): "is the input",
        str(web_inputs[0] / "sub"): "is the input",
        str(web_inputs[0].parent): "contains the input",
    }
    for output, message in cases.items():
        overrides = _overrides(web_inputs[0], Path(output), tokenizer_dirs["llama3"])
        with pytest.raises(OutputError, match=message):
            run_job("c4_arxiv", overrides=overrides)
    assert afile.read_text() == "x" and sorted(p.name for p in web_inputs[0].iterdir()) == ["bad.jsonl",
                                                                                             "part-0.jsonl.gz"]


@pytest.mark.slow  # a whole job run or more: CI's slow step (keeps the default suite under 15 min)
def test_root_output_from_the_command_line_is_one_line(tmp_path, tokenizer_dirs):
    out = subprocess.run([sys.executable, "-m", "byod.cli", "run", "c4_arxiv", "output=/", "overwrite=true",
                          f"tokenize.tokenizer={tokenizer_dirs['llama3']}"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 2 and len(lines) == 1 and "filesystem root" in lines[0], out.stderr


def test_a_folder_byod_did_not_make_is_never_emptied_even_with_overwrite(spark, tmp_path, web_inputs,
                                                                         tokenizer_dirs):
    mine = tmp_path / "users-folder"
    for name in ("mds", "quarantine"):
        (mine / name).mkdir(parents=True)
        (mine / name / "precious.txt").write_text(name)
    (mine / "report.json").write_text("{}")
    before = _snapshot(mine)
    with pytest.raises(OutputError, match="not made by byod .*mds, quarantine, report.json"):
        run_job("c4_arxiv", overrides=_overrides(web_inputs[0], mine, tokenizer_dirs["llama3"], "overwrite=true"))
    assert _snapshot(mine) == before and sorted(p.name for p in mine.iterdir()) == ["mds", "quarantine",
                                                                                     "report.json"]


def _failing_run(cfg, ctx, planned):
    """The c4_arxiv job's own run, failing after its pipeline wrote quarantine and work files."""
    ctx.run_pipeline(ctx.read_sources(cfg.sources), planned.stages)
    raise RuntimeError("killed during dedup")


def test_a_failed_overwrite_leaves_the_previous_results_untouched(spark, tmp_path, web_inputs, tokenizer_dirs):
    output = tmp_path / "kept"
    first = run_job("c4_arxiv", overrides=_overrides(web_inputs[0], output, tokenizer_dirs["llama3"]))
    before = _snapshot(output)
    job = load_job("c4_arxiv")
    with pytest.raises(RuntimeError, match="killed during dedup"):
        execute("c4_arxiv", job.Config, job.plan, _failing_run,
                overrides=_overrides(web_inputs[1], output, tokenizer_dirs["llama3"], "overwrite=true"))
    assert _snapshot(output) == before
    assert json.loads((output / "report.json").read_text())["run"]["run_id"] == first["run"]["run_id"]
    assert not (output / "_staging").exists() or not any((output / "_staging").iterdir())
    with pytest.raises(OutputExistsError, match="pass overwrite=true"):
        run_job("c4_arxiv", overrides=_overrides(web_inputs[1], output, tokenizer_dirs["llama3"]))
    second = run_job("c4_arxiv", overrides=_overrides(web_inputs[1], output, tokenizer_dirs["llama3"],
                                                      "overwrite=true"))
    assert second["totals"]["in"] == 27 and not (output / "_work").exists()
    assert json.loads((output / "report.json").read_text())["run"]["run_id"] == second["run"]["run_id"]


def test_a_publication_cut_short_is_finished_by_the_next_run(tmp_path):
    output = tmp_path / "half"
    old = RunLayout(str(output), job="t")
    old.begin(overwrite=False)
    for name in ("mds", "quarantine"):
        Path(old.staging, name).mkdir(parents=True)
        Path(old.staging, name, "f").write_text(f"old {name}")
    Path(old.staging, "report.json").write_text('{"run": "old"}')
    old.publish()
    old.end()
    new = RunLayout(str(output), job="t")
    new.begin(overwrite=True)
    Path(new.staging, "mds").mkdir(parents=True)
    Path(new.staging, "mds", "f").write_text("new mds")
    Path(new.staging, "report.json").write_text('{"run": "new"}')
    # the process dies after retiring the old results and installing only the new mds
    manifest = json.loads((output / MANIFEST_NAME).read_text())
    manifest["publishing"] = {"run_id": new.run_id, "phase": "install"}
    trash = output / "_trash" / new.run_id
    trash.mkdir(parents=True)
    for name in ("report.json", "mds", "quarantine"):
        os.replace(output / name, trash / name)
    os.replace(Path(new.staging, "mds"), output / "mds")
    (output / MANIFEST_NAME).write_text(json.dumps(manifest))
    new.lease.release()
    RunLayout(str(output), job="t").begin(overwrite=True).end()
    assert (output / "report.json").read_text() == '{"run": "new"}' and (output / "mds" / "f").read_text() == \
        "new mds"
    assert not (output / "quarantine").exists() and not (output / "_trash").exists()
    assert json.loads((output / MANIFEST_NAME).read_text())["published"]["run_id"] == new.run_id


def test_secrets_from_the_environment_never_reach_the_report(spark, tmp_path, web_inputs, tokenizer_dirs,
                                                             monkeypatch):
    secret = "Zk9vYmFyLXNlY3JldC1hY2NvdW50LWtleQ=="
    monkeypatch.setenv("BYOD_TEST_STORAGE_ACCOUNT_KEY", secret)
    config = tmp_path / "job.yaml"
    config.write_text("spark_conf:\n  fs.azure.account.key.acct.dfs.core.windows.net: "
                      "${oc.env:BYOD_TEST_STORAGE_ACCOUNT_KEY}\n")
    output = tmp_path / "secret-run"
    report = run_job("c4_arxiv", config=str(config),
                     overrides=_overrides(web_inputs[1], output, tokenizer_dirs["llama3"]))
    for written in ("report.json", "report.html", MANIFEST_NAME):
        assert secret not in (output / written).read_text(), written
    assert secret not in json.dumps(report)
    assert "***" in json.dumps(report["run"]["config"]["spark_conf"])
