"""File readers on Spark: JSON lines (corrupt and gzip), text per file and line, CSV, Parquet, tables, paths."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from byod.columns import ID, ORIGIN, RAW, REJECT_REASON, SOURCE, TEXT
from byod.errors import InputError, SchemaError
from byod.sources.files import (
    CSV_BAD_ROW,
    CSV_EMPTY_TEXT,
    CSV_MISSING_TEXT,
    PARQUET_EMPTY_TEXT,
    PARQUET_MISSING_TEXT,
    TABLE_MISSING_TEXT,
    read_csv,
    read_jsonl,
    read_parquet,
    read_table,
    read_text,
    resolve_paths,
)
from byod.sources.quarantine import PATH, split_rejected
from byod.sources.records import (
    JSONL_BAD_JSON,
    JSONL_EMPTY_TEXT,
    JSONL_INVALID_UTF8,
    JSONL_MISSING_TEXT,
    JSONL_WRONG_TYPE,
    TEXT_EMPTY_TEXT,
    TEXT_INVALID_UTF8,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "sources"
CORRUPT = DATA / "jsonl" / "corrupt.jsonl"
#: corrupt.jsonl: 11 lines, one blank (not a record): 10 records, 2 good.
CORRUPT_REASONS = {
    1: None,
    2: JSONL_BAD_JSON,
    3: JSONL_INVALID_UTF8,
    4: JSONL_MISSING_TEXT,
    5: JSONL_MISSING_TEXT,
    7: JSONL_WRONG_TYPE,
    8: JSONL_WRONG_TYPE,
    9: JSONL_EMPTY_TEXT,
    10: JSONL_INVALID_UTF8,
    11: None,
}


def _rows(df):
    return {r[ORIGIN] or r[TEXT]: r.asDict() for r in df.collect()}


def test_corrupt_jsonl_every_record_accounted(spark):
    df = read_jsonl(spark, CORRUPT, metadata_columns=("url",))
    assert df.columns == [ID, TEXT, SOURCE, PATH, "url", REJECT_REASON, ORIGIN, RAW]
    rows = df.collect()
    assert len(rows) == len(CORRUPT_REASONS)  # rows out == records in
    by_line = {}
    for row in rows:
        if row[REJECT_REASON] is None:
            assert row[ORIGIN] is None and row[RAW] is None and row[TEXT]
        else:
            assert row[TEXT] is None and row[RAW]
            path, line = row[ORIGIN].rsplit(":", 1)
            assert path == str(CORRUPT)
            by_line[int(line)] = row[REJECT_REASON]
    assert by_line == {k: v for k, v in CORRUPT_REASONS.items() if v is not None}
    assert {r[PATH] for r in rows} == {str(CORRUPT)}
    assert len({r[ID] for r in rows}) == len(rows)
    counts = dict(df.groupBy(REJECT_REASON).count().collect())
    assert counts[None] == 2 and counts[JSONL_WRONG_TYPE] == 2 and sum(counts.values()) == 10


def test_quarantine_split_adds_up(spark, tmp_path):
    df = read_jsonl(spark, [CORRUPT, DATA / "jsonl" / "good.jsonl.gz"])
    good, rejected = split_rejected(df)
    rejected.write.json(str(tmp_path / "quarantine"))
    back = spark.read.json(str(tmp_path / "quarantine"))
    assert good.count() == 5 and back.count() == 8
    assert good.count() + back.count() == df.count()
    assert set(back.columns) >= {ID, REJECT_REASON, ORIGIN, RAW}
    assert REJECT_REASON not in good.columns


def test_gzip_folder_glob_list_agree_and_ids_are_stable(spark, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA / "jsonl" / "good.jsonl.gz", folder / "good.jsonl.gz")
    ids_gz = sorted(r[ID] for r in read_jsonl(spark, folder / "good.jsonl.gz").collect())
    ids_dir = sorted(r[ID] for r in read_jsonl(spark, folder).collect())
    ids_glob = sorted(r[ID] for r in read_jsonl(spark, str(folder / "*.gz")).collect())
    assert len(ids_gz) == 3 and ids_gz == ids_dir == ids_glob
    # the key is relative to the inputs' folder: a moved copy keeps its ids
    moved = tmp_path / "elsewhere"
    shutil.copytree(folder, moved)
    assert sorted(r[ID] for r in read_jsonl(spark, moved).collect()) == ids_dir
    # with an id column the key is the record's own id
    keyed = read_jsonl(spark, folder, id_column="url", source="web")
    assert keyed.filter(F.col(SOURCE) != "web").count() == 0


def test_empty_file_yields_no_rows(spark):
    assert read_jsonl(spark, DATA / "jsonl" / "empty.jsonl").count() == 0
    assert read_text(spark, DATA / "jsonl" / "empty.jsonl").count() == 0


def test_missing_inputs_fail_before_spark(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        resolve_paths(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="glob matches nothing"):
        resolve_paths(str(tmp_path / "*.jsonl"))
    with pytest.raises(InputError, match="holds no files"):
        resolve_paths(tmp_path)
    with pytest.raises(InputError, match="no input paths"):
        resolve_paths([])
    paths, root = resolve_paths([DATA / "jsonl" / "good.jsonl.gz", DATA / "text"])
    assert root == str(DATA) and len(paths) == 2


def test_text_per_file_and_per_line(spark):
    per_file = _rows(read_text(spark, DATA / "text"))
    assert len(per_file) == 4
    reasons = sorted(r[REJECT_REASON] or "" for r in per_file.values())
    assert reasons == ["", "", TEXT_EMPTY_TEXT, TEXT_INVALID_UTF8]
    assert any(r[TEXT] and "nested folder" in r[TEXT] for r in per_file.values())
    per_line = read_text(spark, DATA / "text", per="line", fallback_encoding="latin-1", source="lines")
    texts = sorted(r[TEXT] for r in per_line.collect())
    assert len(texts) == 5 and "Café crème, written in Latin-1." in texts
    with pytest.raises(ValueError, match="per must be"):
        read_text(spark, DATA / "text", per="page")


def test_csv_bad_rows_and_multiline(spark):
    df = read_csv(spark, DATA / "csv" / "docs.csv", id_column="doc_id", metadata_columns=("lang",))
    rows = df.collect()
    assert len(rows) == 5
    reasons = sorted(r[REJECT_REASON] or "" for r in rows)
    assert reasons == ["", "", CSV_BAD_ROW, CSV_EMPTY_TEXT, CSV_MISSING_TEXT]
    assert any(r[TEXT] == "A row whose text spans\ntwo lines." for r in rows)
    bad = next(r for r in rows if r[REJECT_REASON] == CSV_BAD_ROW)
    assert "surplus" in bad[RAW] and bad[ORIGIN].endswith("docs.csv")


def test_parquet_and_table(spark, tmp_path):
    frame = spark.createDataFrame(
        [("a", "Some text.", 1), ("b", None, 2), ("c", "  ", 3)], "key string, text string, n int"
    )
    frame.coalesce(1).write.parquet(str(tmp_path / "pq"))
    df = read_parquet(spark, tmp_path / "pq", metadata_columns=("n",))
    rows = {r["n"]: r for r in df.collect()}
    assert rows[1][TEXT] == "Some text." and rows[1][REJECT_REASON] is None
    assert rows[2][REJECT_REASON] == PARQUET_MISSING_TEXT and rows[3][REJECT_REASON] == PARQUET_EMPTY_TEXT
    assert rows[2][ORIGIN].endswith(".parquet:1") and rows[2][PATH].startswith(str(tmp_path))
    with pytest.raises(SchemaError, match="expected string"):
        read_parquet(spark, tmp_path / "pq", text_column="n")
    with pytest.raises(SchemaError, match="not found"):
        read_parquet(spark, tmp_path / "pq", text_column="body")
    frame.createOrReplaceTempView("byod_test_docs")
    table = read_table(spark, "byod_test_docs", id_column="key")
    assert table.filter(F.col(REJECT_REASON) == TABLE_MISSING_TEXT).count() == 1
    assert table.select(SOURCE).distinct().collect()[0][0] == "byod_test_docs"
    with pytest.raises(InputError, match="does not exist"):
        read_table(spark, "byod_no_such_table")


def test_large_gzip_lines_are_numbered(spark, tmp_path):
    path = tmp_path / "many.jsonl.gz"
    with gzip.open(path, "wt") as f:
        for i in range(5000):
            f.write(f'{{"text": "doc {i}"}}\n' if i != 4321 else "not json\n")
    bad = read_jsonl(spark, path).filter(F.col(REJECT_REASON).isNotNull()).collect()
    assert [(r[REJECT_REASON], r[ORIGIN]) for r in bad] == [(JSONL_BAD_JSON, f"{path}:4322")]


def test_split_files_lose_no_line(spark, tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text("".join(f'{{"text": "document {i} {"x" * 30}"}}\n' if i != 2500 else "{bad\n" for i in range(4000)))
    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")  # about 10 splits of one file
    try:
        df = read_jsonl(spark, path)
        stats = df.agg(F.count("*").alias("n"), F.countDistinct(ID).alias("ids"), F.count(TEXT).alias("good")).first()
        bad = df.filter(F.col(REJECT_REASON).isNotNull()).first()
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)
    assert (stats.n, stats.ids, stats.good) == (4000, 4000, 3999)
    start, k = bad[ORIGIN].rsplit("@", 1)[1].split("+")
    assert bad[ORIGIN].startswith(f"{path}@") and int(start) > 0 and int(k) >= 1
