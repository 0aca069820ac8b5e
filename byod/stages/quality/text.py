"""Pure ``str -> number`` helpers the quality filters share: words, sentences, duplicates, punctuation.

DataTrove 0.9.0 splits English words with spaCy's blank English tokenizer. Running spaCy per document
costs more than every rule together, so :func:`split_words` (from :mod:`byod.stages.quality.words`)
re-states spaCy's rules in plain ``re`` with a per-worker cache of split chunks; docs/quality_parity.md
gives the measured parity and speed.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from byod.stages.quality.words import split_words  # noqa: F401  (re-exported: the filters import it here)

#: Sentence-terminal characters (Unicode STerm as DataTrove 0.9.0's ``TERMINAL_PUNCTUATION`` lists them).
TERMINAL_PUNCTUATION = frozenset(
    "!.?\u0589\u061d\u061e\u061f\u06d4\u0700\u0701\u0702\u07f9\u0837\u0839\u083d\u083e\u0964\u0965\u104a\u104b"
    "\u1362\u1367\u1368\u166e\u1735\u1736\u17d4\u17d5\u17d6\u17d9\u17da\u1803\u1809\u1944\u1945\u1aa8\u1aa9\u1aaa"
    "\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1b7d\u1b7e\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d\u2047\u2048\u2049\u2e2e\u2e3c"
    "\u2e53\u2e54\u3002\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f"
    "\uaaf0\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\uff61"
    "\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59\U00010f86\U00010f87\U00010f88"
    "\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0\U000110c1\U00011141\U00011142\U00011143"
    "\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239\U0001123b\U0001123c\U000112a9"
    "\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115ca\U000115cb\U000115cc\U000115cd\U000115ce"
    "\U000115cf\U000115d0\U000115d1\U000115d2\U000115d3\U000115d4\U000115d5\U000115d6\U000115d7\U00011641"
    "\U00011642\U0001173c\U0001173d\U0001173e\U00011944\U00011946\U00011a42\U00011a43\U00011a9b\U00011a9c"
    "\U00011c41\U00011c42\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5\U00016b37"
    "\U00016b38\U00016b44\U00016e98\U0001bc9f\U0001da88"
)
#: Characters that make a word a "symbol" for Gopher: ASCII and common CJK/typographic punctuation,
#: C0/C1 control characters (except tab/newline) and the terminal punctuation above.
PUNCTUATION = (
    frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«´»–—’“”„…∶━►、。〈〉《》「」【】！％（），．１：；？～")
    | frozenset(chr(c) for c in (*range(0, 9), 11, 12, *range(13, 32), *range(127, 160)))
    | TERMINAL_PUNCTUATION
)

# spaCy's sentencizer ends a sentence at a token that is one of these characters (the common subset).
_SENTENCE_END_TOKENS = frozenset("!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅‼‽⁇⁈⁉⸮⸼꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？｡。")


def is_punct_token(token: str) -> bool:
    """spaCy's ``is_punct``: every character is Unicode punctuation (category P*)."""
    return all(unicodedata.category(c)[0] == "P" for c in token)


def count_sentences(line: str) -> int:
    """Sentences spaCy's sentencizer finds in one line: a new one starts after ``.``/``!``/``?``-like tokens."""
    count = 1
    seen_end = False
    for token in split_words(line):
        if token in _SENTENCE_END_TOKENS:
            seen_end = True
        elif seen_end and not is_punct_token(token):
            count += 1
            seen_end = False
    return count


def find_duplicates(items: list[str]) -> tuple[int, int]:
    """(number of items seen before, their total characters): Gopher's duplicate line/paragraph counts."""
    seen: set[str] = set()
    elements = chars = 0
    for item in items:
        if item in seen:
            elements += 1
            chars += len(item)
        else:
            seen.add(item)
    return elements, chars


def top_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by the most frequent word n-gram (its length with spaces times its count)."""
    if len(words) < n:
        return 0
    counts = Counter(zip(*(words[i:] for i in range(n))))
    gram, count = max(counts.items(), key=lambda kv: kv[1])
    return (sum(len(w) for w in gram) + n - 1) * count


def duplicate_ngram_chars(words: list[str], n: int) -> int:
    """Characters in n-grams repeated earlier in the text, a repeat skipping its n words (Gopher's rule)."""
    grams = list(zip(*(words[i:] for i in range(n))))
    seen: set[tuple[str, ...]] = set()
    repeated = idx = 0
    total = len(grams)
    while idx < total:
        gram = grams[idx]
        if gram in seen:
            repeated += sum(len(w) for w in gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated

