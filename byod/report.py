"""The run report: every input document accounted for, per source and per stage, as ``report.json``.

Schema (``schema_version`` 1; documented in the README): ``totals`` {in, kept, dropped, rejected};
``dropped_by_reason``, ``rejected_by_reason``; ``sources`` {name: {in, kept, dropped, rejected,
dropped_by_reason, rejected_by_reason}}; ``stages`` [{name, params, in, out, dropped, dropped_by_reason,
stats}]; ``timings`` [{step, stages, seconds}]; ``output`` (writer figures); ``run`` (job, config,
versions, inputs, wall time). The accounting ``in = kept + dropped + rejected`` is checked before writing.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import fsspec

from byod.errors import AccountingError, InputError

SCHEMA_VERSION = 1


@dataclass
class GroupCount:
    """One row of the pipeline's single counting pass."""

    source: str
    drop_stage: str | None
    drop_reason: str | None
    reject_reason: str | None
    count: int
    input_bin: int = -1  # floor(log2(characters)) of the text as read; -1 when there is none
    final_bin: int = -1  # the same after the stages that edit text


def _sorted_counter(counter: Counter) -> dict[str, int]:
    return {k: v for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))}


def summarize_counts(groups: list[GroupCount], stage_names: list[str]) -> dict[str, Any]:
    """Fold the grouped counts into totals, per-source and per-stage figures."""
    totals = Counter()
    dropped_by_reason: Counter = Counter()
    rejected_by_reason: Counter = Counter()
    per_source: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"in": 0, "kept": 0, "dropped": 0, "rejected": 0,
                 "dropped_by_reason": Counter(), "rejected_by_reason": Counter()})
    per_stage: dict[str, Counter] = {name: Counter() for name in stage_names}
    lengths_all: Counter = Counter()
    lengths_kept: Counter = Counter()
    for g in groups:
        if g.reject_reason is None and g.input_bin >= 0:
            lengths_all[g.input_bin] += g.count
        if g.reject_reason is None and g.drop_reason is None and g.final_bin >= 0:
            lengths_kept[g.final_bin] += g.count
        src = per_source[g.source]
        src["in"] += g.count
        totals["in"] += g.count
        if g.reject_reason is not None:
            totals["rejected"] += g.count
            src["rejected"] += g.count
            rejected_by_reason[g.reject_reason] += g.count
            src["rejected_by_reason"][g.reject_reason] += g.count
        elif g.drop_reason is not None:
            totals["dropped"] += g.count
            src["dropped"] += g.count
            dropped_by_reason[g.drop_reason] += g.count
            src["dropped_by_reason"][g.drop_reason] += g.count
            per_stage.setdefault(g.drop_stage or "?", Counter())[g.drop_reason] += g.count
        else:
            totals["kept"] += g.count
            src["kept"] += g.count
    live = totals["in"] - totals["rejected"]
    stages = []
    for name, reasons in per_stage.items():
        dropped = sum(reasons.values())
        stages.append({"name": name, "in": live, "out": live - dropped, "dropped": dropped,
                       "dropped_by_reason": _sorted_counter(reasons)})
        live -= dropped
    sources = {
        name: {**{k: v for k, v in s.items() if not k.endswith("_reason")},
               "dropped_by_reason": _sorted_counter(s["dropped_by_reason"]),
               "rejected_by_reason": _sorted_counter(s["rejected_by_reason"])}
        for name, s in sorted(per_source.items())
    }
    return {
        "totals": {k: int(totals[k]) for k in ("in", "kept", "dropped", "rejected")},
        "dropped_by_reason": _sorted_counter(dropped_by_reason),
        "rejected_by_reason": _sorted_counter(rejected_by_reason),
        "sources": sources,
        "stages": stages,
        "length_histogram": {
            "bins": "floor(log2(characters)): input = every document as read, kept = kept documents as written",
            "input": {str(b): int(lengths_all[b]) for b in sorted(lengths_all)},
            "kept": {str(b): int(lengths_kept[b]) for b in sorted(lengths_kept)},
        },
    }


def check_accounting(report: dict[str, Any]) -> None:
    """Raise unless in = kept + dropped + rejected holds for the run, each source and the reasons."""
    def check(scope: str, figures: dict[str, Any]) -> None:
        parts = figures["kept"] + figures["dropped"] + figures["rejected"]
        if figures["in"] != parts:
            raise AccountingError(f"{scope}: in={figures['in']} but kept+dropped+rejected={parts}")
        if sum(figures["dropped_by_reason"].values()) != figures["dropped"]:
            raise AccountingError(f"{scope}: dropped={figures['dropped']} != sum of dropped_by_reason")
        if sum(figures["rejected_by_reason"].values()) != figures["rejected"]:
            raise AccountingError(f"{scope}: rejected={figures['rejected']} != sum of rejected_by_reason")

    check("run", {**report["totals"], "dropped_by_reason": report["dropped_by_reason"],
                  "rejected_by_reason": report["rejected_by_reason"]})
    for name, figures in report["sources"].items():
        check(f"source {name}", figures)
    if sum(s["in"] for s in report["sources"].values()) != report["totals"]["in"]:
        raise AccountingError("sources do not add up to the run's documents in")


@dataclass
class RunReport:
    """Collects a run's figures as the job goes, then checks and writes ``report.json``."""

    job: str
    config: dict[str, Any] = field(default_factory=dict)
    inputs: list[Any] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    counts: dict[str, Any] = field(default_factory=dict)
    stage_details: list[dict[str, Any]] = field(default_factory=list)
    timings: list[dict[str, Any]] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    secrets: list[str] = field(default_factory=list, repr=False)
    resumed_from: str | None = None  # the run id whose finished steps this run reused
    reused_steps: list[str] = field(default_factory=list)

    def time_step(self, step: str, stages: list[str], seconds: float, *, reused: bool = False) -> None:
        self.timings.append({"step": step, "stages": stages, "seconds": round(seconds, 3),
                             **({"reused": True} if reused else {})})

    def to_dict(self, spark_version: str | None = None) -> dict[str, Any]:
        from byod import __version__

        details = {d["name"]: d for d in self.stage_details}
        stages = [{**s, "params": details.get(s["name"], {}).get("params", {}),
                   "stats": details.get(s["name"], {}).get("stats", {})} for s in self.counts.get("stages", [])]
        return {
            "schema_version": SCHEMA_VERSION,
            "run": {
                "job": self.job, "run_id": self.run_id, "resumed_from": self.resumed_from,
                "reused_steps": self.reused_steps, "byod_version": __version__, "spark_version": spark_version,
                "python_version": platform.python_version(), "argv": list(sys.argv),
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
                "wall_seconds": round(time.time() - self.started, 3),
                "inputs": self.inputs, "config": self.config,
            },
            **{k: v for k, v in self.counts.items() if k != "stages"},
            "stages": stages,
            "timings": self.timings,
            "output": self.output,
            **self.extra,
        }

    def write(self, folder: str, spark_version: str | None = None) -> dict[str, Any]:
        """Check the accounting, then write ``<folder>/report.json``; returns the report dict."""
        from byod.layout import write_atomic
        from byod.secrets import mask_values

        report = mask_values(self.to_dict(spark_version), self.secrets)  # argv, stage params, config, output
        check_accounting(report)
        write_atomic(f"{folder.rstrip('/')}/report.json", json.dumps(report, indent=2).encode("utf-8"))
        return report


def load_report(folder_or_file: str) -> dict[str, Any]:
    """Read a report.json given its folder or its path."""
    path = folder_or_file if folder_or_file.endswith(".json") else f"{folder_or_file.rstrip('/')}/report.json"
    try:
        with fsspec.open(path, "r") as handle:
            report = json.load(handle)
    except FileNotFoundError:
        raise InputError(f"no report at {path}: not a byod output folder, or its run did not finish") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a report.json") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(report, dict) or "totals" not in report:
        raise InputError(f"{path} is not a byod report (no 'totals')")
    return report
