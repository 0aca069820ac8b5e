"""The pure helpers of byod.stages.quality.text: spaCy-like words, sentences, duplicate counts."""

from __future__ import annotations

import pytest

from byod.stages.quality.text import (
    count_sentences,
    duplicate_ngram_chars,
    find_duplicates,
    split_words,
    top_ngram_chars,
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, world.", ["Hello", ",", "world", "."]),
        ("I don't know.", ["I", "do", "n't", "know", "."]),
        ("We cannot go", ["We", "can", "not", "go"]),
        ("See e.g. this", ["See", "e.g.", "this"]),
        ("well-known fact", ["well", "-", "known", "fact"]),
        ("call foo(): now", ["call", "foo", "(", "):", "now"]),
        ("visit https://example.org/a?b=1.", ["visit", "https://example.org/a?b=1", "."]),
        ("wait... what", ["wait", "...", "what"]),
        ("8K and 3.14", ["8", "K", "and", "3.14"]),
        ("(parenthesised)", ["(", "parenthesised", ")"]),
        ("models.User and John's", ["models", ".", "User", "and", "John", "'s"]),
        ("", []),
    ],
)
def test_split_words_matches_spacy_rules(text: str, words: list[str]) -> None:
    assert split_words(text) == words


@pytest.mark.parametrize(
    ("line", "count"),
    [("One. Two! Three? Four", 4), ("No end here", 1), ("Wait... then more", 1), ("A sentence. (Aside) here.", 2)],
)
def test_count_sentences(line: str, count: int) -> None:
    assert count_sentences(line) == count


def test_duplicate_counts() -> None:
    assert find_duplicates(["a", "bb", "a", "bb", "c"]) == (2, 3)
    words = "a b a b a b".split()
    assert top_ngram_chars(words, 2) == 3 * 3
    assert duplicate_ngram_chars("x y z x y z".split(), 3) == 3
    assert duplicate_ngram_chars(["a"], 5) == 0
