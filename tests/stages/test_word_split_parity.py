"""byod's word split against spaCy's blank English tokenizer, live: its tables, one crafted case per
cause of past differences, and every text of ../shared/corpora."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from byod.stages.quality import words

spacy = pytest.importorskip("spacy")  # a test dependency (pyproject's pinned set); never skipped in CI

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from word_split import corpus_texts  # noqa: E402

MIN_IDENTICAL = 0.995


@pytest.fixture(scope="module")
def spacy_words():
    nlp = spacy.blank("en")

    def split(text: str) -> list[str]:
        return [t.text.strip() for t in nlp.tokenizer(text) if t.text.strip()]

    return split


def test_exception_table_matches_spacy() -> None:
    from spacy.symbols import ORTH

    rules = spacy.blank("en").tokenizer.rules
    theirs = {k: tuple(t[ORTH] for t in v) for k, v in rules.items() if not k.isspace()}
    assert words.EXCEPTIONS == theirs


@pytest.mark.parametrize("name", ["ALPHA", "ALPHA_LOWER", "ALPHA_UPPER", "ICONS"])
def test_character_classes_match_spacy(name: str) -> None:
    from spacy.lang import char_classes

    theirs = re.compile(f"[{getattr(char_classes, name if name != 'ICONS' else '_other_symbols')}]+")
    ours = re.compile(f"[{getattr(words, name)}]+")
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert [m.span() for m in ours.finditer(text)] == [m.span() for m in theirs.finditer(text)]


#: One crafted text per cause of the differences issue 20 lists, and neighbours of each.
CASES = {
    "devanagari_stop": "फाइलचे आकार दाखवले जाते. नाही. हिंदी।",
    "tamil_stop": "குறிப்பிடப்படுகிறது. ஒரு கோப்பின் அளவு.",
    "cjk_punct_as_letter": "一方、<Location> ディレクティブ。たとえば、次の設定では",
    "abbreviations": "Prof. Smith, Prof.Dr. Weber and Mr.X met Mrs. Jones at St. Mary's, e.g. on Jan. 5 (i.e. Mon.).",
    "rejoined_abbreviation": "e.g.,\\verb`x` and k. and argument id. (a.m.) vs. N.Y.:",
    "private_urls": "http://127.0.0.1:8000/path http://192.168.1.10/x 10.0.0.1 http://localhost:8080/a "
                    "https://172.20.0.1/ok http://169.254.1.1/x",
    "public_urls": "https://example.org/a?b=1. visit www.python.org/doc, 8.8.8.8/dns user@mail.example.com",
    "theses": "Theses, these're theses. Those've These Thats thats whats",
    "contractions": "I'd he'd you'd've it'll Shell shell ill we're dont can't y'all c'mon gonna I’m won’t",
    "units_and_degrees": "20°C 5°F. 10km/h 3kg 4mm² 6t v4t 100% 12pm 3a.m. 10am 13am $5 US$5 5€",
    "slash_forms": "w/o and/or km/h a/b 1/2 x=y a<b",
    "punct_before_dot": "|biblatex|. (see [1]). \"quoted\". ‘x’. x:. a?. C++.",
    "emoticons": ":) :-( (: <3 ^_^ foo(): :P ¯\\(ツ)/¯",
    "dots_and_dashes": "wait... what…now well-known 1-2 a--b a—b 2+3 2^3 x,y 1,000",
}


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_cases_match_spacy(spacy_words, case: str) -> None:
    assert words.split_words(CASES[case]) == spacy_words(CASES[case])


def test_every_corpus_text_matches_spacy(spacy_words) -> None:
    texts = corpus_texts()
    differ = [name for name, text in texts if words.split_words(text) != spacy_words(text)]
    identical = 1 - len(differ) / len(texts)
    print(f"token-identical to spaCy: {len(texts) - len(differ)}/{len(texts)} = {identical:.2%}; differ: {differ[:10]}")
    assert len(texts) > 500 and identical >= MIN_IDENTICAL


def test_long_chunks_skip_the_cache(spacy_words) -> None:
    words.split_chunk.cache_clear()
    text = "x " + "ab," * words.MAX_CACHED_CHUNK + " end."
    assert words.split_words(text) == spacy_words(text)
    assert words.split_chunk.cache_info().currsize == 2  # "x" and "end." only
