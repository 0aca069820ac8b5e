"""GopherQualityFilter and GopherRepetitionFilter: one crafted text per reason code, bad input, Spark."""

from __future__ import annotations

import pytest

from byod.columns import DROP_REASON, TEXT
from byod.stages.quality.gopher import (
    GOPHER_ABOVE_AVG_THRESHOLD,
    GOPHER_BELOW_ALPHA_THRESHOLD,
    GOPHER_BELOW_AVG_THRESHOLD,
    GOPHER_DUP_LINE_CHAR_FRAC,
    GOPHER_DUP_LINE_FRAC,
    GOPHER_DUP_PARA_CHAR_FRAC,
    GOPHER_DUP_PARA_FRAC,
    GOPHER_DUPLICATED_NGRAMS,
    GOPHER_FEW_STOP_WORDS,
    GOPHER_LONG_DOC,
    GOPHER_SHORT_DOC,
    GOPHER_TOO_MANY_BULLETS,
    GOPHER_TOO_MANY_ELLIPSIS,
    GOPHER_TOO_MANY_END_ELLIPSIS,
    GOPHER_TOO_MANY_HASHES,
    GOPHER_TOP_NGRAM,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

PROSE = (
    "The history of the river valley is long and varied. Farmers settled along the banks and built small "
    "villages with stone walls. Over the centuries, trade routes connected the valley to distant markets, "
    "and merchants brought new ideas, tools and crops. Today the region is known for its orchards, its "
    "quiet roads and the old mill that still stands near the bridge. Visitors come to walk the trails and "
    "to learn about the people who shaped the land."
)
BAD_INPUT = ["", "   \n\t ", "!!! ... ???", "a" * 10_000_000, "日本語のテキストです。" * 50, "no_spaces_at_all" * 1000]


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("few words only.", GOPHER_SHORT_DOC, {}),
        (PROSE, GOPHER_LONG_DOC, {"max_words": 20}),
        ("a an I to be " * 20, GOPHER_BELOW_AVG_THRESHOLD, {}),
        (("internationalization " * 60) + "the and", GOPHER_ABOVE_AVG_THRESHOLD, {}),
        (PROSE + " #tag" * 20, GOPHER_TOO_MANY_HASHES, {}),
        (PROSE + " wait..." * 20, GOPHER_TOO_MANY_ELLIPSIS, {}),
        ("\n".join("- " + line for line in PROSE.split(". ")), GOPHER_TOO_MANY_BULLETS, {}),
        ("\n".join(line + " and so on…" for line in PROSE.split(". ")), GOPHER_TOO_MANY_END_ELLIPSIS, {}),
        (PROSE + " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23", GOPHER_BELOW_ALPHA_THRESHOLD, {}),
        (PROSE, GOPHER_FEW_STOP_WORDS, {"stop_words": ("zebra", "quokka", "the")}),
        (PROSE, None, {}),
    ],
)
def test_quality_reason_codes(text: str, code: str | None, params: dict) -> None:
    assert GopherQualityFilter(**params).reason(text) == code


PARAS = [f"Paragraph number {w} talks about its own topic in a few plain words." for w in "abcdefghij"]


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("\n\n".join(PARAS[:3] + [PARAS[0]] * 3), GOPHER_DUP_PARA_FRAC, {}),
        ("\n\n".join(PARAS[:6] + [" ".join(PARAS[6:])] * 2), GOPHER_DUP_PARA_CHAR_FRAC, {}),
        ("\n".join(PARAS[:3] + [PARAS[0]] * 3), GOPHER_DUP_LINE_FRAC, {}),
        ("\n".join(PARAS[:6] + [PARAS[1]] * 2), GOPHER_DUP_LINE_CHAR_FRAC, {}),
        (PROSE + " go on" * 40, GOPHER_TOP_NGRAM, {}),
        (PROSE + " " + PROSE[:150], GOPHER_DUPLICATED_NGRAMS, {}),
        (PROSE, None, {}),
    ],
)
def test_repetition_reason_codes(text: str, code: str | None, params: dict) -> None:
    assert GopherRepetitionFilter(**params).reason(text) == code


@pytest.mark.parametrize("text", BAD_INPUT)
def test_bad_input_gets_a_definite_decision(text: str) -> None:
    for stage in (GopherQualityFilter(), GopherRepetitionFilter()):
        assert stage.reason(text) is None or stage.reason(text).startswith("gopher.")


def test_validation() -> None:
    with pytest.raises(ValueError, match="min_alpha_words_ratio"):
        GopherQualityFilter(min_alpha_words_ratio=1.5)
    with pytest.raises(ValueError, match="pairs"):
        GopherRepetitionFilter(max_top_ngram_chars_ratios=((0, 0.2),))


def test_spark_keep_all_annotates_and_alone_drops(spark) -> None:
    df = spark.createDataFrame([("1", PROSE), ("2", "too short"), ("3", "")], ["id", TEXT])
    annotated = {r["id"]: r[DROP_REASON] for r in df.transform(GopherQualityFilter(keep_all=True)).collect()}
    assert annotated == {"1": None, "2": GOPHER_SHORT_DOC, "3": GOPHER_SHORT_DOC}
    kept = df.transform(GopherQualityFilter()).transform(GopherRepetitionFilter())
    assert [r["id"] for r in kept.collect()] == ["1"]
    assert kept.columns == ["id", TEXT]
