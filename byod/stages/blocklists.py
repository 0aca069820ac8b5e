"""Blocklists from user files: URLs (domains, full URLs, words in the URL) and bad words in the text (C4)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from byod.columns import STAGE_REASON, TEXT, URL
from byod.errors import ConfigError, SchemaError
from byod.stages.base import Filter, live_condition, require_columns
from byod.stages.rules import RuleFilter

URL_BLOCKED_DOMAIN = "url.blocked_domain"
URL_BLOCKED_URL = "url.blocked_url"
URL_BLOCKED_WORD = "url.blocked_word"
BADWORDS_FOUND = "badwords.found"

#: The column ``BadWordsFilter`` reads a document's language from (LanguageFilter writes it).
LANGUAGE = "language"
#: Languages written without spaces between words: C4 matches their words anywhere, not at word edges.
UNSPACED_LANGUAGES = ("ja", "th", "zh")

# URL words are the runs of letters and digits: "https://porn-site.example/Sex_Cams" -> porn, site, ...
_URL_WORD_SPLIT = re.compile(r"[\W_]+")
# A word-list entry that is one run of word characters is looked up among the text's words; any other
# entry ("a$$", "two words") is searched for between non-word characters, as C4's regex does.
_ONE_WORD = re.compile(r"\w+")
# Java's \W with (?U) is Unicode-aware like Python's, so Spark splits text into C4's words.
_SPARK_NON_WORD = r"(?U)\W+"


def read_list(path: str | Path, what: str) -> tuple[str, ...]:
    """The entries of a user list: one per line, stripped; ``#`` comment lines and blank lines skipped.

    Raises a one-line :class:`ConfigError` naming the file for a missing file or a list with no entry,
    and naming the line for bytes that are not UTF-8. Read once, on the driver.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{what} {str(file)!r} is not a file; give a local UTF-8 list, one entry per line")
    entries: list[str] = []
    for number, raw in enumerate(file.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as error:
            raise ConfigError(f"{what} {str(file)!r} line {number} is not UTF-8 (byte {error.start + 1}); "
                              "save the list as UTF-8") from None
        if line and not line.startswith("#"):
            entries.append(line.removeprefix("\ufeff"))
    if not entries:
        raise ConfigError(f"{what} {str(file)!r} has no entries (only blank or # comment lines)")
    return tuple(entries)


def url_host(url: str) -> str | None:
    """The lower-case host of ``url`` (port, user and trailing dot removed); a bare "host/path" works too."""
    try:
        host = urlsplit(url if "://" in url else f"//{url}").hostname
    except ValueError:  # an unbalanced "[" in the host
        return None
    return host.rstrip(".") if host else None


def url_key(url: str) -> str:
    """A URL as blocklists compare it: trimmed, no ``#fragment``, lower-case scheme and host, "/" for no path."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("#", 1)[0]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def domain_suffixes(host: str) -> list[str]:
    """``a.b.example.com`` -> itself, ``b.example.com``, ``example.com``, ``com``: each may be blocked."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


@dataclass(frozen=True, kw_only=True)
class UrlFilter(RuleFilter):
    """Drop documents whose ``url`` is on a user's blocklist: by domain, by full URL, or by a word in it.

    Adult, spam and malware sites are best removed by where the page came from. In this order: the
    URL's host or any parent domain is listed (a listed ``example.com`` blocks ``a.b.example.com``);
    the URL itself is listed (compared without ``#fragment``, scheme and host case-insensitively); one
    of the URL's words (runs of letters and digits, lower-cased) is listed. A document without a URL is
    kept. Lists are files, one entry per line, ``#`` comments and blank lines allowed, read once on
    the driver; nothing is downloaded. Reference: DataTrove 0.9.0 ``URLFilter`` (differences in
    ``docs/safety_filters.md``).

    Args:
        domains_path: file of blocked domains (``example.com``; a leading ``*.`` or ``.`` is ignored).
        urls_path: file of blocked full URLs.
        words_path: file of blocked URL words (letters and digits only: URLs are split on anything else).

    Reason codes: ``url.blocked_domain``, ``url.blocked_url``, ``url.blocked_word``.
    """

    text_column = URL
    domains_path: str | None = None
    urls_path: str | None = None
    words_path: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.domains_path is None and self.urls_path is None and self.words_path is None:
            raise ConfigError(f"{self.name} needs at least one of domains_path, urls_path, words_path")
        _ = self.blocked_domains, self.blocked_urls, self.blocked_words  # read the files now, on the driver

    @cached_property
    def blocked_domains(self) -> frozenset[str]:
        """Lower-case domains from ``domains_path`` (empty when not given)."""
        if self.domains_path is None:
            return frozenset()
        entries = read_list(self.domains_path, "domains_path")
        return frozenset(e.lower().removeprefix("*.").strip(".") for e in entries)

    @cached_property
    def blocked_urls(self) -> frozenset[str]:
        """URLs from ``urls_path`` in :func:`url_key` form."""
        return frozenset(url_key(e) for e in read_list(self.urls_path, "urls_path")) if self.urls_path else frozenset()

    @cached_property
    def blocked_words(self) -> frozenset[str]:
        """Lower-case words from ``words_path``; an entry a URL split can never yield is an error."""
        if self.words_path is None:
            return frozenset()
        words = [e.lower() for e in read_list(self.words_path, "words_path")]
        bad = [w for w in words if _URL_WORD_SPLIT.search(w)]
        if bad:
            raise ConfigError(f"words_path {self.words_path!r}: {bad[0]!r} has characters other than letters and "
                              "digits, and URLs are split on them, so it can never match; list its parts instead")
        return frozenset(words)

    def reason(self, text: str) -> str | None:
        """The first list ``text`` (a URL) is on, or None; pure Python, no Spark."""
        host = url_host(text)
        if host and self.blocked_domains and any(d in self.blocked_domains for d in domain_suffixes(host)):
            return URL_BLOCKED_DOMAIN
        if self.blocked_urls and url_key(text) in self.blocked_urls:
            return URL_BLOCKED_URL
        if self.blocked_words and not self.blocked_words.isdisjoint(_URL_WORD_SPLIT.split(text.lower())):
            return URL_BLOCKED_WORD
        return None


@dataclass(frozen=True, kw_only=True)
class BadWordsFilter(Filter):
    """Drop documents containing any word of a user's list (C4's bad-words rule), per language if asked.

    C4 (Raffel et al. 2020) dropped every page with a word of the "List of Dirty, Naughty, Obscene,
    and Otherwise Bad Words"; byod ships no list: the user gives files. The lower-cased text matches
    an entry when the entry stands between non-word characters or the text's ends, as C4's regex
    ``(?:\\W|^)word(?:\\W|$)`` does; for ``ja``, ``th`` and ``zh`` lists an entry matches anywhere.
    ``words_path`` applies to every document; ``language_words_paths`` adds a list per value of the
    ``language`` column (documents whose language is null use ``default_language``). Runs in Spark SQL:
    one-word entries are a hash lookup over the text's words, others one regex. Reference: DataTrove
    0.9.0 ``C4BadWordsFilter`` (which downloads its lists).

    Args:
        words_path: file of words for every document (one per line, ``#`` comments allowed); None: none.
        language_words_paths: ``{language code: file}``, checked on documents of that language.
        default_language: the language of documents without one (or of every document when the frame
            has no ``language`` column); None: such documents get only ``words_path``.

    Reason code: ``badwords.found``.
    """

    words_path: str | None = None
    language_words_paths: Mapping[str, str] | None = None
    default_language: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.words_path is None and not self.language_words_paths:
            raise ConfigError(f"{self.name} needs words_path or language_words_paths (a file per language)")
        if self.language_words_paths is not None:
            if not isinstance(self.language_words_paths, Mapping):
                raise ConfigError(f"{self.name}.language_words_paths must map language codes to files, "
                                  f"got {self.language_words_paths!r}")
            object.__setattr__(self, "language_words_paths", dict(self.language_words_paths))
        _ = self.word_lists  # read the files now, on the driver

    @cached_property
    def word_lists(self) -> dict[str | None, tuple[str, ...]]:
        """Lower-case entries per language (key None: every document), read once."""
        lists: dict[str | None, tuple[str, ...]] = {}
        if self.words_path is not None:
            lists[None] = tuple(sorted({w.lower() for w in read_list(self.words_path, "words_path")}))
        for language, path in (self.language_words_paths or {}).items():
            lists[language] = tuple(sorted({w.lower() for w in read_list(path, f"language_words_paths.{language}")}))
        return lists

    @staticmethod
    def _matches(lowered: Column, words_col: Column, entries: tuple[str, ...], unspaced: bool) -> Column:
        """True when ``lowered`` (the lower-cased text) holds one of ``entries`` as C4 matches them."""
        if unspaced:
            return F.exists(F.array(*(F.lit(e) for e in entries)), lambda e: F.instr(lowered, e) > 0)
        single = [e for e in entries if _ONE_WORD.fullmatch(e)]
        other = [e for e in entries if not _ONE_WORD.fullmatch(e)]
        found = F.lit(False)
        if single:
            # isin over many literals becomes a hash set (Spark's InSet), built once per task.
            found = found | F.exists(words_col, lambda w: w.isin(single))
        if other:
            found = found | lowered.rlike(r"(?U)(?:\W|^)(?:{})(?:\W|$)".format("|".join(re.escape(e) for e in other)))
        return found

    def annotate(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, TEXT)
        lists = self.word_lists
        if any(k is not None for k in lists) and LANGUAGE not in df.columns and self.default_language is None:
            raise SchemaError(f"{self.name} has per-language lists but the frame has no '{LANGUAGE}' column; "
                              "run LanguageFilter first or set default_language")
        # Rows out of play get a null text, so no split or lookup is spent on them.
        lowered = F.lower(F.when(live_condition(df), F.col(TEXT)))
        words = F.split(lowered, _SPARK_NON_WORD)
        found = self._matches(lowered, words, lists[None], False) if None in lists else F.lit(False)
        language = F.col(LANGUAGE) if LANGUAGE in df.columns else F.lit(None).cast("string")
        language = F.coalesce(language, F.lit(self.default_language).cast("string"))
        per_language = None
        for code, entries in lists.items():
            if code is None:
                continue
            check = self._matches(lowered, words, entries, code in UNSPACED_LANGUAGES)
            per_language = (F.when(language == code, check) if per_language is None
                            else per_language.when(language == code, check))
        if per_language is not None:
            found = found | F.coalesce(per_language, F.lit(False))
        return df.withColumn(STAGE_REASON, F.when(lowered.isNotNull() & found, F.lit(BADWORDS_FOUND)))
