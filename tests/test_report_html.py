"""report.html and its plots (byod/report_html.py, byod/report_plots.py): readable axes, values on bars,
one plot per question, timings, packing remainder, examples of dropped documents, wrapped long values,
and a screenshot in headless Chromium (Debian's `chromium`) when the binary is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from byod import report_plots
from byod.report_html import EXAMPLE_CHARS, render_html, render_report

LONG_TOKEN = "x" * 3000  # one unbreakable word: must wrap, not widen the page


def _report(*, examples: bool = True, named_clusters: bool = True) -> dict:
    """A run's report shaped as byod writes it, at the scale where the old page broke (millions of tokens)."""
    reasons = {f"c4.rule_{i:02d}": 1000 * (25 - i) for i in range(22)}
    dropped = sum(reasons.values())
    stats = {"exact": {"removed": 3, "clusters": 2, "largest": [
        {"cluster": "66488728e69f51237a7068af63c44a5b", "size": 4, "survivor": "188a5cc45b8d46fb",
         "example_ids": ["188a5cc45b8d46fb"]},
        {"cluster": "c30300087d06eac10053253313c4f887", "size": 2, "survivor": "22a59701ea3bb9f4",
         "example_ids": ["22a59701ea3bb9f4"]}]}}
    if named_clusters:
        stats["exact"]["largest"][0]["survivor_url"] = "https://news.example.org/2019/05/a-story"
        stats["exact"]["largest"][1]["survivor_title"] = "Attention is all you need"
    report = {
        "schema_version": 1,
        "run": {"job": "c4_arxiv", "byod_version": "0.1.0", "spark_version": "4.3.0", "python_version": "3.11.7",
                "started_at": "2026-12-01T10:28:00Z", "wall_seconds": 120.0,
                "config": {"output": "/data/out", "tokenize": {"max_seq_len": 2048}, "note": LONG_TOKEN}},
        "totals": {"in": 400_000, "kept": 400_000 - dropped - 15_000, "dropped": dropped, "rejected": 15_000},
        "dropped_by_reason": reasons,
        "rejected_by_reason": {"latex.no_sections": 9_500, "jsonl.bad_json": 5_500},
        "sources": {
            "c4": {"in": 390_000, "kept": 390_000 - dropped - 5_000, "dropped": dropped, "rejected": 5_000,
                   "dropped_by_reason": reasons, "rejected_by_reason": {"jsonl.bad_json": 5_000}},
            "arxiv": {"in": 10_000, "kept": 0, "dropped": 0, "rejected": 10_000,
                      "dropped_by_reason": {},
                      "rejected_by_reason": {"latex.no_sections": 9_500, "jsonl.bad_json": 500}},
        },
        "stages": [{"name": "C4QualityFilter", "in": 385_000, "out": 385_000 - dropped, "dropped": dropped,
                    "dropped_by_reason": reasons, "params": {}, "stats": {}},
                   {"name": "Dedup", "in": 385_000 - dropped, "out": 385_000 - dropped, "dropped": 0,
                    "dropped_by_reason": {}, "params": {}, "stats": stats}],
        "length_histogram": {"input": {"3": 1, "9": 260_000, "10": 140_000}, "kept": {"9": 100_000, "10": 40_000}},
        "timings": [{"step": "step-00-before-Dedup", "stages": ["C4QualityFilter"], "seconds": 54.2},
                    {"step": "write-mds", "stages": ["Tokenize", "WriteMDS"], "seconds": 30.5}],
        "output": {"samples": 1_200, "tokens": 2_457_600, "shards": 3,
                   "packing": {"tokens_in": 3_500_000, "remainder_tokens_dropped": 1_042_400,
                               "remainder_docs_affected": 11},
                   "tokens_by_source": {"c4": 3_500_000}},
    }
    if examples:
        report["examples"] = {"c4.rule_00": [
            {"id": f"id{i}", "origin": f"data/c4/part-0.json.gz:{i + 1}", "text": f"<b>doc {i}</b> " + "word " * 100}
            for i in range(5)], "c4.rule_01": [{"id": "long", "origin": "f:1", "text": LONG_TOKEN}]}
    return report


def _tick_texts(fig, axis: str) -> list[str]:
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    offset = (ax.xaxis if axis == "x" else ax.yaxis).get_offset_text().get_text()
    assert offset == "", f"offset label {offset!r} on the {axis} axis"
    return [t.get_text() for t in ticks if t.get_text()]


def test_count_axes_have_integer_ticks_with_separators_and_no_offset():
    report = _report()
    tokens = _tick_texts(report_plots.tokens_by_source(report), "x")
    assert any("," in t for t in tokens) and all(re.fullmatch(r"[\d,]+", t) for t in tokens), tokens
    small = {"totals": {"in": 3}, "dropped_by_reason": {"a.b": 1, "c.d": 2}, "rejected_by_reason": {}}
    counts = _tick_texts(report_plots.drops_by_reason(small), "x")
    assert counts and all(re.fullmatch(r"\d+", t) for t in counts), counts  # no 0.5 documents
    lengths = _tick_texts(report_plots.length_histogram(report), "y")
    assert "100,000" in lengths or "150,000" in lengths, lengths


def test_every_bar_carries_its_value_and_share():
    report = _report()
    fig = report_plots.funnel(report)
    FigureCanvasAgg(fig).draw()
    labels = [t.get_text() for t in fig.axes[0].texts]
    kept = report["totals"]["kept"]
    assert f"{kept:,} ({kept / report['totals']['in']:.0%})" in labels
    assert labels[0] == "400,000 (100%)"
    drops = report_plots.drops_by_reason(report)
    texts = [t.get_text() for t in drops.axes[0].texts]
    assert len(texts) == report_plots.TOP_BARS and texts[0] == "25,000 (6%)"


def test_dedup_clusters_named_by_url_or_title_else_no_plot():
    fig = report_plots.dedup_clusters(_report())
    FigureCanvasAgg(fig).draw()
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert names[0].startswith("https://news.example.org/2019/05/a-st") and names[0].endswith("(exact)")
    assert names[1] == "Attention is all you need (exact)"
    assert [t.get_text() for t in fig.axes[0].texts] == ["4", "2"]
    assert report_plots.dedup_clusters(_report(named_clusters=False)) is None
    page = render_html(_report(named_clusters=False))
    assert "plot-dedup_clusters" not in page and "66488728e69f" not in page


def test_page_answers_each_question_and_shows_timings_and_packing_remainder():
    report = _report()
    page = render_html(report)
    for name in ("funnel", "drops_by_reason", "length_histogram", "tokens_by_source", "dedup_clusters"):
        assert f"id='plot-{name}'" in page, name
    assert "Where did the documents go?</h2>" in page and "Which rules cost the most?</h2>" in page
    assert "<th>documents in</th><td>400,000</td>" in page
    packing = report["output"]["packing"]
    share = packing["remainder_tokens_dropped"] / packing["tokens_in"]
    assert (f"{packing['remainder_tokens_dropped']:,} of {packing['tokens_in']:,} tokens ({share:.1%})"
            in page.split("<h2>")[0]), "the packing remainder belongs in the summary at the top"
    timings = page.split("How long did each step take?")[1].split("</table>")[0]
    for timing in report["timings"]:
        assert timing["step"] in timings and f"{timing['seconds']:,.1f}" in timings
    other = report["run"]["wall_seconds"] - sum(t["seconds"] for t in report["timings"])
    assert f"{other:,.1f}" in timings
    assert "overflow-wrap:anywhere" in page and "white-space:pre-wrap" in page
    assert "latex.no_sections" in page.split("<h2>")[0] and "95%" in page.split("<h2>")[0]


def test_examples_per_reason_are_escaped_cut_and_absent_without_the_key():
    page = render_html(_report())
    section = page.split("id='examples'")[1].split("<h2>")[0]
    assert section.count("<tr><td><code>id") == 3, "three examples per reason"
    assert "&lt;b&gt;doc 0&lt;/b&gt;" in section and "<b>doc 0" not in section
    assert "data/c4/part-0.json.gz:1" in section
    shown = re.search(r"<div class='text'>(x+)…</div>", section)
    assert shown and len(shown.group(1)) == EXAMPLE_CHARS
    without = render_html(_report(examples=False))
    assert "id='examples'" not in without and "dropped documents look like" not in without


def test_render_report_from_folder_or_file_writes_beside_it(tmp_path):
    (tmp_path / "report.json").write_text(json.dumps(_report()))
    assert render_report(str(tmp_path)) == f"{tmp_path}/report.html"
    (tmp_path / "report.html").unlink()
    assert render_report(str(tmp_path / "report.json")) == f"{tmp_path}/report.html"
    assert "<th>kept</th>" in (tmp_path / "report.html").read_text()


CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and Path(p).exists()), None)
VIEWPORT = 1100


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--window-size={VIEWPORT},2400", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
def test_page_fits_the_window_and_every_plot_loads_in_chromium(tmp_path):
    from PIL import Image

    page = render_html(_report())
    probe = ("<script>window.addEventListener('load', () => { const imgs = [...document.images];"
             "document.title = JSON.stringify({width: document.documentElement.scrollWidth,"
             "images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length}); });</script>")
    (tmp_path / "probe.html").write_text(page.replace("</body>", probe + "</body>"))
    dom = _chromium("--virtual-time-budget=5000", "--dump-dom", (tmp_path / "probe.html").as_uri())
    found = re.search(r"<title>(\{.*?\})</title>", dom.stdout)
    assert found, dom.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["images"] == 5 and measured["loaded"] == 5, measured
    assert measured["width"] <= VIEWPORT, f"the page is {measured['width']} px wide: something does not wrap"

    (tmp_path / "report.html").write_text(page)
    shot = tmp_path / "report.png"
    _chromium(f"--screenshot={shot}", (tmp_path / "report.html").as_uri())
    image = Image.open(shot).convert("L")
    assert image.size == (VIEWPORT, 2400)
    low, high = image.getextrema()
    assert high - low > 200, "the screenshot is blank"
    right_margin = image.crop((VIEWPORT - 30, 0, VIEWPORT, 2400)).getextrema()
    assert right_margin[0] > 200, "something is drawn into the right margin: text runs past the page edge"
