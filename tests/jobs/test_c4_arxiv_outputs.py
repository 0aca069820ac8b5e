"""What the c4_arxiv job hands on: split folders llm-foundry's stock YAML reads, examples of what was
dropped, and a loud failure when a whole source is lost to one reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from byod.errors import AccountingError
from byod.runner import run_job
from tests.golden.summary import _digest_samples
from tests.helpers.corpus import real_web_docs, web_gzip


@pytest.fixture(scope="module")
def web(tmp_path_factory, corpora) -> Path:
    folder = tmp_path_factory.mktemp("web")
    web_gzip(corpora, folder / "part-0.jsonl.gz", 80)
    return folder


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_loaders() -> dict:
    """The llm-foundry loader YAML the README shows, as a user would paste it."""
    return yaml.safe_load(re.search(r"```yaml\n(train_loader:.*?)```", README.read_text(), re.S).group(1))


def _overrides(web: Path, output: Path, tokenizer: Path, *extra: str) -> list[str]:
    return [f"output={output}", f"sources=[{{name: web, format: c4, paths: ['{web}']}}]",
            "stages=[{stage: Normalize}, {stage: C4QualityFilter}, {stage: GopherQualityFilter}]",
            f"tokenize.tokenizer={tokenizer}", "tokenize.max_seq_len=128", *extra]


def test_train_and_val_split_folders_under_one_root_index(spark, tmp_path, web, tokenizer_dirs):
    from streaming import StreamingDataset

    output = tmp_path / "split"
    report = run_job("c4_arxiv", overrides=_overrides(web, output, tokenizer_dirs["llama3"], "split.val_fraction=0.25"))
    mds = output / "mds"
    splits = report["output"]["splits"]
    assert set(splits) == {"train", "val"} and splits["train"]["samples"] > 0 and splits["val"]["samples"] > 0
    assert report["output"]["samples"] == splits["train"]["samples"] + splits["val"]["samples"]
    assert splits["train"]["output"] == f"{mds}/train"
    for name in ("train", "val"):
        dataset = StreamingDataset(local=str(mds), split=name, shuffle=False, batch_size=1)
        assert len(dataset) == splits[name]["samples"]
    text_loader = readme_loaders()["train_loader"]["dataset"]  # the README's YAML names what was written
    assert text_loader["local"].endswith("c4_arxiv/mds") and text_loader["split"] in splits
    finetune_loader = readme_loaders()["eval_loader"]["dataset"]
    from byod.stages.finetune.split import EVAL, TRAIN
    assert finetune_loader["remote"].endswith("ft_data_prep/mds") and finetune_loader["split"] in (TRAIN, EVAL)
    everything = StreamingDataset(local=str(mds), shuffle=False, batch_size=1)
    assert len(everything) == report["output"]["samples"]
    # the split is by document id: the same documents are held out on a second run
    again = run_job("c4_arxiv", overrides=_overrides(web, tmp_path / "again", tokenizer_dirs["llama3"],
                                                    "split.val_fraction=0.25"))
    assert again["output"]["splits"]["val"]["samples"] == splits["val"]["samples"]
    assert _digest_samples(str(mds / "val")) == _digest_samples(str(tmp_path / "again" / "mds" / "val"))


def test_default_run_writes_the_train_split_and_examples_of_drops(spark, tmp_path, web, tokenizer_dirs, corpora):
    output = tmp_path / "default"
    urls = {doc["url"] for doc in real_web_docs(corpora)[:80]}
    report = run_job("c4_arxiv", overrides=_overrides(web, output, tokenizer_dirs["llama3"],
                                                      "documents={format: jsonl, dropped: true}"))
    assert (output / "mds" / "train" / "index.json").is_file() and not (output / "mds" / "val").exists()

    def lines(folder: str) -> list[dict]:
        return [json.loads(line) for f in sorted((output / folder).glob("part-*.json"))
                for line in f.read_text().splitlines()]

    written, dropped = lines("documents"), lines("dropped")
    assert len(written) == report["totals"]["kept"] == report["documents"]["documents"]
    assert len({d["id"] for d in written}) == len(written) and all(d["url"] in urls for d in written)
    assert report["documents"]["output"] == f"{output}/documents"
    # every dropped document, once, with the stage and reason the report counts it under
    assert report["documents"]["dropped"] == {"output": f"{output}/dropped", "format": "jsonl",
                                              "documents": report["totals"]["dropped"]}
    assert {d["id"] for d in dropped}.isdisjoint(d["id"] for d in written) and len({d["id"] for d in dropped}) == len(dropped)
    by_reason: dict[str, int] = {}
    for doc in dropped:
        by_reason[doc["drop_reason"]] = by_reason.get(doc["drop_reason"], 0) + 1
        assert doc["drop_stage"] and doc["url"] in urls and doc["text"]
    assert by_reason == report["dropped_by_reason"]
    root = json.loads((output / "mds" / "index.json").read_text())
    assert all(s["raw_data"]["basename"].startswith("train/") for s in root["shards"])
    examples = report["examples"]
    assert set(examples) == set(report["dropped_by_reason"])
    for reason, items in examples.items():
        assert 1 <= len(items) <= 3 and len(items) == min(3, report["dropped_by_reason"][reason])
        assert all(len(item["text"]) <= 200 and item["origin"] in urls for item in items)
        assert [item["id"] for item in items] == sorted(item["id"] for item in items)


def test_a_source_lost_whole_to_one_reason_fails_unless_allowed(spark, tmp_path, web, tokenizer_dirs):
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "a.jsonl").write_text("".join(json.dumps({"text": f"word {i}", "url": f"u{i}"}) + "\n" for i in range(5)))
    overrides = _overrides(web, tmp_path / "lost", tokenizer_dirs["llama3"])
    overrides[1] = f"sources=[{{name: web, format: c4, paths: ['{web}']}}, {{name: tiny, format: c4, paths: ['{tiny}']}}]"
    with pytest.raises(AccountingError, match="source 'tiny' lost all 5 of its documents to c4.*allow_total_loss"):
        run_job("c4_arxiv", overrides=overrides)
    assert not (tmp_path / "lost" / "report.json").exists()
    report = run_job("c4_arxiv", overrides=[*overrides, "allow_total_loss=true"])
    assert report["sources"]["tiny"]["kept"] == 0 and report["sources"]["tiny"]["in"] == 5
