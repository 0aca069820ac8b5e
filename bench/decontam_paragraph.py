"""byod's Decontaminate and ParagraphDedup (C4 three-sentence spans) vs DataTrove 0.9.0's peers, same input.

Input: ../shared/corpora/web_public.jsonl.gz (``--copies`` times, each copy with a header line of its own
so no two documents are equal). Eval set: the 48 FAQ prompt/response pairs of sft_pairs_public plus
``--planted`` 40-word passages cut from the web documents (so some documents must match).

- Decontaminate (13-grams) vs ``NGramsDecontFilter`` (``n_grams=13``). DataTrove's index builder
  ``NGramsDecontIndexer`` needs ``lighteval`` (absent here, and it fetches tasks from the hub), so this
  script writes the same index file (uint64 xxhash64 of each eval n-gram, DataTrove's own normalisation
  and spaCy words) with DataTrove's helpers; the filter itself then runs offline as shipped.
- ParagraphDedup(span="sentences3", max_docs=1) vs ``SentenceDedupSignature`` -> ``SentenceFindDedups``
  -> ``SentenceDedupFilter`` (defaults: 3 sentences, spaCy sentences; ``min_doc_words=0`` and
  ``min_num_sentences=0`` so neither side drops short documents).

byod: local[2], JVM start reported apart, each stage timed cold (first run in the session) and warm
(second run), forced with a ``noop`` write. DataTrove: one process, its steps called in order. The
answers differ by design (spaCy vs regex words and sentences, DataTrove's number and diacritic
folding); the script prints the agreement.

    flock /tmp/byod-spark.lock .venv/bin/python bench/decontam_paragraph.py [--copies 1] [--planted 20]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata  # noqa: F401  (DataTrove's dependency check needs it imported)
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPORA, REPO  # noqa: E402

N = 13


def build_inputs(work: Path, copies: int, planted: int) -> tuple[Path, Path, list[dict]]:
    """The corpus (jsonl) and the eval set (jsonl of question/answer/qid); returns the documents too."""
    with gzip.open(CORPORA / "web_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        base = [json.loads(line)["text"] for line in handle]
    docs = [{"id": f"d{c:02d}-{i:04d}", "text": (f"Copy {c} of page {i}.\n{t}" if c else t)}
            for c in range(copies) for i, t in enumerate(base)]
    corpus = work / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    rng = random.Random(0)
    items = []
    with gzip.open(CORPORA / "sft_pairs_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            row = json.loads(line)
            items.append({"qid": f"faq-{i}", "question": row["prompt"], "answer": row["response"]})
    for i in range(planted):
        words = rng.choice([t for t in base if len(t.split()) > 200]).split()
        start = rng.randrange(0, len(words) - 40)
        items.append({"qid": f"planted-{i}", "question": " ".join(words[start:start + 40]), "answer": ""})
    evals = work / "eval.jsonl"
    evals.write_text("".join(json.dumps(r) + "\n" for r in items), encoding="utf-8")
    return corpus, evals, docs


def run_byod(corpus: Path, evals: Path) -> dict:
    from pyspark.sql import functions as F

    from byod.spark import get_spark
    from byod.stages.decontaminate import Decontaminate
    from byod.stages.paragraph_dedup import UNITS_REMOVED, ParagraphDedup

    started = time.perf_counter()
    spark = get_spark("local[2]", conf={"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    jvm = time.perf_counter() - started
    docs = spark.read.json(str(corpus)).select("id", "text").repartition(2).cache()
    docs.count()
    decont = Decontaminate(eval_paths=str(evals), text_field=("question", "answer"), id_field="qid", n=N)
    para = ParagraphDedup(span="sentences3", max_docs=1, keep_all=True)
    out: dict = {"jvm_s": jvm}
    for name, stage in (("decontaminate", decont), ("sentences3", para)):
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            stage(docs).write.format("noop").mode("overwrite").save()
            times.append(time.perf_counter() - t0)
        out[f"{name}_cold_s"], out[f"{name}_warm_s"] = times
    out["decontaminate_dropped"] = {r["id"] for r in decont(docs).select("id").collect()} ^ {
        r["id"] for r in docs.select("id").collect()}
    changed = para(docs).filter(F.col(UNITS_REMOVED).isNotNull())
    out["sentences3_changed"] = {r["id"] for r in changed.select("id").collect()}
    out["sentences3_removed"] = changed.agg(F.sum(UNITS_REMOVED)).collect()[0][0] or 0
    spark.stop()
    return out


def run_datatrove(docs: list[dict], evals: Path, work: Path) -> dict:
    import numpy as np
    from datatrove.data import Document
    from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter
    from datatrove.pipeline.dedup import SentenceDedupFilter, SentenceDedupSignature, SentenceFindDedups
    from datatrove.pipeline.dedup.sentence_dedup import SentDedupConfig
    from datatrove.utils.hashing import create_hash_func
    from datatrove.utils.text import ngrams, simplify_text
    from datatrove.utils.word_tokenizers import load_word_tokenizer

    def documents() -> list:
        return [Document(text=d["text"], id=d["id"]) for d in docs]

    out: dict = {}
    # Decontamination: the index as NGramsDecontIndexer writes it (label n-grams + query/label overlap).
    t0 = time.perf_counter()
    config = NGramsDecontConfig(n_grams=N, find_query_ngrams=True)
    tokenizer, hash_fc = load_word_tokenizer("en"), create_hash_func(config.hash_config)
    hashes: set[int] = set()
    for line in evals.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        words = tokenizer.word_tokenize(simplify_text(f"{row['question']} {row['answer']}", config.norm_config))
        hashes.update(hash_fc(" ".join(g)) for g in ngrams(words, N))
    index = work / "dt-index"
    index.mkdir()
    np.array(sorted(hashes), dtype=config.hash_config.np_descr).tofile(index / "eval.index.hashes")
    out["decont_index_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kept = {d.id for d in NGramsDecontFilter(index_folder=str(index), config=config).run(iter(documents()))}
    out["decontaminate_s"] = time.perf_counter() - t0
    out["decontaminate_dropped"] = {d["id"] for d in docs} - kept
    # C4 three-sentence spans: DataTrove's three steps, one worker.
    t0 = time.perf_counter()
    sd = SentDedupConfig(min_doc_words=0, min_num_sentences=0)
    SentenceDedupSignature(output_folder=str(work / "sigs"), config=sd).run(iter(documents()), 0, 1)
    SentenceFindDedups(data_folder=str(work / "sigs"), output_folder=str(work / "dups"), config=sd).run(None, 0, 1)
    before = {d["id"]: d["text"] for d in docs}
    result = list(SentenceDedupFilter(data_folder=str(work / "dups"), config=sd).run(iter(documents()), 0, 1))
    out["sentences3_s"] = time.perf_counter() - t0
    out["sentences3_changed"] = {d.id for d in result if d.text != before[d.id]}
    return out


def agreement(a: set, b: set, universe: int) -> float:
    """Share of documents on which both sides decide the same (dropped/changed or not)."""
    return 100.0 * (universe - len(a ^ b)) / universe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--planted", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = Path(tempfile.mkdtemp(prefix="byod-bench-decont-"))
    corpus, evals, docs = build_inputs(work, args.copies, args.planted)
    megabytes = sum(len(d["text"].encode()) for d in docs) / 1e6
    byod = run_byod(corpus, evals)
    peer = run_datatrove(docs, evals, work)
    import pyspark

    print(f"input: {len(docs)} documents, {megabytes:.2f} MB; eval items: {48 + args.planted}; cores: "
          f"{os.cpu_count()}; pyspark {pyspark.__version__}, datatrove {importlib.metadata.version('datatrove')}; "
          f"byod JVM start {byod['jvm_s']:.1f} s (not counted)")
    print("| stage | byod cold s | byod warm s | DataTrove s | ratio (DT s / byod cold s) | ratio warm "
          "| docs hit byod / DT | agreement % |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for name, label in (("decontaminate", "Decontaminate n=13"), ("sentences3", "ParagraphDedup sentences3")):
        key = "dropped" if name == "decontaminate" else "changed"
        mine, theirs = byod[f"{name}_{key}"], peer[f"{name}_{key}"]
        cold, warm, dt = byod[f"{name}_cold_s"], byod[f"{name}_warm_s"], peer[f"{name}_s"]
        print(f"| {label} | {cold:.2f} | {warm:.2f} | {dt:.2f} | {dt / cold:.2f} | {dt / warm:.2f} "
              f"| {len(mine)} / {len(theirs)} | {agreement(mine, theirs, len(docs)):.1f} |")
    print(f"DataTrove decont index build (not in its time): {peer['decont_index_s']:.2f} s; "
          f"byod sentences removed: {byod['sentences3_removed']}")


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    main()
