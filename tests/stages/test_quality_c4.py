"""C4QualityFilter: line rules, one crafted page per reason code, bad words from a local file, Spark."""

from __future__ import annotations

import pytest

from byod.columns import DROP_REASON, TEXT
from byod.stages.quality.c4 import (
    C4_BAD_WORDS,
    C4_CURLY_BRACKET,
    C4_LOREM_IPSUM,
    C4_TOO_FEW_SENTENCES,
    C4QualityFilter,
)

GOOD = "\n".join(f"This is sentence number {i} of a good page." for i in range(6))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (GOOD + "\nLorem ipsum dolor sit amet, consectetur.", C4_LOREM_IPSUM),
        (GOOD + "\nThe code is int main() { return 0; }.", C4_CURLY_BRACKET),
        ("Only two lines here. Two sentences.\nAnd one more line.", C4_TOO_FEW_SENTENCES),
        (GOOD, None),
    ],
)
def test_reason_codes(text: str, code: str | None) -> None:
    assert C4QualityFilter().edit(text)[1] == code


def test_line_rules_clean_the_text() -> None:
    page = "\n".join([
        "Home | About | Contact",
        "Please enable JavaScript to view this page.",
        "This site uses cookies to improve your visit.",
        "Too short.",
        "A line that ends with an ellipsis goes...",
        "A citation marker[1] is removed here.[edit]",
        "x" * 1001 + " is a long word in a line.",
        GOOD,
    ])
    cleaned, reason = C4QualityFilter().edit(page)
    assert reason is None
    assert cleaned == "A citation marker is removed here.\n" + GOOD


def test_rules_can_be_turned_off() -> None:
    assert C4QualityFilter(filter_no_terminal_punct=False).edit("Home | About | Contact\n" + GOOD)[0].startswith("Home")
    assert C4QualityFilter(min_sentences=None).edit("short")[1] is None


def test_bad_words_from_local_file(tmp_path) -> None:
    words = tmp_path / "bad.txt"
    words.write_text("Grumbleflax\n\n", encoding="utf-8")
    stage = C4QualityFilter(bad_words_path=str(words))
    assert stage.edit(GOOD + "\nA grumbleflax appears in this line.")[1] == C4_BAD_WORDS
    assert stage.edit(GOOD + "\nThe grumbleflaxes are fine here.")[1] is None
    assert C4QualityFilter().edit(GOOD + "\nA grumbleflax appears in this line.")[1] is None  # rule off by default
    with pytest.raises(ValueError, match="bad_words_path"):
        C4QualityFilter(bad_words_path=str(tmp_path / "missing.txt"))


@pytest.mark.parametrize("text", ["", "  \n ", "!!!", "a" * 10_000_000, "日本語。" * 100, "nospaces" * 1000])
def test_bad_input(text: str) -> None:
    assert C4QualityFilter().edit(text)[1] == C4_TOO_FEW_SENTENCES


def test_spark_replaces_text_of_kept_rows_only(spark, tmp_path) -> None:
    words = tmp_path / "bad.txt"
    words.write_text("grumbleflax\n", encoding="utf-8")
    page = "Navigation menu\n" + GOOD
    df = spark.createDataFrame(
        [("1", page), ("2", "short"), ("3", GOOD + "\nA grumbleflax is in this line.")], ["id", TEXT]
    )
    rows = {r["id"]: r for r in df.transform(C4QualityFilter(keep_all=True, bad_words_path=str(words))).collect()}
    assert (rows["1"][TEXT], rows["1"][DROP_REASON]) == (GOOD, None)
    assert (rows["2"][TEXT], rows["2"][DROP_REASON]) == ("short", C4_TOO_FEW_SENTENCES)
    assert rows["3"][DROP_REASON] == C4_BAD_WORDS
