"""ft_data_prep end to end: real pairs and chats plus bad rows of every kind and a 1 MB response; the MDS
read back with streaming.StreamingDataset and checked sample by sample against transformers; the report,
quarantine, train/eval split, untokenized outputs, the drop policy, and clear errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from byod.errors import ByodError, ConfigError, InputError
from byod.ids import stable_id
from byod.runner import run_job
from byod.stages.finetune.split import split_of
from byod.stages.finetune.validate import check_record
from tests.stages.test_finetune_tokenize import reference_turns

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "ft"
MAX_LEN = 512


def _config(tmp_path: Path, paths: list[str], **settings) -> str:
    config = {"sources": [{"name": "ft", "format": "jsonl", "paths": paths, "options": {"id_column": "id"}}],
              **settings}
    path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _read_back(folder: Path) -> list[dict]:
    from streaming import StreamingDataset

    dataset = StreamingDataset(local=str(folder), shuffle=False, batch_size=1)
    return [dataset[i] for i in range(len(dataset))]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, corpora) -> dict:
    folder = tmp_path_factory.mktemp("ft-inputs")
    big = folder / "big.jsonl"
    big_row = {"id": "big-1", "prompt": "Write at length.", "response": "lorem ipsum " * 90_000}  # about 1 MB
    big.write_text(json.dumps(big_row) + "\n")
    rows = [json.loads(line) for name in ("sft_pairs_public.jsonl.gz", "sft_chat_public.jsonl.gz")
            for line in gzip.open(corpora / name, "rt")] + [json.loads(big.read_text())]
    paths = [str(corpora / "sft_pairs_public.jsonl.gz"), str(corpora / "sft_chat_public.jsonl.gz"), str(big),
             str(SAMPLE / "invalid.jsonl"), str(SAMPLE / "empty.jsonl")]
    return {"paths": paths, "rows": rows, "folder": folder}


def test_tokenized_with_split(spark, tmp_path, inputs, tokenizer_dirs, monkeypatch):
    from transformers import AutoTokenizer

    monkeypatch.chdir(REPO)
    output = tmp_path / "out"
    config = _config(tmp_path, inputs["paths"], output=str(output),
                     tokenize={"tokenizer": str(tokenizer_dirs["qwen2"]), "max_seq_len": MAX_LEN},
                     split={"eval_fraction": 0.25, "seed": 3})
    report = run_job("ft_data_prep", config=config)
    assert report["rejected_by_reason"]["ft.empty_file"] == 1 and report["rejected_by_reason"]["ft.bad_role"] == 2
    assert len(list((output / "quarantine" / "ft").glob("*.json"))) == 1

    hf = AutoTokenizer.from_pretrained(str(tokenizer_dirs["qwen2"]))
    expected: dict[str, list] = {"train": [], "eval": []}
    no_loss = 0
    for row in sorted(inputs["rows"], key=lambda r: stable_id("ft", r["id"], check_record(r).text)):
        example_id = stable_id("ft", row["id"], check_record(row).text)
        turns = reference_turns(json.loads(check_record(row).text), hf)
        # the collator trains on the last response only: it must start within max_seq_len
        last_start = sum(len(t["input_ids"]) + len(t["labels"]) for t in turns) - len(turns[-1]["labels"])
        if last_start >= MAX_LEN:
            no_loss += 1
            continue
        expected[split_of(example_id, eval_fraction=0.25, seed=3)].append(turns)
    assert report["totals"] == {"in": 95, "kept": 80 - no_loss, "dropped": no_loss, "rejected": 15}
    assert report["dropped_by_reason"] == {"ft.no_loss_tokens": no_loss}
    truncated = tokens = eval_tokens = 0
    for split in ("train", "eval"):
        samples = _read_back(output / "mds" / split)
        assert len(samples) == len(expected[split]) and len(samples) > 5
        for sample, reference in zip(samples, expected[split]):
            assert set(sample) == {"turns"}
            stitched = [i for turn in reference for k in ("input_ids", "labels") for i in turn[k]]
            written = [i for turn in sample["turns"] for k in ("input_ids", "labels") for i in turn[k]]
            if len(stitched) <= MAX_LEN:
                assert sample["turns"] == reference
            else:
                truncated += 1
                assert written == stitched[: len(written)] and 0 < len(written) <= MAX_LEN
                assert sample["turns"][-1]["labels"]
            tokens += len(written) if split == "train" else 0
            eval_tokens += len(written) if split == "eval" else 0
    ft = report["finetune"]
    assert ft["truncated"] == truncated >= 1 and ft["exceeding_max_seq_len"] == truncated + no_loss
    assert ft["tokens_per_epoch"] == tokens
    assert ft["total_tokens"]["max"] == MAX_LEN
    assert ft["token_histogram"]["max_seq_len"] == MAX_LEN
    assert sum(ft["token_histogram"]["counts"].values()) == 80
    assert report["output"]["samples"] == 80 - no_loss
    assert report["output"]["tokens"] == tokens + eval_tokens == ft["tokens_written"]
    assert {name: split["tokens"] for name, split in report["output"]["splits"].items()} == {
        "train": tokens, "eval": eval_tokens}
    assert ft["written_as"] == "tokens" and ft["checked_against_max_seq_len"] is True


def test_untokenized_outputs(spark, tmp_path, corpora, monkeypatch):
    monkeypatch.chdir(REPO)
    pairs = [json.loads(line) for line in gzip.open(corpora / "sft_pairs_public.jsonl.gz", "rt")]
    by_id = {stable_id("ft", r["id"], check_record(r).text): r for r in pairs}
    config = _config(tmp_path, [str(corpora / "sft_pairs_public.jsonl.gz")], output=str(tmp_path / "pairs"),
                     tokenize={"tokenizer": None})
    report = run_job("ft_data_prep", config=config)
    samples = _read_back(tmp_path / "pairs" / "mds")
    assert [{"prompt": s["prompt"], "response": s["response"]} for s in samples] == [
        {"prompt": by_id[i]["prompt"], "response": by_id[i]["response"]} for i in sorted(by_id)]
    assert report["output"]["columns"] == {"prompt": "str", "response": "str"}
    chats = [json.loads(line) for line in gzip.open(corpora / "sft_chat_public.jsonl.gz", "rt")]
    config = _config(tmp_path, [str(corpora / "sft_chat_public.jsonl.gz")], output=str(tmp_path / "chats"),
                     tokenize={"tokenizer": None})
    run_job("ft_data_prep", config=config)
    samples = _read_back(tmp_path / "chats" / "mds")
    by_id = {stable_id("ft", r["id"], check_record(r).text): r for r in chats}
    assert [set(s) for s in samples] == [{"messages"}] * 31
    assert [s["messages"] for s in samples] == [by_id[i]["messages"] for i in sorted(by_id)]
    assert report["finetune"]["checked_against_max_seq_len"] is False and report["output"]["tokens"] is None
    mixed = _config(tmp_path, [str(SAMPLE)], output=str(tmp_path / "mixed"), tokenize={"tokenizer": None})
    with pytest.raises(ByodError, match="mix formats"):
        run_job("ft_data_prep", config=mixed)


def test_untokenized_output_keeps_only_what_the_collator_accepts(spark, tmp_path, corpora, tokenizer_dirs,
                                                                monkeypatch):
    """write_tokens=false writes messages, yet drops the chats whose last response starts past max_seq_len."""
    from transformers import AutoTokenizer

    monkeypatch.chdir(REPO)
    max_len = 256
    chats = [json.loads(line) for line in gzip.open(corpora / "sft_chat_public.jsonl.gz", "rt")]
    hf = AutoTokenizer.from_pretrained(str(tokenizer_dirs["qwen2"]))
    accepted, rejected = {}, 0
    for row in chats:
        turns = reference_turns(json.loads(check_record(row).text), hf)
        last_start = sum(len(t["input_ids"]) + len(t["labels"]) for t in turns) - len(turns[-1]["labels"])
        if last_start >= max_len:
            rejected += 1
        else:
            accepted[stable_id("ft", row["id"], check_record(row).text)] = row["messages"]
    assert rejected and accepted  # the corpus has chats of both kinds at this length
    config = _config(tmp_path, [str(corpora / "sft_chat_public.jsonl.gz")], output=str(tmp_path / "checked"),
                     tokenize={"tokenizer": str(tokenizer_dirs["qwen2"]), "max_seq_len": max_len},
                     write_tokens=False)
    report = run_job("ft_data_prep", config=config)
    samples = _read_back(tmp_path / "checked" / "mds")
    assert [s["messages"] for s in samples] == [accepted[i] for i in sorted(accepted)]
    assert report["dropped_by_reason"] == {"ft.no_loss_tokens": rejected}
    assert report["output"]["columns"] == {"messages": "json"}
    assert report["finetune"]["written_as"] == "text" and report["finetune"]["checked_against_max_seq_len"]
    assert 0 < report["output"]["tokens"] <= max_len * len(samples)


def test_a_chat_template_that_renders_no_chat_fails_the_job(spark, tmp_path, corpora, tokenizer_dirs,
                                                            monkeypatch):
    monkeypatch.chdir(REPO)
    broken = "{% for m in messages %}{{ m.content.upper(1, 2, 3) }}{% endfor %}"  # a TypeError on every chat
    tokenize = {"tokenizer": str(tokenizer_dirs["qwen2"]), "chat_template": broken}
    config = _config(tmp_path, [str(corpora / "sft_chat_public.jsonl.gz")], output=str(tmp_path / "out"),
                     tokenize=tokenize)
    with pytest.raises(ByodError, match="source 'ft' lost all 31 of its documents to ft.chat_template_error"):
        run_job("ft_data_prep", config=config)
    assert not (tmp_path / "out" / "mds").exists()
    config = _config(tmp_path, [str(corpora / "sft_chat_public.jsonl.gz")], output=str(tmp_path / "out"),
                     tokenize=tokenize, allow_total_loss=True)
    report = run_job("ft_data_prep", config=config)
    assert report["dropped_by_reason"] == {"ft.chat_template_error": 31} and report["totals"]["kept"] == 0


def test_drop_policy_and_sample_defaults(spark, tmp_path, tokenizer_dirs, monkeypatch):
    monkeypatch.chdir(REPO)
    report = run_job("ft_data_prep", overrides=[f"output={tmp_path / 'sample'}", "tokenize.max_seq_len=48",
                                                "tokenize.policy=drop",
                                                f"tokenize.tokenizer={tokenizer_dirs['qwen2']}"])
    assert report["dropped_by_reason"]["dedup.exact_duplicate"] == 1
    too_long = report["dropped_by_reason"]["ft.too_long"]
    assert too_long == report["finetune"]["exceeding_max_seq_len"] > 0
    assert report["finetune"]["truncated"] == 0 and report["finetune"]["total_tokens"]["max"] <= 48
    assert len(_read_back(tmp_path / "sample" / "mds")) == report["totals"]["kept"]
    assert report["totals"]["kept"] + report["totals"]["dropped"] + report["totals"]["rejected"] == 47


def test_clear_errors(spark, tmp_path, tokenizer_dirs, monkeypatch):
    monkeypatch.chdir(REPO)
    with pytest.raises(ConfigError, match="tokenize.tokenizer"):
        run_job("ft_data_prep", overrides=[f"output={tmp_path / 'x'}"])
    with pytest.raises(ConfigError, match="policy"):
        run_job("ft_data_prep", overrides=[f"output={tmp_path / 'x'}", f"tokenize.tokenizer={tokenizer_dirs['qwen2']}",
                                           "tokenize.policy=cut", "tokenize.max_seq_len=8"])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        run_job("ft_data_prep", config=_config(tmp_path, [str(empty)], output=str(tmp_path / "e"),
                                               tokenize={"tokenizer": None}))
