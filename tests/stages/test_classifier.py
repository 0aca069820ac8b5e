"""FastTextClassifierFilter with a tiny fastText model trained here on real text: web pages vs LaTeX sources.

The model learns ``__label__web`` (paragraphs of ../shared/corpora/web_public) against ``__label__latex``
(paragraphs of latex_public) from the even-numbered documents; tests score the odd-numbered ones.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest

from byod.columns import DROP_REASON, DROP_STAGE, ID, REJECT_REASON, SOURCE, TEXT
from byod.errors import ConfigError, SchemaError
from byod.pipeline import Pipeline
from byod.stages.classifier import (
    CLASSIFIER_ABOVE_THRESHOLD,
    CLASSIFIER_BELOW_THRESHOLD,
    CLASSIFIER_SCORE,
    FastTextClassifierFilter,
)

PROSE = ("To install the program, run the command below from a terminal. The server reads its settings from the "
         "configuration file at start-up; restart it after you change them.")
LATEX = ("\\begin{equation}\\label{eq:loss} \\mathcal{L} = \\sum_{i=1}^{n} \\frac{1}{2}\\left(y_i - \\hat{y}_i"
         "\\right)^2 \\end{equation} \\cite{rae2021} \\textbf{Theorem} \\ref{thm:main} \\usepackage{amsmath}")


def _documents(corpora: Path, name: str) -> list[str]:
    with gzip.open(corpora / name, "rt", encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def _paragraphs(text: str, most: int) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if len(p.split()) >= 8][:most]


@pytest.fixture(scope="module")
def held_out(corpora: Path) -> dict[str, list[str]]:
    """Documents the model never saw: the odd-numbered ones of each corpus."""
    return {"web": _documents(corpora, "web_public.jsonl.gz")[1::2],
            "latex": _documents(corpora, "latex_public.jsonl.gz")[1::2]}


#: Trains a model in a fresh interpreter, so nothing a test session loaded can touch fastText's training.
TRAIN = """
import json, sys
import fasttext
fasttext.train_supervised(input=sys.argv[1], **json.loads(sys.argv[3])).save_model(sys.argv[2])
"""


def _train(data: Path, model: Path, **params) -> None:
    done = subprocess.run([sys.executable, "-c", TRAIN, str(data), str(model), json.dumps(params)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and model.is_file(), done.stderr[-2000:]


#: One parameter set for every model the tests train. fastText 0.9.2 (this wheel) diverges ("Encountered
#: NaN") on some small-dimension / tiny-vocabulary settings even in a fresh interpreter (measured: a 40-line
#: "a b c" file failed 30 of 30 runs at dim 100, 6 of 30 at dim 4), and never did with this set on this file.
TRAIN_PARAMS = {"dim": 16, "epoch": 20, "lr": 0.5, "minn": 2, "maxn": 4, "bucket": 20_000, "minCount": 1,
                "thread": 1, "seed": 0, "verbose": 0}


@pytest.fixture(scope="module")
def training_lines(corpora: Path) -> list[str]:
    """~400 labelled paragraphs: the even-numbered documents of each corpus."""
    lines = [f"__label__web {p}" for d in _documents(corpora, "web_public.jsonl.gz")[::2] for p in _paragraphs(d, 2)]
    lines += [f"__label__latex {p}" for d in _documents(corpora, "latex_public.jsonl.gz")[::2]
              for p in _paragraphs(d, 25)]
    random.Random(0).shuffle(lines)
    return lines


def _model(lines: list[str], folder: Path, name: str) -> str:
    (folder / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = folder / f"{name}.bin"
    # Character 2-4-grams: LaTeX words (\section{...}) are mostly unique, their pieces are not.
    _train(folder / f"{name}.txt", model, **TRAIN_PARAMS)
    return str(model)


@pytest.fixture(scope="module")
def model_path(training_lines: list[str], tmp_path_factory) -> str:
    """A 3 MB supervised model (~400 lines, 1 s, one thread, fixed seed: the same model every run)."""
    return _model(training_lines, tmp_path_factory.mktemp("fasttext"), "web_vs_latex")


@pytest.fixture(scope="module")
def relabelled_model_path(training_lines: list[str], tmp_path_factory) -> str:
    """The same data and parameters with other label names (prose/code): a different model file."""
    lines = [line.replace("__label__web ", "__label__prose ", 1).replace("__label__latex ", "__label__code ", 1)
             for line in training_lines]
    return _model(lines, tmp_path_factory.mktemp("fasttext_relabelled"), "prose_vs_code")


def _frame(spark, rows):
    return spark.createDataFrame(rows, f"{ID} string, {TEXT} string, {SOURCE} string, "
                                       f"{REJECT_REASON} string, {DROP_REASON} string")


@pytest.mark.parametrize(("keep_if", "text", "code"), [
    ("above", PROSE, None),
    ("above", LATEX, CLASSIFIER_BELOW_THRESHOLD),
    ("below", PROSE, CLASSIFIER_ABOVE_THRESHOLD),
    ("below", LATEX, None),
])
def test_reason_codes(model_path: str, keep_if: str, text: str, code: str | None) -> None:
    stage = FastTextClassifierFilter(model_path=model_path, label="web", threshold=0.5, keep_if=keep_if)
    reason, score = stage.measure(text)
    assert reason == code == stage.reason(text)
    assert 0.0 <= score <= 1.0


def test_held_out_documents_go_the_expected_way(model_path: str, held_out: dict[str, list[str]]) -> None:
    stage = FastTextClassifierFilter(model_path=model_path, label="__label__web", threshold=0.5)
    web = [stage.measure(t) for t in held_out["web"]]  # whole pages, newlines and all
    latex = [stage.measure(t) for t in held_out["latex"]]
    assert sum(reason is None for reason, _ in web) / len(web) >= 0.9
    assert [reason for reason, _ in latex] == [CLASSIFIER_BELOW_THRESHOLD] * len(latex)
    assert all(0.0 <= score <= 1.0 for _, score in web + latex)


def test_label_with_or_without_prefix_and_threshold_edges(model_path: str) -> None:
    bare = FastTextClassifierFilter(model_path=model_path, label="latex")
    prefixed = FastTextClassifierFilter(model_path=model_path, label="__label__latex")
    web = FastTextClassifierFilter(model_path=model_path, label="web")
    assert bare.score(LATEX) == prefixed.score(LATEX) > 0.5
    assert bare.score(PROSE) == pytest.approx(1 - web.score(PROSE), abs=1e-4)  # two labels: they sum to one
    assert FastTextClassifierFilter(model_path=model_path, label="web", threshold=0).reason(LATEX) is None
    assert FastTextClassifierFilter(model_path=model_path, label="web", threshold=1).reason(PROSE) is not None


def test_spark_keeps_the_score_column(spark, model_path: str, held_out: dict[str, list[str]]) -> None:
    rows = [(f"w{i}", t, "web", None, None) for i, t in enumerate(held_out["web"][:20])]
    rows += [(f"l{i}", t, "web", None, None) for i, t in enumerate(held_out["latex"])]
    rows += [("gone", LATEX, "web", None, "gopher.short_doc"), ("bad", None, "web", "jsonl.bad_json", None)]
    df = _frame(spark, rows)
    stage = FastTextClassifierFilter(model_path=model_path, label="web", keep_all=True)
    annotated = {r[ID]: r for r in df.transform(stage).collect()}
    for i in range(len(held_out["latex"])):
        assert annotated[f"l{i}"][DROP_REASON] == CLASSIFIER_BELOW_THRESHOLD
    scored = [r[CLASSIFIER_SCORE] for k, r in annotated.items() if k not in ("gone", "bad")]
    assert all(0.0 <= s <= 1.0 for s in scored) and len(scored) == 20 + len(held_out["latex"])
    assert annotated["gone"][DROP_REASON] == "gopher.short_doc" and annotated["gone"][CLASSIFIER_SCORE] is None
    assert annotated["bad"][CLASSIFIER_SCORE] is None
    kept = df.filter(f"{REJECT_REASON} is null and {DROP_REASON} is null").transform(
        FastTextClassifierFilter(model_path=model_path, label="web"))
    assert CLASSIFIER_SCORE in kept.columns and DROP_REASON not in kept.columns
    kept_ids = {r[ID] for r in kept.collect()}
    assert not any(i.startswith("l") for i in kept_ids) and len(kept_ids) >= 18
    with pytest.raises(SchemaError, match=CLASSIFIER_SCORE):
        kept.transform(FastTextClassifierFilter(model_path=model_path, label="web"))


def test_in_a_pipeline_with_sources_and_a_named_score(spark, tmp_path, model_path: str) -> None:
    df = _frame(spark, [("a", PROSE, "web", None, None), ("b", LATEX, "web", None, None),
                        ("c", LATEX, "arxiv", None, None), ("d", "{", "web", "jsonl.bad_json", None)])
    stage = FastTextClassifierFilter(model_path=model_path, label="web", sources=["web"], score_column="web_score")
    annotated = {r[ID]: r for r in Pipeline([stage]).annotate(df).collect()}
    assert (annotated["b"][DROP_REASON], annotated["b"][DROP_STAGE]) == (CLASSIFIER_BELOW_THRESHOLD,
                                                                       "FastTextClassifierFilter[web_score]")
    assert annotated["a"][DROP_REASON] is None and annotated["a"]["web_score"] > 0.5
    assert annotated["c"][DROP_REASON] is None and annotated["c"]["web_score"] is None  # another source
    assert sorted(r[ID] for r in Pipeline([stage])(df).collect()) == ["a", "c"]
    counts = Pipeline([stage]).run(df, work_dir=str(tmp_path / "work")).counts
    assert counts["totals"] == {"in": 4, "kept": 2, "dropped": 1, "rejected": 1}
    assert counts["dropped_by_reason"] == {CLASSIFIER_BELOW_THRESHOLD: 1}


def test_two_classifiers_in_one_pipeline(spark, tmp_path, model_path: str, relabelled_model_path: str) -> None:
    """A quality and a second classifier side by side: each named and scored by its own column."""
    df = _frame(spark, [("a", PROSE, "web", None, None), ("b", LATEX, "web", None, None)])
    web = FastTextClassifierFilter(model_path=model_path, label="web", score_column="web_score")
    code = FastTextClassifierFilter(model_path=relabelled_model_path, label="code", keep_if="below",
                                    score_column="code_score")
    result = Pipeline([web, code]).run(df, work_dir=str(tmp_path / "work"))
    rows = {r[ID]: r for r in result.annotated.collect()}
    assert rows["a"]["web_score"] > 0.5 and rows["a"]["code_score"] < 0.5 and rows["a"][DROP_REASON] is None
    assert rows["b"][DROP_STAGE] == "FastTextClassifierFilter[web_score]" and rows["b"]["code_score"] is None
    assert [s["name"] for s in result.counts["stages"]] == ["FastTextClassifierFilter[web_score]",
                                                            "FastTextClassifierFilter[code_score]"]
    with pytest.raises(ValueError, match="FastTextClassifierFilter appear.*score_column"):
        Pipeline([FastTextClassifierFilter(model_path=model_path, label="web"),
                  FastTextClassifierFilter(model_path=relabelled_model_path, label="code")])


def test_model_from_an_fsspec_url_and_a_replaced_file(model_path: str, relabelled_model_path: str,
                                                       tmp_path: Path) -> None:
    with open(model_path, "rb") as src, fsspec.open("memory://byod-tests/web_vs_latex.bin", "wb") as dst:
        dst.write(src.read())
    remote = FastTextClassifierFilter(model_path="memory://byod-tests/web_vs_latex.bin", label="web")
    assert remote.score(LATEX) == FastTextClassifierFilter(model_path=model_path, label="web").score(LATEX)
    # The same path holding another model (other labels) is loaded again, not served from the cache.
    copy = tmp_path / "model.bin"
    shutil.copy(model_path, copy)
    assert FastTextClassifierFilter(model_path=str(copy), label="web").reason(PROSE) is None
    shutil.copy(relabelled_model_path, copy)
    os.utime(copy, ns=(1, 1))  # a different stamp even on a coarse-clock filesystem
    assert FastTextClassifierFilter(model_path=str(copy), label="prose").score(PROSE) > 0.5
    with pytest.raises(ConfigError, match="'web' is not in model"):
        FastTextClassifierFilter(model_path=str(copy), label="web")


@pytest.mark.parametrize(("params", "message"), [
    ({"model_path": "/nonexistent/model.bin"}, "not a readable file"),
    ({"label": "hq"}, r"label 'hq' is not in model .*; its labels: __label__"),
    ({"label": ""}, "label must name"),
    ({"threshold": 1.5}, r"threshold must be a probability in \[0, 1\], got 1.5"),
    ({"threshold": -0.1}, "threshold must be"),
    ({"threshold": True}, "threshold must be"),
    ({"keep_if": "over"}, "keep_if must be one of"),
    ({"score_column": ""}, "score_column"),
])
def test_bad_input_is_one_line_before_spark(model_path: str, params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        FastTextClassifierFilter(**{"model_path": model_path, "label": "web", **params})
    assert "\n" not in str(error.value)


def test_a_file_that_is_not_a_fasttext_model(tmp_path: Path) -> None:
    fake = tmp_path / "model.bin"
    fake.write_bytes(b"not a model at all" * 10)
    with pytest.raises(ConfigError, match="is not a fastText model") as error:
        FastTextClassifierFilter(model_path=str(fake), label="web")
    assert "\n" not in str(error.value)
