"""spaCy's blank English word split, re-stated in plain ``re`` (DataTrove 0.9.0 counts words with it).

The algorithm, as spaCy 3.8's tokenizer documents it: split on whitespace; for each chunk, unless the
whole chunk is a tokenizer exception, peel prefixes and suffixes (stopping when what is left is an
exception), then keep the middle whole if it is an exception or a URL, else split it at infixes; finally
re-join runs of tokens that spell an exception containing punctuation (``e.g`` + ``.`` -> ``e.g.``).
The rules and exception facts below are written from spaCy's English tables (``lang/punctuation.py``,
``char_classes.py``, ``tokenizer_exceptions.py``), not copied; ``tests/stages/test_word_split_parity.py``
compares them with spaCy itself. Chunks are cached per worker, which is where the speed comes from.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain

# -- character classes: which letters spaCy's English rules treat as lower, upper or any letter --------
#: Latin blocks spaCy knows (basic, fullwidth, Latin-1, Extended A-E, IPA/phonetic, Extended Additional).
_LATIN = ((0x41, 0x5A), (0x61, 0x7A), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0xC0, 0xD6), (0xD8, 0xF6),
          (0xF8, 0x1BF), (0x1C4, 0x24F), (0x2C60, 0x2C7B), (0x2C7E, 0x2C7F), (0xA722, 0xA76F), (0xA771, 0xA787),
          (0xA78B, 0xA78E), (0xA790, 0xA7B9), (0xA7FA, 0xA7FA), (0xAB30, 0xAB5A), (0xAB60, 0xAB64),
          (0x250, 0x2AF), (0x1D00, 0x1D25), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0x1E00, 0x1EFF))
#: Phonetic and Extended-E letters count as lower case whatever Unicode says.
_LATIN_ALWAYS_LOWER = ((0x250, 0x2AF), (0x1D00, 0x1D25), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A), (0xAB30, 0xAB64))
#: Cyrillic (Russian, Ukrainian, Tatar, Macedonian letters) and Greek (basic letters and tonos vowels).
_OTHER_LOWER = "ёа-яіїєґәөүҗңһѓѕјљњќѐѝα-ωάέίόώήύ"
_OTHER_UPPER = "ЁА-ЯІЇЄҐӘӨҮҖҢҺЃЅЈЉЊЌЀЍΑ-ΩΆΈΊΌΏΉΎ"
#: Scripts without case, whole blocks (vowel signs and viramas included): Ethiopic, Bengali, Hebrew,
#: Arabic/Persian, Sinhala, Devanagari, Kannada, Tamil, Telugu, Hangul, Kana, CJK and its punctuation.
_UNCASED = (
    "\u1200-\u137f\u0980-\u09ff\u0591-\u05f4\ufb1d-\ufb4f\u0620-\u064a\u066e-\u06d5\u06e5-\u06ff\u0750-\u077f"
    "\u08a0-\u08bd\ufb50-\ufbb1\ufbd3-\ufd3d\ufd50-\ufdc7\ufdf0-\ufdfb\ufe70-\ufefc\U0001ee00-\U0001eebb"
    "\u0d80-\u0dff\u0900-\u097f\u0c80-\u0cff\u0b80-\u0bff\u0c00-\u0c7f\uac00-\ud7af\u1100-\u11ff\u3040-\u30ffー"
    "\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002a6df\U0002a700-\U0002ebef\u2e80-\u2eff\u2f00-\u2fdf\u2ff0-\u2fff\u3000-\u303f"
    "\u31c0-\u31ef\u3200-\u33ff\uf900-\ufaff\ufe30-\ufe4f\U0001f200-\U0001f2ff\U0002f800-\U0002fa1f"
)


def _latin(case: str) -> str:
    """Latin letters of one case (``Ll`` or ``Lu``; title case is neither) inside spaCy's Latin blocks, as class ranges."""
    chars = []
    for low, high in _LATIN:
        for code in range(low, high + 1):
            always_lower = any(a <= code <= b for a, b in _LATIN_ALWAYS_LOWER)
            category = unicodedata.category(chr(code))
            if (case == "lower" and (always_lower or category == "Ll")) or (
                case == "upper" and not always_lower and category == "Lu"
            ):
                chars.append(code)
    return _ranges(chars)


def _ranges(codes: list[int]) -> str:
    spans: list[list[int]] = []
    for code in codes:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in spans)


ALPHA_LOWER = _latin("lower") + _OTHER_LOWER + _UNCASED
ALPHA_UPPER = _latin("upper") + _OTHER_UPPER + _UNCASED
ALPHA = _ranges([c for a, b in _LATIN for c in range(a, b + 1)]) + _OTHER_LOWER + _OTHER_UPPER + _UNCASED

# -- punctuation lists (spaCy's English prefix/suffix/infix facts, in its order) ------------------------
_PUNCT = "… …… , : ; ! ? ¿ ؟ ¡ ( ) [ ] { } < > _ # * & 。 ？ ！ ， 、 ； ： ～ · । ، ۔ ؛ ٪".split()
_QUOTES = "' \" ” “ ` ‘ ´ ’ ‚ , „ » « 「 」 『 』 （ ） 〔 〕 【 】 《 》 〈 〉 〈 〉 ⟦ ⟧".split()
_CURRENCY = "$ £ € ¥ ฿ US$ C$ A$ ₽ ﷼ ₴ ₠ ₡ ₢ ₣ ₤ ₥ ₦ ₧ ₨ ₩ ₪ ₫ € ₭ ₮ ₯ ₰ ₱ ₲ ₳ ₴ ₵ ₶ ₷ ₸ ₹ ₺ ₻ ₼ ₽ ₾ ₿".split()
_UNITS = (
    "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz m/s km/h kmh "
    "mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ дм дм² дм³ см см² см³ мм мм² мм³ "
    "нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ тбكم كم² كم³ م م² م³ سم سم² سم³ مم "
    "مم² مم³ كم غرام جرام جم كغ ملغ كوب اكواب"
).split()
_HYPHENS = "- – — -- --- —— ~".split()
#: Symbols (``So``) spaCy splits off anywhere, e.g. dingbats, arrows, box drawing, emoji; not ``°``
#: inside words. Listed as blocks: the ``So`` characters of these ranges.
_ICON_BLOCKS = ((0xA6, 0xAE), (0xB0, 0xB0), (0x482, 0xBFA), (0xC7F, 0xFCF), (0xFD5, 0x1B7C), (0x2100, 0x214F),
                (0x218A, 0x218B), (0x2195, 0x2BFE), (0x2CE5, 0x2CEA), (0x2E80, 0x2FFB), (0x3004, 0x33FF),
                (0x4DC0, 0x4DFF), (0xA490, 0xAA79), (0xFDFD, 0xFFFD), (0x10137, 0x1DA86), (0x1ECAC, 0x1ECAC),
                (0x1F000, 0x1FA6D))
#: ``So`` characters assigned after Unicode 11, which spaCy's table predates: not icons for it.
_LATER_SYMBOLS = ((0x166D, 0x166D), (0x2B97, 0x2B97), (0x2BC9, 0x2BC9), (0x32FF, 0x32FF), (0xFDFE, 0xFDFF),
                  (0x1019C, 0x1019C), (0x11FD5, 0x11FF1), (0x1CF50, 0x1CFC3), (0x1D1E9, 0x1D1EA),
                  (0x1F10D, 0x1F10F), (0x1F16C, 0x1F16F), (0x1F1AD, 0x1F1AD), (0x1F6D5, 0x1F6DF),
                  (0x1F6FA, 0x1F6FC), (0x1F7E0, 0x1F7F0), (0x1F8B0, 0x1F8B1), (0x1F90C, 0x1F90F),
                  (0x1F93F, 0x1F93F), (0x1F971, 0x1F972), (0x1F977, 0x1F979), (0x1F97B, 0x1F97B),
                  (0x1F9A3, 0x1F9AF), (0x1F9BA, 0x1F9BF), (0x1F9C3, 0x1F9CF), (0x1FA00, 0x1FA53))
ICONS = _ranges([
    c for a, b in _ICON_BLOCKS for c in range(a, b + 1)
    if unicodedata.category(chr(c)) == "So" and not any(x <= c <= y for x, y in _LATER_SYMBOLS)
])


def _alt(items: list[str]) -> str:
    return "|".join(re.escape(i) for i in items)


_PREFIX_ITEMS = (["§", "%", "=", "—", "–", r"\+(?![0-9])"] + [re.escape(p) for p in _PUNCT]
                 + [r"\.\.+", "…"] + [re.escape(q) for q in _QUOTES] + [re.escape(c) for c in _CURRENCY]
                 + [f"[{ICONS}]"])
_PREFIX = re.compile("|".join(_PREFIX_ITEMS))  # used with .match: anchored at the start
#: The lookbehind class before a final ``.`` spells punctuation as an alternation inside a class in
#: spaCy, so ``|``, ``(``, ``?`` and ``:`` count too: ``|biblatex|.`` splits the full stop off.
_BEFORE_DOT = f"0-9{ALPHA_LOWER}%²\\-+{re.escape(''.join(_PUNCT))}|(?:{re.escape(''.join(_QUOTES))})"
_SUFFIX_ITEMS = ([re.escape(p) for p in _PUNCT] + [r"\.\.+", "…"] + [re.escape(q) for q in _QUOTES]
                 + [f"[{ICONS}]", "'s", "'S", "’s", "’S", "—", "–", r"(?<=[0-9])\+", r"(?<=°[FfCcKk])\.",
                    f"(?<=[0-9])(?:{_alt(_CURRENCY)})", f"(?<=[0-9])(?:{_alt(_UNITS)})",
                    f"(?<=[{_BEFORE_DOT}])\\.", f"(?<=[{ALPHA_UPPER}][{ALPHA_UPPER}])\\."])
_SUFFIX = re.compile("|".join(s + "$" for s in _SUFFIX_ITEMS))
_Q = re.escape("".join(_QUOTES))
_INFIX = re.compile("|".join([
    r"\.\.+", "…", f"[{ICONS}]", r"(?<=[0-9])[+\-*^](?=[0-9-])", f"(?<=[{ALPHA_LOWER}{_Q}])\\.(?=[{ALPHA_UPPER}{_Q}])",
    f"(?<=[{ALPHA}]),(?=[{ALPHA}])", f"(?<=[{ALPHA}0-9])(?:{_alt(_HYPHENS)})(?=[{ALPHA}])",
    f"(?<=[{ALPHA}0-9])[:<>=/](?=[{ALPHA}])",
]))
#: spaCy's URL test: optional scheme and user, then a public IPv4 address (private, loopback and
#: link-local networks are not URLs) or dotted host names ending in a lower-case TLD; port; path.
_URL = re.compile(
    r"(?:[\w+\-.]{2,}://)?(?:\S+(?::\S*)?@)?(?:"
    r"(?!(?:10|127)(?:\.\d{1,3}){3})(?!(?:169\.254|192\.168)(?:\.\d{1,3}){2})(?!172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2})"
    r"(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))"
    r"|(?:(?:[A-Za-z0-9\u00a1-\uffff][A-Za-z0-9\u00a1-\uffff_-]{0,62})?[A-Za-z0-9\u00a1-\uffff]\.)+"
    f"[{ALPHA_LOWER}]{{2,63}})"
    r"(?::\d{2,5})?(?:[/?#]\S*)?$"
)

# -- tokenizer exceptions: whole chunks spaCy splits (or keeps) its own way --------------------------------
_EMOTICONS = (
    ":) :-) :)) :-)) :))) :-))) (: (-: =) (= :] :-] [: [-: [= =] :o) (o: :} :-} 8) 8-) (-8 ;) ;-) (; (-; :( :-( "
    ":(( :-(( :((( :-((( ): )-: =( >:( :') :'-) :'( :'-( :/ :-/ =/ =| :| :-| ]= =[ :1 :P :-P :p :-p :O :-O :o "
    ":-o :0 :-0 :() >:o :* :-* :3 :-3 =3 :> :-> :X :-X :x :-x :D :-D ;D ;-D =D xD XD xDD XDD 8D 8-D ^_^ ^__^ "
    "^___^ >.< >.> <.< ._. ;_; -_- -__- v.v V.V v_v V_V o_o o_O O_o O_O 0_o o_0 0_0 o.O O.o O.O o.o 0.0 o.0 "
    "0.o @_@ <3 <33 <333 </3 (^_^) (-_-) (._.) (>_<) (*_*) (¬_¬) ಠ_ಠ ಠ︵ಠ (ಠ_ಠ) ¯\\(ツ)/¯ (╯°□°）╯︵┻━┻ ><(((*>"
).split()
#: Kept whole: abbreviations with their full stop, single letters with a full stop, odd tokens.
_WHOLE = (
    "' \\\") '' C++ <space> \\n \\t — 'd a.m. Adm. Bros. co. Co. Corp. D.C. Dr. e.g. E.g. E.G. Gen. Gov. i.e. I.e. I.E. Inc. Jr. "
    "Ltd. Md. Messrs. Mo. Mont. Mr. Mrs. Ms. p.m. Ph.D. Prof. Rep. Rev. Sen. St. vs. v.s. Mt. Ak. Ala. Apr. "
    "Ariz. Ark. Aug. Calif. Colo. Conn. Dec. Del. Feb. Fla. Ga. Ia. Id. Ill. Ind. Jan. Jul. Jun. Kan. Kans. Ky. "
    "La. Mar. Mass. Mich. Minn. Miss. N.C. N.D. N.H. N.J. N.M. N.Y. Neb. Nebr. Nev. Nov. Oct. Okla. Ore. Pa. "
    "S.C. Sep. Sept. Tenn. Va. Wash. Wis. 'S 's ‘S ‘s and/or w/o 're 'Cause 'cause 'cos 'Cos 'coz 'Coz 'cuz "
    "'Cuz 'bout ma'am Ma'am o'clock O'clock lovin' Lovin' lovin Lovin havin' Havin' havin Havin doin' Doin' "
    "doin Doin goin' Goin' goin Goin nothin nothin' Nothin Nothin' nuthin nuthin' Nuthin Nuthin' ol ol' Ol Ol' "
    "somethin somethin' Somethin Somethin' em 'em ll 'll nuff 'nuff"
).split() + [f"{c}." for c in "abcdefghijklmnopqrstuvwxyzäöü"] + _EMOTICONS
#: Split in two or three: (chunk, tokens) written out where no pattern below covers them.
_SPLIT = {
    "y'all": ("y'", "all"), "yall": ("y", "all"), "how'd'y": ("how", "'d", "'y"), "How'd'y": ("How", "'d", "'y"),
    "not've": ("not", "'ve"), "notve": ("not", "ve"), "Not've": ("Not", "'ve"), "Notve": ("Not", "ve"),
    "cannot": ("can", "not"), "Cannot": ("Can", "not"), "gonna": ("gon", "na"), "Gonna": ("Gon", "na"),
    "gotta": ("got", "ta"), "Gotta": ("Got", "ta"), "let's": ("let", "'s"), "Let's": ("Let", "'s"),
    "c'mon": ("c'm", "on"), "C'mon": ("C'm", "on"), "°C.": ("°", "C", "."), "°F.": ("°", "F", "."),
    "°K.": ("°", "K", "."), "°c.": ("°", "c", "."), "°f.": ("°", "f", "."), "°k.": ("°", "k", "."),
}
#: Word + contraction endings, each also written without its apostrophe ("I'm" and "Im").
_ENDINGS = {
    ("i",): ("'m", "'ma", "'ll", "'ll've", "'d", "'d've", "'ve"),
    ("you", "we", "they"): ("'ll", "'ll've", "'d", "'d've", "'ve", "'re"),
    ("he", "she", "it"): ("'ll", "'ll've", "'d", "'d've", "'s"),
    ("who", "what", "when", "where", "why", "how", "there"): ("'s", "'ll", "'ll've", "'re", "'ve", "'d", "'d've"),
    ("that", "this"): ("'s", "'ll", "'ll've", "'d", "'d've"),
    ("these", "those"): ("'ll", "'ll've", "'re", "'ve", "'d", "'d've"),
    ("ca", "could", "do", "does", "did", "had", "may", "might", "must", "need", "ought", "sha", "should", "wo",
     "would"): ("n't", "n't've"),
    ("could", "might", "must", "should", "would"): ("'ve",),
    ("ai", "are", "is", "was", "were", "have", "has", "dare"): ("n't",),
}
#: Words these rules would otherwise split that spaCy leaves alone (its exclusion list).
_NOT_SPLIT = {"Ill", "ill", "Its", "its", "Hell", "hell", "Shell", "shell", "Shed", "shed", "were", "Were",
              "Well", "well", "Whore", "whore"}


def _pieces(ending: str) -> tuple[str, ...]:
    """``'ll've`` -> ("'ll", "'ve"); ``'ma`` -> ("'m", "a")."""
    if ending == "'ma":
        return ("'m", "a")
    return tuple(re.findall(r"n't|'[a-z]+", ending))


def _build_exceptions() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {w: (w,) for w in _WHOLE}
    table.update(_SPLIT)
    for words, endings in _ENDINGS.items():
        for word in words:
            for orth in (word, word.title()):
                for ending in endings:
                    pieces = _pieces(ending)
                    table[orth + ending] = (orth, *pieces)
                    table[orth + ending.replace("'", "")] = (orth, *(p.replace("'", "") for p in pieces))
    for hour in range(1, 13):
        for period in ("a.m.", "am", "p.m.", "pm"):
            table[f"{hour}{period}"] = (str(hour), period)
    for word in _NOT_SPLIT:
        table.pop(word, None)
    curly = {k.replace("'", "’"): tuple(t.replace("'", "’") for t in v) for k, v in table.items() if "'" in k}
    return {**table, **curly}


EXCEPTIONS = _build_exceptions()


# -- the algorithm -----------------------------------------------------------------------------------------
def _affixes(chunk: str, specials: bool) -> tuple[list[str], str, list[str]]:
    """Peel prefixes and suffixes as spaCy does: (prefixes, middle, suffixes in text order reversed)."""
    prefixes: list[str] = []
    suffixes: list[str] = []
    last = -1
    while chunk and len(chunk) != last:
        if specials and chunk in EXCEPTIONS:
            break
        last = len(chunk)
        pre = _PREFIX.match(chunk)
        pre_len = pre.end() if pre else 0
        if pre_len and specials and chunk[pre_len:] in EXCEPTIONS:
            prefixes.append(chunk[:pre_len])
            return prefixes, chunk[pre_len:], suffixes
        suf_len = _suffix_len(chunk, pre_len)
        if suf_len and specials and chunk[:-suf_len] in EXCEPTIONS:
            suffixes.append(chunk[-suf_len:])
            return prefixes, chunk[:-suf_len], suffixes
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
    return prefixes, chunk, suffixes


_LETTER_SUFFIXES = frozenset(("'s", "'S", "’s", "’S"))
_DIGIT = re.compile("[0-9]")
#: Characters some infix starts with: a middle without any keeps whole.
_INFIX_START = re.compile(f"[.…,+\\-*^–—~:<>=/{ICONS}]")
#: No suffix but a run of dots is longer than this; lookbehinds see at most two characters back.
_SUFFIX_WINDOW = 8


def _suffix_len(chunk: str, start: int) -> int:
    """Length of the suffix of ``chunk[start:]`` (0 if none), searching only its last characters when
    that cannot change the answer (a regex search over the whole chunk tries every position)."""
    if chunk[-1].isalpha() and chunk[-2:] not in _LETTER_SUFFIXES and not _DIGIT.search(chunk, start):
        return 0  # a suffix ending in a letter is 's or a unit after a digit
    window = len(chunk) - _SUFFIX_WINDOW
    if window - 2 > start:
        match = _SUFFIX.search(chunk, window)
        if match is None or match.start() > window or chunk[window] != ".":
            return len(chunk) - match.start() if match else 0
    match = _SUFFIX.search(chunk[start:])
    return len(chunk) - start - match.start() if match else 0


def _infixes(middle: str) -> list[str]:
    """Split the middle at infixes; one at position 0 is not a split (spaCy skips it)."""
    out: list[str] = []
    start = 0
    for match in _INFIX.finditer(middle):
        if match.start() == 0:
            continue
        if match.start() != start:
            out.append(middle[start : match.start()])
        if match.end() != match.start():
            out.append(match.group())
        start = match.end()
    if start < len(middle):
        out.append(middle[start:])
    return out


def _tokens(chunk: str, specials: bool) -> list[str]:
    if specials and chunk in EXCEPTIONS:
        return list(EXCEPTIONS[chunk])
    prefixes, middle, suffixes = _affixes(chunk, specials)
    if not middle:
        body: list[str] = []
    elif specials and middle in EXCEPTIONS:
        body = list(EXCEPTIONS[middle])
    elif "." in middle and _URL.match(middle):  # every URL the pattern accepts has a dot
        body = [middle]
    elif not _INFIX_START.search(middle, 1):
        body = [middle]
    else:
        body = _infixes(middle)
    return prefixes + body + suffixes[::-1]


def _rejoin_patterns() -> dict[tuple[str, ...], str]:
    """Exceptions holding a prefix, suffix or infix, keyed by how the affix rules alone split them: spaCy
    re-joins such token runs into the exception (``e.g`` + ``.``, ``d`` + ``.``, ``:`` + ``)``)."""
    patterns: dict[tuple[str, ...], str] = {}
    for orth in EXCEPTIONS:
        if _PREFIX.match(orth) or _SUFFIX.search(orth) or _INFIX.search(orth):
            patterns[tuple(_tokens(orth, False))] = orth
    return patterns


_REJOIN = _rejoin_patterns()
#: First token of a pattern -> the pattern lengths starting with it.
_REJOIN_FIRST: dict[str, tuple[int, ...]] = {}
for _pattern in _REJOIN:
    _REJOIN_FIRST[_pattern[0]] = tuple(sorted({*_REJOIN_FIRST.get(_pattern[0], ()), len(_pattern)}))


def _rejoin(tokens: list[str]) -> list[str]:
    """Replace token runs that spell an exception by the exception's tokens; longest runs win."""
    matches = [(i, i + n) for i, token in enumerate(tokens) if token in _REJOIN_FIRST
               for n in _REJOIN_FIRST[token] if i + n <= len(tokens) and tuple(tokens[i : i + n]) in _REJOIN]
    if not matches:
        return tokens
    seen: set[int] = set()
    kept: list[tuple[int, int]] = []
    for start, end in sorted(matches, key=lambda m: (m[1] - m[0], m[0]), reverse=True):
        if start not in seen and end - 1 not in seen:
            kept.append((start, end))
        seen.update(range(start, end))
    out: list[str] = []
    position = 0
    for start, end in sorted(kept):
        out += tokens[position:start]
        out += EXCEPTIONS[_REJOIN[tuple(tokens[start:end])]]
        position = end
    return out + tokens[position:]


_PLAIN = re.compile(r"[^\W\d_]+|[0-9]+")


@lru_cache(maxsize=1 << 17)
def split_chunk(chunk: str) -> tuple[str, ...]:
    """The tokens of one whitespace-free chunk (cached: real text repeats its chunks)."""
    if chunk in EXCEPTIONS:
        return EXCEPTIONS[chunk]
    if _PLAIN.fullmatch(chunk):
        return (chunk,)
    tokens = _tokens(chunk, True)
    return tuple(_rejoin(tokens) if len(tokens) > 1 or tokens[0] in _REJOIN_FIRST else tokens)


#: Longer chunks skip the cache (a 10 MB line must not stay pinned in memory).
MAX_CACHED_CHUNK = 4096


def split_words(text: str) -> list[str]:
    """Word tokens of ``text`` as spaCy's blank English tokenizer gives them, whitespace dropped."""
    chunks = text.split()
    if len(text) < MAX_CACHED_CHUNK or max(map(len, chunks), default=0) < MAX_CACHED_CHUNK:
        return list(chain.from_iterable(map(split_chunk, chunks)))
    out: list[str] = []
    for chunk in chunks:
        out.extend(split_chunk(chunk) if len(chunk) < MAX_CACHED_CHUNK else split_chunk.__wrapped__(chunk))
    return out
