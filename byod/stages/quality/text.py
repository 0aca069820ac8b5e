"""Pure ``str -> number`` helpers the quality filters share: words, sentences, duplicates, punctuation.

DataTrove 0.9.0 splits English words with spaCy's blank English tokenizer. Running spaCy per document
costs more than every rule together (about 0.4 MB/s per core), so :func:`split_words` re-implements the
parts of spaCy's algorithm that move counts (whitespace split, prefix/suffix/infix punctuation, URLs,
contractions, a few abbreviations) with plain ``re`` and a per-worker cache of split chunks. The
differences left are listed in docs/quality_parity.md; the parity test measures their effect.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

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


def _char_class(predicate) -> str:
    """A regex character class body listing every BMP character the predicate accepts, as ranges."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if predicate(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


_ICONS = _char_class(lambda c: unicodedata.category(c) == "So" and c != "°")
_LOWER = _char_class(lambda c: unicodedata.category(c) in ("Ll", "Lo"))
_UPPER = _char_class(lambda c: unicodedata.category(c) in ("Lu", "Lo"))
_ALPHA = _char_class(lambda c: c.isalpha())
_PUNCT = re.escape("…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪")
_QUOTES = re.escape("'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧")
_CURRENCY = re.escape("$£€¥฿₽₴₹₩₪₫₭₮₱₲₵₸₺₼₾₿")
_HYPHENS = r"---|--|——|-|–|—|~"
_UNITS = r"km|cm|mm|m|kg|mg|g|lb|oz|ft|in|yd|mph|km/h|m/s|hPa|Pa|MB|KB|GB|TB|mb|kb|gb|tb|T|G|M|K|%"

_PREFIX = re.compile(rf"(?:[§%=—–]|\+(?![0-9])|\.\.+|[{_PUNCT}{_QUOTES}{_CURRENCY}]|[{_ICONS}])")
_SUFFIX = re.compile(
    rf"(?:\.\.+|[{_PUNCT}{_QUOTES}{_ICONS}]|'s|'S|’s|’S|—|–|(?<=[0-9])\+|(?<=°[FfCcKk])\."
    rf"|(?<=[0-9])(?:[{_CURRENCY}]|{_UNITS})|(?<=[0-9{_LOWER}%²\-+{_PUNCT}{_QUOTES}])\.|(?<=[{_UPPER}][{_UPPER}])\.)$"
)
_INFIX = re.compile(
    rf"\.\.+|…|[{_ICONS}]|(?<=[0-9])[+\-*^](?=[0-9-])|(?<=[{_LOWER}{_QUOTES}])\.(?=[{_UPPER}{_QUOTES}])"
    rf"|(?<=[{_ALPHA}]),(?=[{_ALPHA}])|(?<=[{_ALPHA}0-9])(?:{_HYPHENS})(?=[{_ALPHA}])"
    rf"|(?<=[{_ALPHA}0-9])[:<>=/](?=[{_ALPHA}])"
)
_URL = re.compile(
    r"(?:[\w+\-.]{2,}://)?(?:[^\s@/]+@)?(?:(?:[^\W_](?:[\w-]*[^\W_])?\.)+[a-z\u00a1-\uffff]{2,63}"
    r"|\d{1,3}(?:\.\d{1,3}){3})(?::\d{2,5})?(?:[/?#]\S*)?$"
)
# Tokenizer exceptions (facts about spaCy's English tables, re-stated as rules): one-token abbreviations,
# emoticons, and contractions written with or without an apostrophe that split in two.
_ABBREVIATION = re.compile(
    r"(?:[a-zäöü]|e\.g|i\.e|a\.m|p\.m|v\.s|D\.C|E\.G|E\.g|I\.E|I\.e|N\.[CDHJMY]|S\.C|Ph\.D"
    r"|co|vs|Adm|Ak|Ala|Apr|Ariz|Ark|Aug|Bros|Calif|Co|Colo|Conn|Corp|Dec"
    r"|Del|Dr|Feb|Fla|Ga|Gen|Gov|Ia|Id|Ill|Inc|Ind|Jan|Jr|Jul|Jun|Kan|Kans|Ky|La|Ltd|Mar|Mass|Md|Messrs|Mich"
    r"|Minn|Miss|Mo|Mont|Mr|Mrs|Ms|Mt|Neb|Nebr|Nev|Nov|Oct|Okla|Ore|Pa|Prof|Rep|Rev|Sen|Sep|Sept|St|Tenn|Va"
    r"|Wash|Wis)\.$"
)
_EMOTICONS = frozenset(
    ":) :-) :)) (: (-: =) (= :] :-] [: [= =] :} 8) ;) ;-) (; :( :-( :(( ): )-: =( >:( :') :'( :/ :-/ =/ =| :| "
    ":-| ]= =[ :1 :P :-P :p :-p :O :-O :o :-o :0 :() >:o :* :-* :3 :> :-> :X :x :D :-D ;D =D xD XD ^_^ >.< "
    "<.< ._. ;_; -_- v.v o_o o_O O_o o.O O.o 0.0 @_@ <3 </3 '' and/or".split()
)
_NEGATIONS = re.compile(
    r"(ai|are|ca|could|dare|did|does|do|had|has|have|is|may|might|must|need|ought|sha|should|was|were|wo|would)"
    r"(n['’]?t)(['’]?ve)?$"
)
_PRONOUN_FORMS = {
    "i": ("m", "ve", "d", "dve", "llve"), "you": ("d", "dve", "ll", "llve", "re", "ve"),
    "he": ("d", "dve", "llve", "s"), "she": ("dve", "llve", "s"), "it": ("d", "dve", "ll", "llve"),
    "we": ("d", "dve", "llve", "ve"), "they": ("d", "dve", "ll", "llve", "re", "ve"),
    **{w: ("d", "dve", "ll", "llve", "re", "s", "ve") for w in ("that", "there", "these", "this", "those", "what",
                                                                 "when", "where", "who", "why", "how")},
}
_PRONOUN = re.compile(
    r"(" + "|".join(sorted(_PRONOUN_FORMS, key=len, reverse=True)) + r")(['’](?:m|d|ll|re|s|ve)|d|ll|re|s|ve|m)(ve)?$"
)
_PLAIN = re.compile(r"[^\W\d_]+$|[0-9]+$")
_WHITESPACE = re.compile(r"\s+")


def _special(chunk: str) -> tuple[str, ...] | None:
    """spaCy's tokenizer exceptions that change counts: abbreviations, emoticons, contractions."""
    if not chunk:
        return None
    if chunk in _EMOTICONS or _ABBREVIATION.match(chunk):
        return (chunk,)
    lowered = chunk[0].lower() + chunk[1:]
    if lowered in ("cannot", "gonna", "gotta"):
        return chunk[:3], chunk[3:]
    match = _NEGATIONS.match(lowered) or _PRONOUN.match(lowered)
    if match and (match.re is _NEGATIONS or _pronoun_form_ok(match)):
        return tuple(chunk[match.start(i) : match.end(i)] for i in (1, 2, 3) if match.group(i))
    return None


def _pronoun_form_ok(match: re.Match) -> bool:
    suffix = match.group(2).lstrip("'’") + (match.group(3) or "")
    return "'" in match.group(2) or "’" in match.group(2) or suffix in _PRONOUN_FORMS[match.group(1)]


def _split_infixes(core: str) -> list[str]:
    if _URL.match(core):
        return [core]
    out: list[str] = []
    start = 0
    for match in _INFIX.finditer(core):
        if match.start() == 0:
            continue
        if match.start() != start:
            out.append(core[start : match.start()])
        if match.end() != match.start():
            out.append(match.group())
        start = match.end()
    if start < len(core):
        out.append(core[start:])
    return out


@lru_cache(maxsize=1 << 17)
def _split_chunk(chunk: str) -> tuple[str, ...]:
    """One whitespace-free chunk to tokens: peel prefixes and suffixes, then split infixes (spaCy's order)."""
    special = _special(chunk)
    if special is not None:
        return special
    if _PLAIN.match(chunk):
        return (chunk,)
    prefixes: list[str] = []
    suffixes: list[str] = []
    last = -1
    while chunk and len(chunk) != last:
        last = len(chunk)
        pre = _PREFIX.match(chunk)
        pre_len = pre.end() if pre else 0
        suf = _SUFFIX.search(chunk, pre_len)
        suf_len = len(chunk) - suf.start() if suf else 0
        if pre_len and _special(chunk[pre_len:]) is not None:
            prefixes.append(chunk[:pre_len])
            chunk = chunk[pre_len:]
            break
        if suf_len and _special(chunk[:-suf_len]) is not None:
            suffixes.append(chunk[-suf_len:])
            chunk = chunk[:-suf_len]
            break
        if pre_len and suf_len and pre_len + suf_len <= len(chunk):
            prefixes.append(chunk[:pre_len])
            suffixes.append(chunk[-suf_len:])
            chunk = chunk[pre_len:-suf_len]
        elif pre_len:
            prefixes.append(chunk[:pre_len])
            chunk = chunk[pre_len:]
        elif suf_len:
            suffixes.append(chunk[-suf_len:])
            chunk = chunk[:-suf_len]
        if _special(chunk) is not None:
            break
    middle: list[str] = []
    if chunk:
        special = _special(chunk)
        middle = list(special) if special is not None else _split_infixes(chunk)
    return _merge_specials((*prefixes, *middle, *reversed(suffixes)))


def _merge_specials(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """spaCy re-joins special cases split by affix rules (``foo():`` ends in the token ``):``)."""
    if len(tokens) < 2:
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for width in (3, 2):
            joined = "".join(tokens[i : i + width])
            if i + width <= len(tokens) and joined in _EMOTICONS:
                out.append(joined)
                i += width
                break
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def split_words(text: str) -> list[str]:
    """Word tokens of ``text`` the way spaCy's blank English tokenizer splits them, approximately."""
    out: list[str] = []
    for chunk in text.split():
        out.extend(_split_chunk(chunk) if len(chunk) < 4096 else _split_long(chunk))
    return out


def _split_long(chunk: str) -> tuple[str, ...]:
    """Very long chunks skip the cache (a 10 MB line must not pin memory)."""
    return _split_chunk.__wrapped__(chunk)


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

