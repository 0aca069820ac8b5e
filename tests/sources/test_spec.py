"""read_source: a config entry dispatched to its reader, with config errors before any Spark job."""

from __future__ import annotations

import pytest

from byod.columns import REJECT_REASON, SOURCE
from byod.errors import ConfigError
from byod.sources.spec import read_source
from tests.conftest import SAMPLE


def test_dispatch(spark, corpora):
    c4 = read_source(spark, {"format": "c4", "paths": str(SAMPLE / "c4"), "source": "web"})
    assert c4.select(SOURCE).distinct().collect()[0][0] == "web" and c4.count() == 46
    latex = read_source(spark, {"format": "latex", "paths": str(corpora / "latex_public.jsonl.gz")})
    assert latex.filter(latex[REJECT_REASON].isNull()).count() == 22


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"format": "xml", "paths": "x"}, "is not one of"),
        ({"paths": "x"}, "is not one of"),
        ({"format": "c4"}, "needs a 'paths' key"),
        ({"format": "c4", "paths": "x", "colour": "red"}, "bad options"),
        (["c4"], "must be a mapping"),
    ],
)
def test_config_errors(spark, spec, message):
    with pytest.raises(ConfigError, match=message):
        read_source(spark, spec)


def _sources(fmt: str, options: dict) -> list:
    from types import SimpleNamespace

    return [SimpleNamespace(name="s", format=fmt, paths=["x"], options=options)]


@pytest.mark.parametrize(
    ("fmt", "options", "message"),
    [
        ("c4", {"max_recrd_bytes": 9}, "unknown key 'sources[0].options.max_recrd_bytes' (did you mean 'max_record_bytes'?)"),
        ("jsonl", {"source": "other"}, "is set by the job"),
        ("latex", {"projects": "yes"}, "expected bool, got 'yes'"),
        ("text", {"per": "page"}, "expected one of 'file', 'line', got 'page'"),
        ("pdf", {"max_pages": 2.5}, "expected int or null, got 2.5"),
        ("parquet", {"text_column": None}, "must not be null"),
        ("jsonl", {"max_record_bytes": True}, "expected int or null, got True"),
    ],
)
def test_reader_options_are_checked_before_spark(fmt, options, message):
    from byod.sources.spec import check_source_options

    with pytest.raises(ConfigError) as info:
        check_source_options(_sources(fmt, options), origin="job.yaml")
    assert str(info.value).startswith("job.yaml: ") and message in str(info.value)


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("c4", {"max_record_bytes": 1000}),
        ("text", {"per": "line", "glob_filter": "*.txt"}),
        ("latex", {"projects": True, "max_project_bytes": 10_000_000}),
        ("jsonl", {"metadata_columns": ["url"], "id_column": None}),
        ("csv", {"sep": ";", "quote": "'"}),  # passed on to Spark's CSV reader: any name
        ("hf", {"split": "train", "trust_remote_code": False}),  # passed on to datasets
    ],
)
def test_good_reader_options_pass(fmt, options):
    from byod.sources.spec import check_source_options

    check_source_options(_sources(fmt, options), origin="job.yaml")


def test_a_jobs_own_reader_takes_extra_options_only_where_the_format_passes_them_on():
    from byod.sources.finetune import read_finetune
    from byod.sources.spec import check_source_options

    job = {"reader": read_finetune, "set_by_job": frozenset({"source", "input_format"})}
    check_source_options(_sources("hf", {"streaming": True, "prompt_column": "q"}), origin="ft.yaml", **job)
    with pytest.raises(ConfigError, match=r"'sources\[0\].options.promt_column' \(did you mean 'prompt_column'\?\)"):
        check_source_options(_sources("jsonl", {"promt_column": "q"}), origin="ft.yaml", **job)
