"""report.html: one self-contained page (plots inlined as PNG) rendered from report.json, read in a minute.

Top to bottom: the headline figures (with the packing remainder and any source that lost almost
everything to one reason), one plot per question, timings per step, examples of dropped documents,
per-stage and per-source tables, then the writer's figures and the exact configuration. Nothing is
fetched to view the page; long values wrap instead of running past the page edge.
"""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any

import fsspec

from byod.errors import InputError
from byod.progress import heavy_losses, packing_text
from byod.report import load_report

#: Plot name -> the question it answers (the section heading), in page order.
QUESTIONS = {
    "funnel": "Where did the documents go?",
    "drops_by_reason": "Which rules cost the most?",
    "length_histogram": "How long are the documents, before and after?",
    "tokens_by_source": "Which source gives the tokens?",
    "dedup_clusters": "Which documents were copied most?",
    "finetune_tokens": "How long are the examples?",
}
PLOTS = tuple(QUESTIONS)
#: Characters of a dropped document shown as an example, and examples shown per reason.
EXAMPLE_CHARS = 200
EXAMPLES_PER_REASON = 3

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}.meta{color:#666;margin-top:0}
table{border-collapse:collapse;margin:.6em 0;max-width:100%}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
img{max-width:100%;display:block;margin:.6em 0}
pre,.text{white-space:pre-wrap;overflow-wrap:anywhere}
pre{background:#f5f5f5;padding:1em;font-size:12px}
.warn{background:#fff4e5;border-left:4px solid #e69500;padding:.4em .8em;margin:.4em 0}
.text{font-family:ui-monospace,monospace;font-size:12px}
details summary{cursor:pointer;color:#444}
table.examples{width:100%;table-layout:fixed}
"""


def _figure_png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(report: dict[str, Any]) -> dict[str, str]:
    """Every plot the report's data allows, by name, as base64 PNG."""
    from byod.report_plots import PLOTS as BUILDERS

    out: dict[str, str] = {}
    for name, build in BUILDERS.items():
        fig = build(report)
        if fig is not None:
            out[name] = _figure_png(fig)
    return out


def _e(value: Any) -> str:
    return html.escape(str(value))


def _n(value: Any) -> str:
    """Counts with thousands separators; anything else as it is."""
    if isinstance(value, bool) or value is None:
        return _e("" if value is None else value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return _e(value)


def _rows(header: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    """A table; columns in ``numeric`` right-aligned with separators, the rest escaped (pre-built HTML: ``str``)."""
    head = "".join(f"<th class='num'>{_e(h)}</th>" if i in numeric else f"<th>{_e(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td class='num'>{_n(v)}</td>" if i in numeric else f"<td>{v}</td>"
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _reasons(counts: dict[str, int], top: int = 8) -> str:
    """The largest reasons, one a line; the rest summed in one line."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [f"{_e(k)}: {v:,}" for k, v in ranked[:top]]
    if len(ranked) > top:
        rest = ranked[top:]
        lines.append(f"<i>{len(rest)} more reasons: {sum(v for _, v in rest):,}</i>")
    return "<br>".join(lines) or "–"


def _share(value: int, whole: int) -> str:
    return f"{value / whole:.1%}" if whole else ""


def _summary(report: dict[str, Any]) -> str:
    totals, output = report.get("totals", {}), report.get("output") or {}
    whole = totals.get("in", 0)
    rows = [(label, totals.get(key), _share(totals.get(key, 0), whole))
            for label, key in (("documents in", "in"), ("kept", "kept"), ("dropped", "dropped"),
                               ("rejected", "rejected"))]
    if output.get("tokens") is not None:
        rows += [("tokens written", output["tokens"], ""), ("samples", output.get("samples"), ""),
                 ("shards", output.get("shards"), "")]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_n(v)}</td><td>{_e(s)}</td></tr>" for k, v, s in rows)
    parts = [f"<table id='summary'>{body}</table>"]
    packing = packing_text(report)
    if packing is not None:
        parts.append(f"<p id='packing'>{_e(packing[0].upper() + packing[1:])}.</p>")
    for source, reason, lost, documents in heavy_losses(report):
        parts.append(f"<p class='warn'>Source <b>{_e(source)}</b> lost {lost:,} of {documents:,} documents "
                     f"({lost / documents:.0%}) to <code>{_e(reason)}</code>.</p>")
    return "\n".join(parts)


def _timings(report: dict[str, Any]) -> str:
    timings = report.get("timings") or []
    if not timings:
        return ""
    wall = (report.get("run") or {}).get("wall_seconds") or 0
    rows = [[_e(t.get("step", "")), _e(", ".join(t.get("stages", []))), float(t.get("seconds", 0)),
             _share(t.get("seconds", 0), wall)] for t in timings]
    other = wall - sum(float(t.get("seconds", 0)) for t in timings)
    if wall and other > 0:
        rows.append(["other", "the rest: Spark start-up, counting, quarantine, reports", other,
                     _share(other, wall)])
    return "<h2>How long did each step take?</h2>" + _rows(["step", "stages", "seconds", "share of wall time"],
                                                          rows, numeric={2, 3})


def _examples(report: dict[str, Any]) -> str:
    """Up to three dropped documents per reason (first 200 characters, id and origin); nothing without examples."""
    examples = report.get("examples")
    if not isinstance(examples, dict) or not examples:
        return ""
    parts = ["<h2 id='examples'>What do dropped documents look like?</h2>"]
    for reason, items in examples.items():
        rows = []
        for item in (items or [])[:EXAMPLES_PER_REASON]:
            text = str(item.get("text") or "")
            shown = text[:EXAMPLE_CHARS] + ("…" if len(text) > EXAMPLE_CHARS else "")
            rows.append([f"<code>{_e(item.get('id', ''))}</code>", _e(item.get("origin") or ""),
                         f"<div class='text'>{_e(shown)}</div>"])
        table = _rows(["id", "origin", f"text (first {EXAMPLE_CHARS} characters)"], rows)
        parts.append(f"<h3>{_e(reason)}</h3>" + table.replace("<table>", "<table class='examples'>"
                     "<colgroup><col style='width:18%'><col style='width:24%'><col></colgroup>", 1))
    return "\n".join(parts)


def _tables(report: dict[str, Any]) -> str:
    stages = [[_e(s["name"]), s.get("in"), s.get("out"), s.get("dropped"), _reasons(s.get("dropped_by_reason", {}))]
              for s in report.get("stages", [])]
    sources = [[_e(name), s.get("in"), s.get("kept"), s.get("dropped"), s.get("rejected"),
                _reasons({**s.get("dropped_by_reason", {}), **s.get("rejected_by_reason", {})})]
               for name, s in report.get("sources", {}).items()]
    return ("<h2>stages</h2>" + _rows(["stage", "in", "out", "dropped", "reasons"], stages, numeric={1, 2, 3})
            + "<h2>sources</h2>" + _rows(["source", "in", "kept", "dropped", "rejected", "reasons"], sources,
                                         numeric={1, 2, 3, 4}))


def render_html(report: dict[str, Any]) -> str:
    """The page: headline figures, one plot per question, timings, examples, tables, and the run's settings."""
    run = report.get("run", {})
    job = _e(run.get("job", ""))
    images = plots(report)
    facts = (("started", run.get("started_at")), ("byod", run.get("byod_version")),
             ("Spark", run.get("spark_version")), ("Python", run.get("python_version")))
    meta = " · ".join(f"{k} {_e(v)}" for k, v in facts if v)
    wall = run.get("wall_seconds")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>byod report: {job}</title><style>{STYLE}</style></head><body>",
        f"<h1>byod run: {job}</h1>",
        f"<p class='meta'>{meta}{f' · wall time {wall:,.1f} s' if isinstance(wall, (int, float)) else ''}</p>",
        _summary(report),
    ]
    for name, question in QUESTIONS.items():
        if name in images:
            parts.append(f"<h2>{_e(question)}</h2>"
                         f"<img id='plot-{name}' alt='{name}' src='data:image/png;base64,{images[name]}'>")
    parts += [_timings(report), _examples(report), _tables(report)]
    if report.get("output"):
        parts.append("<h2>output</h2><details><summary>the writer's figures (JSON)</summary>"
                     f"<pre>{_e(json.dumps(report['output'], indent=2))}</pre></details>")
    parts.append("<h2>configuration</h2><details><summary>the exact settings of this run (JSON)</summary>"
                 f"<pre>{_e(json.dumps(run.get('config', {}), indent=2))}</pre></details>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def write_html(report: dict[str, Any], folder: str) -> str:
    """Write ``<folder>/report.html``; returns its path."""
    path = f"{folder.rstrip('/')}/report.html"
    with fsspec.open(path, "w", encoding="utf-8") as handle:
        handle.write(render_html(report))
    return path


def render_report(output: str) -> str:
    """``byod report <output>``: re-render report.html from report.json; returns the path written."""
    report = load_report(output)
    if not isinstance(report, dict) or not isinstance(report.get("totals"), dict):
        raise InputError(f"{output}: not a byod report.json (expected a JSON object with 'totals')")
    folder = (output.rsplit("/", 1)[0] if "/" in output else ".") if output.endswith(".json") else output
    return write_html(report, folder)
