"""byod's FastTextClassifierFilter on local Spark vs DataTrove 0.9.0's FastTextClassifierFilter, same model and input.

The model is a tiny supervised fastText classifier trained here in about a second (web pages vs LaTeX
sources from ../shared/corpora, as tests/stages/test_classifier.py trains it). The input is the
web_public documents repeated with a varying header line until ``--mb`` MB of text. Both sides keep
documents whose ``__label__web`` probability is >= 0.5, newlines replaced by spaces, with 2 workers.
DataTrove reads the model from a local path (it copies it into its asset cache: no network). byod's
JVM start and a warm-up run are excluded from its time; DataTrove's timed run includes its worker
start (each run spawns fresh processes). Kept-document counts are compared as the answer check.

    python bench/classifier.py [--mb 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPORA, time_datatrove, write_copies  # noqa: E402

LABEL, THRESHOLD = "web", 0.5


def _documents(name: str) -> list[str]:
    with gzip.open(CORPORA / name, "rt", encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def train_model(folder: Path) -> str:
    """A ~3 MB two-label model (``__label__web`` / ``__label__latex``), deterministic (one thread, seed 0)."""
    import fasttext

    def paragraphs(text: str, most: int) -> list[str]:
        return [" ".join(p.split()) for p in text.split("\n\n") if len(p.split()) >= 8][:most]

    lines = [f"__label__web {p}" for d in _documents("web_public.jsonl.gz")[::2] for p in paragraphs(d, 2)]
    lines += [f"__label__latex {p}" for d in _documents("latex_public.jsonl.gz")[::2] for p in paragraphs(d, 25)]
    random.Random(0).shuffle(lines)
    (folder / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = fasttext.train_supervised(input=str(folder / "train.txt"), dim=16, epoch=20, lr=0.5, minn=2, maxn=4,
                                      bucket=20_000, minCount=1, thread=1, seed=0, verbose=0)
    model.save_model(str(folder / "model.bin"))
    return str(folder / "model.bin")


def build_input(folder: Path, megabytes: float, files: int = 4) -> tuple[int, int]:
    """Write ~``megabytes`` of JSONL (web pages and LaTeX files) over ``files`` files; return (docs, bytes)."""
    return write_copies(folder, _documents("web_public.jsonl.gz") + _documents("latex_public.jsonl.gz"),
                        megabytes, files)


def run_byod(folder: Path, warm: Path, model: str, repeats: int) -> tuple[list[float], int]:
    from byod.spark import get_spark
    from byod.stages.classifier import FastTextClassifierFilter

    spark = get_spark("local[2]", conf={"spark.sql.files.maxPartitionBytes": str(4 << 20),
                                        "spark.python.worker.reuse": "true"})
    stage = FastTextClassifierFilter(model_path=model, label=LABEL, threshold=THRESHOLD)

    def once(path: Path) -> tuple[float, int]:
        start = time.perf_counter()
        kept = spark.read.json(str(path)).transform(stage).count()
        return time.perf_counter() - start, kept

    once(warm)
    runs = [once(folder) for _ in range(repeats)]
    return [r[0] for r in runs], runs[0][1]


def run_datatrove(folder: Path, work: Path, model: str, repeats: int) -> tuple[list[float], int]:
    from datatrove.pipeline.filters import FastTextClassifierFilter

    return time_datatrove(folder, work, lambda: [FastTextClassifierFilter(
        model, keep_labels=(LABEL, THRESHOLD), newline_replacement=" ", save_labels_in_metadata=False)], repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.0, help="input size in MB of text")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine (median reported)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory(prefix="byod-bench-classifier-") as tmp:
        work = Path(tmp)
        model = train_model(work)
        docs, size = build_input(work / "input", args.mb)
        build_input(work / "warm", 0.5, files=2)
        byod_times, byod_kept = run_byod(work / "input", work / "warm", model, args.repeats)
        dt_times, dt_kept = run_datatrove(work / "input", work, model, args.repeats)
    import importlib.metadata

    import pyspark

    rows = [("byod (Spark local[2])", statistics.median(byod_times), byod_kept, f"pyspark {pyspark.__version__}"),
            ("DataTrove (2 workers)", statistics.median(dt_times), dt_kept,
             f"datatrove {importlib.metadata.version('datatrove')}")]
    print(f"input: {docs} docs, {size / 1e6:.1f} MB of text, cores: {os.cpu_count()}, "
          f"fasttext {importlib.metadata.version('fasttext-numpy2-wheel')}")
    print(f"{'engine':24} {'seconds':>8} {'docs/s':>9} {'MB/s':>7} {'kept':>7}  version")
    for name, seconds, kept, version in rows:
        print(f"{name:24} {seconds:8.2f} {docs / seconds:9.0f} {size / 1e6 / seconds:7.2f} {kept:7d}  {version}")
    print(f"ratio byod/DataTrove throughput: {rows[1][1] / rows[0][1]:.2f}x; "
          f"kept-count agreement: {min(byod_kept, dt_kept) / max(byod_kept, dt_kept, 1):.2%}")


if __name__ == "__main__":
    main()
