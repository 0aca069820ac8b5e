"""byod's PIIRedact and UrlFilter on local Spark vs DataTrove 0.9.0's PIIFormatter and URLFilter, same texts.

Input: web_public documents repeated with a varying header line (and a varying URL host) until ``--mb``
MB, written as JSONL. Two measures, both on 2 cores, median of ``--repeats``:

- **pipeline** (what a user waits for once the engine is up): read the JSONL, run the stage, consume the
  documents. byod: ``spark.read.json`` -> stage -> Spark's ``noop`` sink (every column evaluated) on
  ``local[2]``, JVM start and a warm-up run excluded. DataTrove: ``JsonlReader`` -> step -> a counting
  step in ``LocalPipelineExecutor`` (4 tasks, 2 workers), its worker start included (as bench/filters.py).
- **step alone**: the data already in memory. byod: the stage over a cached frame into ``noop`` (one Spark
  job: task start and the Arrow round trip to Python included); DataTrove: its step's own method
  (``format`` / ``filter``) over the documents in a pool of 2 processes (pool start excluded).

Both sides get the same work: PII compares byod's e-mail + IPv4 redaction with DataTrove's defaults (and
reports byod with every kind on, and a Spark SQL ``regexp_replace`` variant); the URL filter gets the
same domain, URL and word lists. Answers are checked: replacement counts and keep/drop agreement.

    python bench/safety_filters.py [--mb 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPORA, time_datatrove  # noqa: E402


def build_input(folder: Path, megabytes: float) -> tuple[list[dict], int]:
    """~``megabytes`` of documents as JSONL in ``folder`` (4 files); returns them and their text bytes."""
    with gzip.open(CORPORA / "web_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        base = [json.loads(line) for line in handle]
    docs, size = [], 0
    while size < megabytes * 1e6:
        for row in base:
            copy = len(docs) // len(base)
            package, _, path = row["url"].removeprefix("deb://").partition("/")
            url = f"https://mirror{copy}.{package}.org/{path}"
            docs.append({"id": str(len(docs)), "text": f"Copy {len(docs)} of this page.\n{row['text']}", "url": url})
            size += len(docs[-1]["text"].encode("utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    for part in range(4):
        with open(folder / f"part-{part}.jsonl", "w", encoding="utf-8") as out:
            out.writelines(json.dumps(d) + "\n" for d in docs[part::4])
    return docs, size


def write_lists(folder: Path, docs: list[dict]) -> dict[str, str]:
    """Domain, URL and word lists: some hit the input, most are filler, as real blocklists are."""
    packages = sorted({d["url"].split("/")[2].split(".", 1)[1] for d in docs})  # "<package>.org"
    domains = [f"site{i}.example" for i in range(20000)] + packages[::9]
    urls = [f"https://spam{i}.example/page" for i in range(5000)] + [d["url"] for d in docs[::50]]
    words = [f"filler{i}" for i in range(500)] + ["sqlalchemy", "gnome"]
    paths = {}
    for name, entries in (("domains", domains), ("urls", urls), ("words", words)):
        paths[name] = str(folder / f"{name}.txt")
        Path(paths[name]).write_text("# bench list\n" + "\n".join(entries) + "\n", encoding="utf-8")
    return paths


# --- DataTrove side: module-level so the worker processes can import them ------------------------------
_DT: dict = {}


def _dt_init(kind: str, lists: dict[str, str]) -> None:
    from datatrove.pipeline.filters import URLFilter
    from datatrove.pipeline.formatters import PIIFormatter

    def lines(path: str) -> list[str]:
        return Path(path).read_text(encoding="utf-8").splitlines()

    _DT["step"] = PIIFormatter() if kind == "pii" else URLFilter(
        use_integrated_lists=False, extra_domains=lines(lists["domains"]), extra_urls=lines(lists["urls"]),
        banned_words=lines(lists["words"]))


def _dt_run(chunk: list[dict]) -> list:
    from datatrove.data import Document

    step = _DT["step"]
    if hasattr(step, "format"):
        return [step.format(d["text"]) for d in chunk]
    return [step.filter(Document(text=d["text"], id=d["id"], metadata={"url": d["url"]})) is True for d in chunk]


def run_datatrove(kind: str, docs: list[dict], lists: dict[str, str], repeats: int) -> tuple[list[float], list]:
    chunks = [docs[i:i + 64] for i in range(0, len(docs), 64)]
    with Pool(2, initializer=_dt_init, initargs=(kind, lists)) as pool:
        pool.map(_dt_run, chunks[:4])  # warm-up: imports and list loading in both workers
        times, answer = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            answer = [x for part in pool.map(_dt_run, chunks) for x in part]
            times.append(time.perf_counter() - start)
    return times, answer


# --- byod side ----------------------------------------------------------------------------------------
def run_byod(read, make, repeats: int) -> list[float]:
    """Seconds of ``make(read())`` into the ``noop`` sink, ``repeats`` times after a warm-up run."""
    def once() -> float:
        start = time.perf_counter()
        make(read()).write.format("noop").mode("overwrite").save()
        return time.perf_counter() - start

    once()  # warm-up: Python workers, regex compilation, JIT
    return [once() for _ in range(repeats)]


def datatrove_steps(kind: str, lists: dict[str, str]):
    """Fresh DataTrove steps for :func:`time_datatrove` (the same configuration as the pool's)."""
    def steps():
        _dt_init(kind, lists)
        return [_DT["step"]]
    return steps


def sql_redact(df):
    """E-mail + IPv4 redaction in Spark SQL alone (DataTrove's patterns, no public-IP check): for comparison."""
    from pyspark.sql import functions as F

    email = r"\b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    octet = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
    text = F.regexp_replace(F.regexp_replace("text", email, "email@example.com"), rf"(?:{octet}\.){{3}}{octet}",
                            "22.214.171.124")
    return df.withColumn("text", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=30.0, help="input size in MB of text")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine (median reported)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import importlib.metadata

    import pyspark

    from byod.spark import get_spark
    from byod.stages.blocklists import UrlFilter
    from byod.stages.pii import KINDS, PIIRedact

    with tempfile.TemporaryDirectory(prefix="byod-bench-safety-") as tmp:
        work = Path(tmp)
        docs, size = build_input(work / "input", args.mb)
        lists = write_lists(work, docs)
        spark = get_spark("local[2]", conf={
                                            "spark.python.worker.reuse": "true", "spark.ui.enabled": "false"})
        spark.sparkContext.setLogLevel("ERROR")
        like_dt = PIIRedact(ipv6=False, phones=False)
        every = PIIRedact(credit_cards=True)
        url_filter = UrlFilter(domains_path=lists["domains"], urls_path=lists["urls"], words_path=lists["words"])
        makes = {"byod PIIRedact (email+IPv4)": like_dt, "byod PIIRedact (every kind)": every,
                 "Spark SQL regexp_replace (email+IPv4)": sql_redact, "byod UrlFilter": url_filter}

        def read():
            return spark.read.json(str(work / "input"))

        cached = read().cache()
        cached.write.format("noop").mode("overwrite").save()
        timed = {"pipeline": {}, "step alone": {}}
        for name, make in makes.items():
            timed["pipeline"][name] = run_byod(read, make, args.repeats)
            timed["step alone"][name] = run_byod(lambda: cached, make, args.repeats)
        cached.unpersist()
        for kind, name in (("pii", "DataTrove PIIFormatter"), ("url", "DataTrove URLFilter")):
            timed["pipeline"][name], _ = time_datatrove(work / "input", work / f"dt-{kind}",
                                                         datatrove_steps(kind, lists), args.repeats)
        dt_pii_times, dt_texts = run_datatrove("pii", docs, lists, args.repeats)
        dt_url_times, dt_kept = run_datatrove("url", docs, lists, args.repeats)
        timed["step alone"]["DataTrove PIIFormatter"] = dt_pii_times
        timed["step alone"]["DataTrove URLFilter"] = dt_url_times

    # Answer checks, in the driver with the same pure functions the stages run.
    ours = [like_dt.redact(d["text"]) for d in docs]
    same_text = sum(o[0] == t for o, t in zip(ours, dt_texts))
    changed_dt = sum(t != d["text"] for t, d in zip(dt_texts, docs))
    changed_ours = sum(o[0] != d["text"] for o, d in zip(ours, docs))
    url_ours = [url_filter.reason(d["url"]) is None for d in docs]
    agree = sum(a == b for a, b in zip(url_ours, dt_kept))

    print(f"input: {len(docs)} docs, {size / 1e6:.1f} MB of text, cores: {os.cpu_count()}, "
          f"pyspark {pyspark.__version__}, datatrove {importlib.metadata.version('datatrove')}")
    for measure, times_of in timed.items():
        print(f"\n{measure}")
        print(f"{'engine':40} {'median s':>9} {'docs/s':>9} {'MB/s':>7}")
        for name, times in times_of.items():
            seconds = statistics.median(times)
            print(f"{name:40} {seconds:9.2f} {len(docs) / seconds:9.0f} {size / 1e6 / seconds:7.2f}")
        med = {k: statistics.median(v) for k, v in times_of.items()}
        pii = med["DataTrove PIIFormatter"]
        print(f"ratio PIIRedact (email+IPv4) / PIIFormatter throughput: "
              f"{pii / med['byod PIIRedact (email+IPv4)']:.2f}x "
              f"(every kind: {pii / med['byod PIIRedact (every kind)']:.2f}x, "
              f"SQL variant: {pii / med['Spark SQL regexp_replace (email+IPv4)']:.2f}x)")
        print(f"ratio UrlFilter / URLFilter throughput: {med['DataTrove URLFilter'] / med['byod UrlFilter']:.2f}x")
    print()
    totals = [sum(o[1 + KINDS.index(k)] for o in ours) for k in ("email", "ipv4")]
    print(f"PII answers: documents changed byod {changed_ours} / DataTrove {changed_dt}; identical output "
          f"{same_text / len(docs):.1%}; byod replaced {totals[0]} e-mails, {totals[1]} IPv4")
    print(f"URL answers: kept byod {sum(url_ours)} / DataTrove {sum(dt_kept)}; agreement {agree / len(docs):.1%}")
    dt_emails = sum(len(re.findall(r"email@example\.com|firstname\.lastname@example\.org", t)) for t in dt_texts)
    print(f"DataTrove placeholders in its output (e-mails, incl. pre-existing): {dt_emails}")


if __name__ == "__main__":
    main()
