"""Normalize: each clean-up step, the empty-document reason, bad input, Spark (text rewritten, live rows only)."""

from __future__ import annotations

import pytest

from byod.columns import DROP_REASON, TEXT
from byod.stages.normalize import NORMALIZE_EMPTY, Normalize, repair_mojibake


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("cafÃ© â€™quotedâ€™", "café ’quoted’"),
        ("für créée éé", "für créée éé"),
        ("a\r\nb\rc\u2028d\x0ce", "a\nb\nc\nd\ne"),
        ("ze\u200bro\ufeff wi\u00addth", "zero width"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("cafe\u0301", "café"),
        ("a\u00a0b   c \t\n    indented", "a b c\n    indented"),
        ("one\n\n\n\n\ntwo", "one\n\ntwo"),
        ("  \n text \n  ", "text"),
    ],
)
def test_normalize_steps(raw: str, clean: str) -> None:
    assert Normalize().normalize(raw) == clean


def test_steps_can_be_turned_off() -> None:
    assert Normalize(max_blank_lines=None).normalize("a\n\n\n\nb") == "a\n\n\n\nb"
    assert Normalize(fix_mojibake=False).normalize("cafÃ©") == "cafÃ©"
    assert Normalize(unicode_form="NFKC").normalize("ﬁ") == "fi"
    assert repair_mojibake("plain ascii") == "plain ascii"
    with pytest.raises(ValueError, match="unicode_form"):
        Normalize(unicode_form="NFX")


@pytest.mark.parametrize(("text", "code"), [("", NORMALIZE_EMPTY), (" \n\t\u200b ", NORMALIZE_EMPTY), ("!!!", None),
                                            ("a" * 10_000_000, None), ("日本語", None)])
def test_bad_input(text: str, code: str | None) -> None:
    assert Normalize().edit(text)[1] == code


def test_spark_rewrites_live_rows_and_flags_empties(spark) -> None:
    df = spark.createDataFrame(
        [("1", "a\r\nb  c", None), ("2", " \u200b ", None), ("3", "x\r\ny", "earlier.reason")],
        ["id", TEXT, DROP_REASON],
    )
    rows = {r["id"]: r for r in df.transform(Normalize(keep_all=True)).collect()}
    assert (rows["1"][TEXT], rows["1"][DROP_REASON]) == ("a\nb c", None)
    assert rows["2"][DROP_REASON] == NORMALIZE_EMPTY
    assert (rows["3"][TEXT], rows["3"][DROP_REASON]) == ("x\r\ny", "earlier.reason")
