"""Build test inputs from the real corpora: copies of real documents with light, deterministic edits."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def real_web_docs(corpora: Path) -> list[dict]:
    with gzip.open(corpora / "web_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def varied_copies(corpora: Path, folder: Path, *, copies: int, files: int = 4) -> int:
    """Write ``copies`` variants of every web document into ``files`` gzip JSON-lines files; returns rows."""
    docs = real_web_docs(corpora)
    folder.mkdir(parents=True, exist_ok=True)
    handles = [gzip.open(folder / f"part-{i}.jsonl.gz", "wt", encoding="utf-8") for i in range(files)]
    rows = 0
    for copy in range(copies):
        for number, doc in enumerate(docs):
            text = doc["text"] if copy == 0 else f"Copy {copy} of page {number}.\n{doc['text']}\nRevision {copy}."
            record = {"text": text, "url": f"{doc['url']}?copy={copy}", "timestamp": doc.get("timestamp")}
            handles[rows % files].write(json.dumps(record) + "\n")
            rows += 1
    for handle in handles:
        handle.close()
    return rows


def web_gzip(corpora: Path, path: Path, count: int) -> Path:
    """The first ``count`` real web documents as one C4-style ``.jsonl.gz`` (text, url) at ``path``."""
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for doc in real_web_docs(corpora)[:count]:
            handle.write(json.dumps({"text": doc["text"], "url": doc["url"]}) + "\n")
    return path
