"""Golden summaries: the figures of a run that must not drift silently, and a readable diff of them.

Re-record on purpose with:  BYOD_RECORD_GOLDEN=1 bash scripts/test.sh tests/test_golden.py
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

GOLDEN_DIR = Path(__file__).resolve().parent


def _digest_samples(mds_dir: str) -> tuple[int, str]:
    from byod.mds.reader import iter_samples

    digest = hashlib.sha256()
    count = 0
    for sample in iter_samples(mds_dir):
        count += 1
        for key in sorted(sample):
            value = sample[key]
            data = value.astype("<i4").tobytes() if isinstance(value, np.ndarray) else json.dumps(
                value, sort_keys=True, ensure_ascii=False).encode("utf-8")
            digest.update(key.encode() + b"\0" + data + b"\0")
    return count, digest.hexdigest()


def summarize(output: str, report: dict[str, Any]) -> dict[str, Any]:
    """Counts per stage and reason, token totals and a digest of every written sample, in order."""
    samples, digest = _digest_samples(f"{output}/mds")
    out = report.get("output", {})
    return {
        "totals": report["totals"],
        "dropped_by_reason": dict(sorted(report["dropped_by_reason"].items())),
        "rejected_by_reason": dict(sorted(report["rejected_by_reason"].items())),
        "stages": [{k: s[k] for k in ("name", "in", "out", "dropped_by_reason")} for s in report["stages"]],
        "sources": {n: {k: v for k, v in s.items() if k in ("in", "kept", "dropped", "rejected")}
                    for n, s in report["sources"].items()},
        "output": {k: out.get(k) for k in ("samples", "tokens") if k in out},
        "samples_read_back": samples,
        "samples_sha256": digest,
    }


def diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every leaf that differs, as 'path: expected -> actual'."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in sorted(set(expected) | set(actual), key=str):
            lines += diff(expected.get(key, "<absent>"), actual.get(key, "<absent>"), f"{path}.{key}" if path else key)
        return lines
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [line for i, (e, a) in enumerate(zip(expected, actual)) for line in diff(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: {expected!r} -> {actual!r}"]


def check_or_record(name: str, summary: dict[str, Any]) -> list[str]:
    """Compare with tests/golden/<name>.json (or write it when BYOD_RECORD_GOLDEN=1); returns differences."""
    path = GOLDEN_DIR / f"{name}.json"
    if os.environ.get("BYOD_RECORD_GOLDEN") == "1":
        path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        return []
    if not path.exists():
        return [f"no golden summary at {path}; record it with BYOD_RECORD_GOLDEN=1"]
    return diff(json.loads(path.read_text()), json.loads(json.dumps(summary)))
