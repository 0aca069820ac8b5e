"""The plots of report.html, one per question a reader has, drawn as matplotlib Figures from report.json.

Every bar carries its value, count axes have integer ticks with thousands separators (no ``1e6``
offset), and labels are words a reader knows: stage names, reason codes, sources, document URLs or
titles. Figures are built without pyplot, so rendering never changes a notebook's backend.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

BLUE, GREEN, GREY, RED = "#4c72b0", "#55a868", "#8c8c8c", "#c44e52"
#: Bars shown at most per plot, and characters per bar label.
TOP_BARS = 20
LABEL_CHARS = 48


def _count_axis(axis) -> None:
    """Integer ticks, ``1,234,567`` labels, never a ``1e6`` offset."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def _plain(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _short(label: str, chars: int = LABEL_CHARS) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


def short_count(value: float) -> str:
    """``512``, ``1k``, ``64k``, ``2M``: compact powers of two for length bins."""
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("k", 1 << 10)):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def hbars(title: str, labels: list[str], values: list[float], unit: str, *, texts: list[str] | None = None,
          colors: list[str] | None = None) -> Figure:
    """Horizontal bars, first label on top, each with its value (or ``texts``) at the bar's end."""
    fig = Figure(figsize=(10, max(1.6, 0.38 * len(labels) + 1.0)))
    ax = fig.add_subplot()
    positions = list(range(len(labels)))[::-1]
    bars = ax.barh(positions, values, color=colors or BLUE)
    ax.set_yticks(positions, [_short(label) for label in labels])
    ax.bar_label(bars, labels=texts or [f"{v:,.0f}" for v in values], padding=3, fontsize=9)
    ax.set_xlim(0, max(max(values, default=0), 1) * 1.22)  # room for the value labels
    _count_axis(ax.xaxis)
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left")
    _plain(ax)
    return fig


def _share(value: int, whole: int) -> str:
    return f"{value:,} ({value / whole:.0%})" if whole else f"{value:,}"


def funnel(report: dict[str, Any]) -> Figure | None:
    """Where did the documents go: read, readable, then what is left after each stage."""
    totals = report.get("totals") or {}
    if not totals.get("in"):
        return None
    stages = report.get("stages", [])
    labels = ["read", "readable (not rejected)"] + [f"after {s['name']}" for s in stages]
    values = [totals["in"], totals["in"] - totals.get("rejected", 0)] + [s["out"] for s in stages]
    colors = [GREY, BLUE] + [BLUE] * len(stages)
    colors[-1] = GREEN
    return hbars("Documents left after each step (share of documents read)", labels, values, "documents",
                 texts=[_share(v, totals["in"]) for v in values], colors=colors)


def drops_by_reason(report: dict[str, Any]) -> Figure | None:
    """Which rules cost the most: documents per drop or reject reason, largest first."""
    reasons = [(k, v, BLUE) for k, v in report.get("dropped_by_reason", {}).items()]
    reasons += [(f"rejected: {k}", v, RED) for k, v in report.get("rejected_by_reason", {}).items()]
    if not reasons:
        return None
    ranked = sorted(reasons, key=lambda r: (-r[1], r[0]))
    top = ranked[:TOP_BARS]
    if len(ranked) > TOP_BARS:
        rest = ranked[TOP_BARS - 1:]
        top = ranked[:TOP_BARS - 1] + [(f"{len(rest)} other reasons", sum(r[1] for r in rest), GREY)]
    whole = (report.get("totals") or {}).get("in", 0)
    return hbars("Documents dropped or rejected, by reason (share of documents read)", [r[0] for r in top],
                 [r[1] for r in top], "documents", texts=[_share(r[1], whole) for r in top],
                 colors=[r[2] for r in top])


def length_histogram(report: dict[str, Any]) -> Figure | None:
    """Length before and after: documents per power-of-two length band, as read and as kept."""
    hist = report.get("length_histogram") or {}
    before, after = hist.get("input") or {}, hist.get("kept") or {}
    if not before:
        return None
    present = {int(b) for b in [*before, *after]}
    bins = list(range(min(present), max(present) + 1))  # empty bands shown as gaps, not closed up
    fig = Figure(figsize=(10, 3.4))
    ax = fig.add_subplot()
    width = 0.4
    for offset, name, counts, color in ((-width / 2, "as read", before, GREY), (width / 2, "kept", after, GREEN)):
        values = [counts.get(str(b), 0) for b in bins]
        bars = ax.bar([i + offset for i in range(len(bins))], values, width, label=name, color=color)
        ax.bar_label(bars, labels=[f"{v:,}" if v else "" for v in values], padding=2, fontsize=7)
    ax.set_xticks(range(len(bins)), [f"{short_count(2 ** b)}–{short_count(2 ** (b + 1))}" for b in bins],
                  rotation=45 if len(bins) > 8 else 0, ha="right" if len(bins) > 8 else "center", fontsize=8)
    _count_axis(ax.yaxis)
    ax.set_ylim(0, max([*before.values(), *after.values(), 1]) * 1.15)
    ax.set_xlabel("characters per document")
    ax.set_ylabel("documents")
    ax.set_title("Documents per length band, as read and as kept", loc="left")
    ax.legend(frameon=False)
    _plain(ax)
    return fig


def tokens_by_source(report: dict[str, Any]) -> Figure | None:
    """Which source gives the tokens: tokens packed per source, with its share."""
    by_source = (report.get("output") or {}).get("tokens_by_source") or {}
    if not by_source:
        return None
    items = sorted(by_source.items(), key=lambda kv: -kv[1])
    whole = sum(by_source.values())
    return hbars("Tokens packed, by source (share of all tokens packed)", [k for k, _ in items],
                 [v for _, v in items], "tokens", texts=[_share(v, whole) for _, v in items])


def cluster_name(cluster: dict[str, Any]) -> str | None:
    """A name a reader knows for a duplicate cluster: its surviving document's title or URL, if the report has it."""
    for key in ("survivor_title", "title", "survivor_url", "url"):
        if cluster.get(key):
            return str(cluster[key])
    return None


def dedup_clusters(report: dict[str, Any]) -> Figure | None:
    """The largest duplicate clusters, named by a document's title or URL; None when the report has no names."""
    named = [(f"{_short(name, LABEL_CHARS - 10)} ({method})", int(c["size"]))
             for stage in report.get("stages", []) for method, found in (stage.get("stats") or {}).items()
             if isinstance(found, dict) for c in found.get("largest", []) if (name := cluster_name(c))]
    if not named:
        return None
    top = sorted(named, key=lambda kv: (-kv[1], kv[0]))[:15]
    return hbars("Largest duplicate clusters (documents per cluster, named by the copy kept)",
                 [k for k, _ in top], [v for _, v in top], "documents")


def finetune_tokens(report: dict[str, Any]) -> Figure | None:
    """Tokens per finetuning example before fitting to max_seq_len, with the limit marked."""
    hist = (report.get("finetune") or {}).get("token_histogram")
    if not hist or not hist.get("counts"):
        return None
    lows = sorted(int(k) for k in hist["counts"])
    values = [hist["counts"][str(k)] for k in lows]
    width = hist.get("bin_width") or (lows[1] - lows[0] if len(lows) > 1 else 1)
    fig = Figure(figsize=(10, 3.4))
    ax = fig.add_subplot()
    bars = ax.bar(lows, values, width=width * 0.9, align="edge", color=BLUE)
    ax.bar_label(bars, labels=[f"{v:,}" if v else "" for v in values], padding=2, fontsize=7)
    if hist.get("max_seq_len"):
        ax.axvline(hist["max_seq_len"], color=RED, linestyle="--", label=f"max_seq_len {hist['max_seq_len']:,}")
        ax.legend(frameon=False)
    _count_axis(ax.xaxis)
    _count_axis(ax.yaxis)
    ax.set_ylim(0, max(values) * 1.15)
    ax.set_xlabel("tokens per example")
    ax.set_ylabel("examples")
    ax.set_title("Examples per length band (tokens before fitting to max_seq_len)", loc="left")
    _plain(ax)
    return fig


#: Plot name -> builder, in page order.
PLOTS = {"funnel": funnel, "drops_by_reason": drops_by_reason, "length_histogram": length_histogram,
         "tokens_by_source": tokens_by_source, "dedup_clusters": dedup_clusters, "finetune_tokens": finetune_tokens}
