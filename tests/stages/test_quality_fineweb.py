"""FineWebQualityFilter: one crafted text per reason code, bad input, Spark."""

from __future__ import annotations

import pytest

from byod.columns import DROP_REASON, TEXT
from byod.stages.quality.fineweb import (
    FINEWEB_CHAR_DUP_RATIO,
    FINEWEB_EMPTY,
    FINEWEB_LINE_PUNCT_RATIO,
    FINEWEB_LIST_RATIO,
    FINEWEB_SHORT_LINE_RATIO,
    FineWebQualityFilter,
)

LINES = [f"Line {i} of this document is a complete sentence with enough words." for i in range(10)]


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("  \n \n", FINEWEB_EMPTY, {}),
        ("\n".join(line.rstrip(".") for line in LINES), FINEWEB_LINE_PUNCT_RATIO, {}),
        ("\n".join(["Short one."] * 3 + [f"Item {i}." for i in range(5)] + LINES[:2]), FINEWEB_SHORT_LINE_RATIO, {}),
        ("\n".join(LINES + LINES[:1]), FINEWEB_CHAR_DUP_RATIO, {}),
        ("\n".join(f"Point {i} is this.\n" for i in range(20)), FINEWEB_LIST_RATIO, {"max_short_lines_ratio": None}),
        ("\n".join(LINES), None, {}),
        ("\n".join(line.rstrip(".") for line in LINES), None, {"exclude_zero_punct_lines": True}),
    ],
)
def test_reason_codes(text: str, code: str | None, params: dict) -> None:
    assert FineWebQualityFilter(**params).reason(text) == code


@pytest.mark.parametrize("text", ["", "!!!", "a" * 10_000_000, "日本語。" * 100, "nospaces" * 1000])
def test_bad_input(text: str) -> None:
    reason = FineWebQualityFilter().reason(text)
    assert reason is None or reason.startswith("fineweb.")


def test_spark(spark) -> None:
    df = spark.createDataFrame([("1", "\n".join(LINES)), ("2", "")], ["id", TEXT])
    rows = {r["id"]: r[DROP_REASON] for r in df.transform(FineWebQualityFilter(keep_all=True)).collect()}
    assert rows == {"1": None, "2": FINEWEB_EMPTY}
