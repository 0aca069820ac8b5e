"""byod/progress.py: the live status line of a step (drawn from Spark's status tracker on a real local
session, off when not a terminal), and the final summary (packing remainder, sources lost to one reason).
"""

from __future__ import annotations

import io
import logging
import re
import time

import pandas as pd
import pytest
from pyspark.sql import functions as F

from byod.progress import StepStatus, heavy_losses, progress_enabled, progress_step, summary_text


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal, as sys.stderr does in an interactive shell."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _interactive_shell(monkeypatch):
    """Each test starts as an interactive shell would: CI runners set ``CI``, which turns the line off."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BYOD_PROGRESS", raising=False)


def _slow_job(spark, partitions: int = 4, seconds: float = 0.6) -> int:
    """A real Spark job of ``partitions`` tasks, each taking about ``seconds``."""

    @F.pandas_udf("long")
    def slow(ids: pd.Series) -> pd.Series:
        time.sleep(seconds)
        return ids

    frame = spark.range(0, 400, numPartitions=partitions).select(slow("id").alias("id"))
    return frame.agg(F.sum("id")).collect()[0][0]


def test_status_text_shows_tasks_documents_and_time():
    line = StepStatus("step 0: C4QualityFilter", 12.4, tasks_done=3, tasks_total=8, total_documents=3200).text()
    assert line == "step 0: C4QualityFilter  tasks 3/8  ~1,200/3,200 documents  12 s"
    assert StepStatus("write", 65.0).text() == "write  65 s"


def test_progress_step_draws_spark_tasks_done_and_total_while_the_job_runs(spark):
    stream = _Terminal()
    with progress_step(spark, "step 7: SlowStage", total_documents=400, stream=stream, interval=0.2):
        # four waves of 1.5 s tasks on local[2]: the first waves' completions reach the status tracker well
        # before the last ends, even when a long session's listener bus lags (two waves once showed none)
        assert _slow_job(spark, partitions=8, seconds=1.5) == sum(range(400))
    drawn = [part for part in stream.getvalue().split("\r\x1b[2K") if part]
    assert drawn, "nothing was drawn during a multi-second step"
    assert all(part.startswith("step 7: SlowStage  ") for part in drawn), drawn
    seen = [tuple(int(n.replace(",", "")) for n in found.groups()) for part in drawn
            if (found := re.search(r"tasks (\d+)/(\d+)  ~([\d,]+)/400 documents", part))]
    assert seen and all(docs == round(400 * done / total) for done, total, docs in seen), drawn
    assert any(total >= 4 and done < total for done, total, _ in seen), f"no running 4-task stage seen: {drawn}"
    assert len({done for done, _, _ in seen}) >= 2, f"the task count never moved: {drawn}"
    assert stream.getvalue().endswith("\r\x1b[2K"), "the status line is wiped when the step ends"


def test_progress_is_off_outside_a_terminal_and_in_ci(spark, monkeypatch):
    monkeypatch.delenv("BYOD_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    plain = io.StringIO()
    with progress_step(spark, "step 0", stream=plain, interval=0.1):
        time.sleep(0.4)
    assert plain.getvalue() == ""
    assert progress_enabled(_Terminal()) is True
    monkeypatch.setenv("CI", "true")
    assert progress_enabled(_Terminal()) is False
    monkeypatch.setenv("BYOD_PROGRESS", "1")
    assert progress_enabled(io.StringIO()) is True


def test_a_log_record_wipes_the_status_line_first(spark):
    stream = _Terminal()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with progress_step(spark, "step 1", stream=stream, interval=0.1):
            time.sleep(0.35)
            logging.getLogger("byod.test").warning("a log line")
    finally:
        root.removeHandler(handler)
    before, _, _ = stream.getvalue().partition("a log line")
    assert before.endswith("\r\x1b[2K"), repr(before[-60:])
    assert handler.filters == [], "the filter is removed with the step"


REPORT = {
    "run": {"job": "c4_arxiv", "wall_seconds": 52.3, "config": {"output": "/o", "tokenize": {"max_seq_len": 2048}}},
    "totals": {"in": 1050, "kept": 29, "dropped": 1019, "rejected": 2},
    "dropped_by_reason": {"ft.chat_template_error": 1000, "c4.too_few_sentences": 19},
    "rejected_by_reason": {"jsonl.bad_json": 2},
    "sources": {
        "chats": {"in": 1000, "kept": 0, "dropped": 1000, "rejected": 0,
                  "dropped_by_reason": {"ft.chat_template_error": 1000}, "rejected_by_reason": {}},
        "c4": {"in": 50, "kept": 29, "dropped": 19, "rejected": 2,
               "dropped_by_reason": {"c4.too_few_sentences": 19}, "rejected_by_reason": {"jsonl.bad_json": 2}},
    },
    "output": {"tokens": 2048, "samples": 1,
               "packing": {"tokens_in": 3627, "remainder_tokens_dropped": 1579, "remainder_docs_affected": 11}},
}


def test_summary_names_packing_remainder_and_sources_lost_to_one_reason():
    text = summary_text(REPORT)
    assert ("packing remainder: 1,579 of 3,627 tokens (43.5%) dropped as the unfilled last sample of 2,048 tokens"
            in text)
    assert "warning: source 'chats' lost 1,000 of 1,000 documents (100%) to ft.chat_template_error" in text
    assert "source 'c4'" not in text
    assert heavy_losses(REPORT, share=0.3) == [("chats", "ft.chat_template_error", 1000, 1000),
                                               ("c4", "c4.too_few_sentences", 19, 50)]


@pytest.mark.parametrize("output", [{}, {"tokens": 0, "samples": 0, "packing": None}])
def test_summary_without_packing_says_nothing_about_it(output):
    assert "packing" not in summary_text({**REPORT, "output": output})
