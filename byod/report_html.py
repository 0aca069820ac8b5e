"""report.html: one self-contained page (plots inlined as PNG) rendered from report.json.

Plots are drawn with matplotlib's non-interactive Agg backend; nothing is fetched to view the page.
"""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any

import fsspec

from byod.report import load_report

PLOTS = ("funnel", "drops_by_reason", "length_histogram", "tokens_by_source", "dedup_clusters",
         "finetune_tokens")


def _figure_png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bars(title: str, labels: list[str], values: list[float], xlabel: str, horizontal: bool = True):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, max(2.2, 0.35 * len(labels) + 1)) if horizontal else (8, 3.5))
    if horizontal:
        ax.barh(labels[::-1], values[::-1], color="#4c72b0")
        ax.set_xlabel(xlabel)
    else:
        ax.bar(labels, values, color="#4c72b0")
        ax.set_ylabel(xlabel)
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_title(title)
    png = _figure_png(fig)
    plt.close(fig)
    return png


def _histogram(title: str, series: dict[str, dict[str, int]], xlabel: str, marker: float | None = None):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    for name, counts in series.items():
        xs = [float(k) for k in counts]
        ax.step(xs, list(counts.values()), where="mid", label=name)
    if marker is not None:
        ax.axvline(marker, color="#c44e52", linestyle="--", label=f"limit {marker:g}")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("documents")
    ax.legend()
    png = _figure_png(fig)
    plt.close(fig)
    return png


def plots(report: dict[str, Any]) -> dict[str, str]:
    """Every plot the report's data allows, by name, as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    out: dict[str, str] = {}
    totals = report.get("totals", {})
    stages = report.get("stages", [])
    if totals:
        labels = ["read", "readable"] + [s["name"] for s in stages]
        values = [totals["in"], totals["in"] - totals["rejected"]] + [s["out"] for s in stages]
        out["funnel"] = _bars("Documents through the stages", labels, values, "documents")
    reasons = {**report.get("dropped_by_reason", {}),
               **{f"rejected: {k}": v for k, v in report.get("rejected_by_reason", {}).items()}}
    if reasons:
        top = sorted(reasons.items(), key=lambda kv: -kv[1])[:20]
        out["drops_by_reason"] = _bars("Documents dropped or rejected, by reason", [k for k, _ in top],
                                       [v for _, v in top], "documents")
    hist = report.get("length_histogram", {})
    if hist.get("input"):
        out["length_histogram"] = _histogram(
            "Document length before and after filtering",
            {"input": hist["input"], "kept": hist.get("kept", {})}, "log2(characters)")
    by_source = report.get("output", {}).get("tokens_by_source", {})
    if by_source:
        out["tokens_by_source"] = _bars("Tokens by source", list(by_source), list(by_source.values()), "tokens")
    clusters = [(f"{stage['name']}/{method}: {c.get('survivor', c.get('cluster'))}", c["size"])
                for stage in stages for method, found in stage.get("stats", {}).items()
                if isinstance(found, dict) for c in found.get("largest", [])]
    if clusters:
        top = sorted(clusters, key=lambda kv: -kv[1])[:15]
        out["dedup_clusters"] = _bars("Largest duplicate clusters (documents per cluster, by survivor id)",
                                      [k for k, _ in top], [v for _, v in top], "documents")
    finetune = report.get("finetune", {}).get("token_histogram")
    if finetune:
        out["finetune_tokens"] = _histogram("Tokens per example", {"examples": finetune["counts"]},
                                            "tokens", marker=finetune.get("max_seq_len"))
    return out


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def render_html(report: dict[str, Any]) -> str:
    """The page: headline counts, the plots, per-stage and per-source tables, and the run's settings."""
    run = report.get("run", {})
    totals = report.get("totals", {})
    images = plots(report)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>byod report: {html.escape(str(run.get('job', '')))}</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}"
        "img{max-width:100%;display:block;margin:1em 0}pre{background:#f5f5f5;padding:1em;overflow:auto}</style>",
        "</head><body>",
        f"<h1>byod run: {html.escape(str(run.get('job', '')))}</h1>",
        _table([("documents in", totals.get("in")), ("kept", totals.get("kept")), ("dropped", totals.get("dropped")),
                ("rejected", totals.get("rejected")), ("wall time (s)", run.get("wall_seconds")),
                ("byod", run.get("byod_version")), ("Spark", run.get("spark_version"))]),
    ]
    for name in PLOTS:
        if name in images:
            parts.append(f"<h2>{name.replace('_', ' ')}</h2>"
                         f"<img id='plot-{name}' alt='{name}' src='data:image/png;base64,{images[name]}'>")
    stage_rows = "".join(
        f"<tr><td>{html.escape(s['name'])}</td><td>{s['in']}</td><td>{s['out']}</td><td>{s['dropped']}</td>"
        f"<td>{html.escape(json.dumps(s.get('dropped_by_reason', {})))}</td></tr>" for s in report.get("stages", []))
    parts.append("<h2>stages</h2><table><tr><th>stage</th><th>in</th><th>out</th><th>dropped</th><th>reasons</th></tr>"
                 f"{stage_rows}</table>")
    source_rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{s['in']}</td><td>{s['kept']}</td><td>{s['dropped']}</td>"
        f"<td>{s['rejected']}</td></tr>" for n, s in report.get("sources", {}).items())
    parts.append("<h2>sources</h2><table><tr><th>source</th><th>in</th><th>kept</th><th>dropped</th>"
                 f"<th>rejected</th></tr>{source_rows}</table>")
    if report.get("output"):
        parts.append(f"<h2>output</h2><pre>{html.escape(json.dumps(report['output'], indent=2))}</pre>")
    parts.append(f"<h2>configuration</h2><pre>{html.escape(json.dumps(run.get('config', {}), indent=2))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(report: dict[str, Any], folder: str) -> str:
    """Write ``<folder>/report.html``; returns its path."""
    path = f"{folder.rstrip('/')}/report.html"
    with fsspec.open(path, "w") as handle:
        handle.write(render_html(report))
    return path


def render_report(output: str) -> str:
    """``byod report <output>``: re-render report.html from report.json; returns the path written."""
    report = load_report(output)
    folder = output[: -len("/report.json")] if output.endswith("report.json") else output
    return write_html(report, folder)
