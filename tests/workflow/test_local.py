"""run_local: override normalization (dict -> ["key=value"], read back by byod.config with the same values),
delegation to byod.runner.run_job, and (slow) a real run of the c4_arxiv job on the sample data."""

from __future__ import annotations

import json

import pytest
from omegaconf import OmegaConf

import byod.runner
from byod.config import parse_overrides
from byod.workflow.local import normalize_overrides, run_local


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (None, []),
        ({}, []),
        ({"output": "/tmp/out"}, ["output=/tmp/out"]),
        (
            {"tokenize": {"tokenizer": "/tok", "max_seq_len": 512}},
            ["tokenize.tokenizer=/tok", "tokenize.max_seq_len=512"],
        ),
        ({"overwrite": True, "progress": False, "x": None}, ["overwrite=true", "progress=false", "x=null"]),
        ({"paths": ["a", "b c"]}, ['paths=["a", "b c"]']),
        ({"url": "s3://b/k?x=1"}, ["url=s3://b/k?x=1"]),
        (["output=/o", "overwrite=true"], ["output=/o", "overwrite=true"]),
        (("output=/o",), ["output=/o"]),
    ],
)
def test_normalize_overrides(overrides, expected):
    assert normalize_overrides(overrides) == expected


def test_normalized_overrides_read_back_with_their_values():
    overrides = {
        "output": "/tmp/out",
        "overwrite": True,
        "tokenize": {"tokenizer": "/tok", "max_seq_len": 512},
        "mds": {"compression": None},
        "paths": ["a", "b c"],
        "ratio": 0.25,
    }
    merged = OmegaConf.create({})
    for key, value in parse_overrides(normalize_overrides(overrides)):
        OmegaConf.update(merged, key, value, force_add=True)
    parsed = OmegaConf.to_container(merged)
    assert json.dumps(parsed, sort_keys=True) == json.dumps(overrides, sort_keys=True)


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ("output=/o", TypeError, "overrides must be a dict or a list"),
        (42, TypeError, "overrides must be a dict or a list"),
        (["output"], ValueError, "is not 'key=value'"),
        ({1: "x"}, TypeError, "override keys must be non-empty strings"),
    ],
)
def test_bad_overrides(overrides, error, message):
    with pytest.raises(error, match=message):
        normalize_overrides(overrides)


def test_run_local_calls_the_runner_with_normalized_overrides(monkeypatch, tmp_path):
    calls = []

    def fake_run_job(job, *, config=None, overrides=None):
        calls.append((job, config, overrides))
        return {"job": job, "documents_in": 3}

    monkeypatch.setattr(byod.runner, "run_job", fake_run_job)
    report = run_local("c4_arxiv", {"output": str(tmp_path), "overwrite": True}, config=tmp_path / "c.yaml")
    assert report == {"job": "c4_arxiv", "documents_in": 3}
    assert calls == [("c4_arxiv", str(tmp_path / "c.yaml"), [f"output={tmp_path}", "overwrite=true"])]
    with pytest.raises(TypeError, match="job must be a job name"):
        run_local("")


@pytest.mark.slow
def test_run_local_runs_the_c4_arxiv_job_on_the_sample(spark, tmp_path, tokenizer_dirs):
    report = run_local(
        "c4_arxiv", {"output": str(tmp_path / "out"), "tokenize": {"tokenizer": str(tokenizer_dirs["llama3"])}}
    )
    assert (tmp_path / "out" / "report.json").is_file()
    assert (tmp_path / "out" / "mds" / "index.json").is_file()
    assert isinstance(report, dict) and report
