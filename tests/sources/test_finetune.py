"""read_finetune: real pairs and chats from JSON lines, every kind of bad record rejected with its code
(not JSON, messages a string, role None, content a list, empty file, lone surrogate, 1 MB response),
Parquet with nested messages and mapped column names, a table, a Hugging Face dataset, config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from byod.columns import ID, RAW, REJECT_REASON, TEXT
from byod.errors import ConfigError, InputError, SchemaError
from byod.sources.base import MAX_RAW_CHARS
from byod.sources.finetune import FT_EMPTY_FILE, read_finetune
from byod.sources.records import JSONL_BAD_JSON, JSONL_INVALID_UTF8
from byod.stages.finetune import validate as v

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ft"


def _reasons(df) -> dict[str, int]:
    return {r[REJECT_REASON]: r["count"] for r in df.groupBy(REJECT_REASON).count().collect()}


def test_real_pairs_and_chats(spark, corpora):
    paths = [str(corpora / "sft_pairs_public.jsonl.gz"), str(corpora / "sft_chat_public.jsonl.gz")]
    df = read_finetune(spark, paths, id_column="id", source="sft")
    rows = df.collect()
    assert len(rows) == 79 and all(r[REJECT_REASON] is None for r in rows)
    assert sorted(r[v.FT_FORMAT] for r in rows).count(v.CHAT) == 31
    assert len({r[ID] for r in rows}) == 79
    again = {r[ID] for r in read_finetune(spark, list(reversed(paths)), id_column="id", source="sft").collect()}
    assert again == {r[ID] for r in rows}
    first = json.loads(next(r[TEXT] for r in rows if r[v.FT_FORMAT] == v.PROMPT_RESPONSE))
    assert set(first) == {"prompt", "response"}


def test_sample_rows_of_every_bad_kind(spark):
    df = read_finetune(spark, str(SAMPLE), id_column="id")
    assert _reasons(df) == {
        None: 32,
        JSONL_BAD_JSON: 1,
        v.FT_MESSAGES_NOT_LIST: 1,
        v.FT_BAD_ROLE: 2,
        v.FT_CONTENT_NOT_STRING: 1,
        v.FT_REPEATED_ROLE: 1,
        v.FT_LAST_NOT_ASSISTANT: 1,
        v.FT_TOO_FEW_MESSAGES: 1,
        v.FT_MESSAGE_KEYS: 1,
        v.FT_EMPTY_PROMPT: 1,
        v.FT_RESPONSE_NOT_STRING: 1,
        v.FT_MISSING_RESPONSE: 1,
        v.FT_UNKNOWN_FORMAT: 1,
        v.FT_NOT_OBJECT: 1,
        FT_EMPTY_FILE: 1,
    }
    bad = df.filter(f"{REJECT_REASON} is not null").collect()
    assert all(r["origin"] for r in bad)
    assert all(r[RAW] for r in bad if r[REJECT_REASON] != FT_EMPTY_FILE)


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("odd")
    big = "word " * 210_000  # a 1 MB response
    lines = [
        json.dumps({"prompt": "Say a lot.", "response": big}),
        '{"prompt": "lone \\ud800 surrogate", "response": "ok"}',
        b'{"prompt": "caf\xe9", "response": "latin-1 bytes"}'.decode("latin-1"),
        "",
        "   ",
    ]
    (folder / "odd.jsonl").write_bytes("\n".join(lines[:2]).encode() + b"\n" + lines[2].encode("latin-1") + b"\n\n  \n")
    (folder / "blank.jsonl").write_text("\n \n")
    return folder


def test_odd_records_never_crash(spark, odd_files):
    df = read_finetune(spark, str(odd_files))
    assert _reasons(df) == {None: 1, JSONL_INVALID_UTF8: 2, FT_EMPTY_FILE: 1}
    assert len(df.filter(f"{REJECT_REASON} is null").first()[TEXT]) > 1_000_000
    limited = read_finetune(spark, str(odd_files), max_chars=100_000)
    rejected = limited.filter(f"{REJECT_REASON} = '{v.FT_TOO_MANY_CHARS}'").collect()
    assert len(rejected) == 1 and len(rejected[0][RAW]) == MAX_RAW_CHARS


def test_parquet_with_nested_messages_and_mapped_names(spark, tmp_path):
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    chats = pa.table(
        {
            "conversation": pa.array(
                [
                    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
                    [{"role": None, "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
                    [{"role": "user", "content": "Hi"}],
                ],
                type=pa.list_(message),
            ),
            "key": ["c1", "c2", "c3"],
        }
    )
    pq.write_table(chats, tmp_path / "chats.parquet")
    pairs = pa.table({"question": ["Why?", None, "How?"], "answer": ["Because.", "x", "   "]})
    pq.write_table(pairs, tmp_path / "pairs.parquet")
    df = read_finetune(
        spark, str(tmp_path / "chats.parquet"), input_format="parquet", messages_column="conversation", id_column="key"
    )
    assert _reasons(df) == {None: 1, v.FT_BAD_ROLE: 1, v.FT_TOO_FEW_MESSAGES: 1}
    good = df.filter(f"{REJECT_REASON} is null").first()
    assert json.loads(good[TEXT]) == {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    }
    pr = read_finetune(
        spark,
        str(tmp_path / "pairs.parquet"),
        input_format="parquet",
        prompt_column="question",
        response_column="answer",
    )
    assert _reasons(pr) == {None: 1, v.FT_MISSING_PROMPT: 1, v.FT_EMPTY_RESPONSE: 1}
    with pytest.raises(SchemaError, match="prompt_column"):
        read_finetune(spark, str(tmp_path / "pairs.parquet"), input_format="parquet")


def test_table_and_hf(spark, tmp_path, corpora):
    spark.createDataFrame([("Q1", "A1"), ("Q2", None)], "prompt string, completion string").createOrReplaceTempView(
        "ft_pairs_view"
    )
    table = read_finetune(spark, "ft_pairs_view", input_format="table")
    assert _reasons(table) == {None: 1, v.FT_MISSING_RESPONSE: 1}
    assert json.loads(table.filter(f"{REJECT_REASON} is null").first()[TEXT]) == {"prompt": "Q1", "response": "A1"}
    hf = read_finetune(
        spark, str(corpora / "sft_chat_public.jsonl.gz"), input_format="hf", work_dir=str(tmp_path / "hf")
    )
    assert _reasons(hf) == {None: 31}
    with pytest.raises(SchemaError, match="does not exist"):
        read_finetune(spark, "no_such_table", input_format="table")


def test_config_errors(spark, tmp_path):
    with pytest.raises(ConfigError, match="input format"):
        read_finetune(spark, str(SAMPLE), input_format="csv")
    with pytest.raises(ConfigError, match="example_format"):
        read_finetune(spark, str(SAMPLE), example_format="pairs")
    with pytest.raises(InputError):
        read_finetune(spark, str(tmp_path / "missing.jsonl"))
    with pytest.raises(ConfigError, match="work_dir"):
        read_finetune(spark, str(SAMPLE / "pairs.jsonl"), input_format="hf")
