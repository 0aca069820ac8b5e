"""A notebook user's first frame: spark.read.json -> byod.documents -> the README's first snippet."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from byod.errors import SchemaError
from byod.ids import stable_id
from tests.helpers.corpus import real_web_docs

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_first_snippet_runs_as_written_on_spark_read_json(spark, tmp_path, corpora):
    docs_in = real_web_docs(corpora)[:40]
    with gzip.open(tmp_path / "web.jsonl.gz", "wt", encoding="utf-8") as handle:
        for doc in docs_in + docs_in[:3]:  # three exact copies
            handle.write(json.dumps({"text": doc["text"], "url": doc["url"]}) + "\n")
    snippet = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    scope = {"spark": spark, "path": str(tmp_path / "web.jsonl.gz")}
    exec(compile(snippet, "README.md", "exec"), scope)  # the snippet as a reader copies it
    kept = scope["kept"]
    assert set(kept.columns) >= {"id", "text", "source", "url"}
    rows = kept.collect()
    assert 0 < len(rows) <= 40 and len({r["id"] for r in rows}) == len(rows)
    original = {d["url"]: d["text"] for d in docs_in}
    assert all(r["id"] == stable_id("docs", r["url"], original[r["url"]]) for r in rows)  # ids as read


def test_documents_keeps_every_column_and_refuses_a_frame_without_text(spark):
    from byod import documents

    df = spark.createDataFrame([("a b c", "u1", 3)], "body string, url string, n int")
    out = documents(df, text_column="body", source="mine")
    assert out.columns[:3] == ["id", "text", "source"] and set(out.columns) == {"id", "text", "source", "url", "n"}
    row = out.first()
    assert row["id"] == stable_id("mine", "u1", "a b c") and row["source"] == "mine"
    with pytest.raises(SchemaError, match="no column 'text'"):
        documents(spark.createDataFrame([(1,)], "x int"))
    with pytest.raises(SchemaError, match="expected string"):
        documents(spark.createDataFrame([(1,)], "text int"))
