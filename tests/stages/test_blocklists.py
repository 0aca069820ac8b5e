"""UrlFilter and BadWordsFilter (byod/stages/blocklists.py): one crafted URL or text per reason code, real
documents that must be kept, list-file errors raised at construction, per-language lists, and a Pipeline."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace

import pytest

from byod.columns import DROP_REASON, DROP_STAGE, ID, SOURCE, TEXT, URL
from byod.errors import ConfigError, SchemaError
from byod.pipeline import Pipeline
from byod.stages.blocklists import (
    BADWORDS_FOUND,
    URL_BLOCKED_DOMAIN,
    URL_BLOCKED_URL,
    URL_BLOCKED_WORD,
    BadWordsFilter,
    UrlFilter,
    read_list,
)


def _write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


@pytest.fixture
def url_filter(tmp_path) -> UrlFilter:
    return UrlFilter(
        domains_path=_write(tmp_path / "domains.txt", "# adult sites\nexample.com\n\n*.casino.test\n"),
        urls_path=_write(tmp_path / "urls.txt", "https://news.test/Spam/Page?id=1\n"),
        words_path=_write(tmp_path / "words.txt", "# words\nporn\ncasino\n"),
    )


@pytest.fixture
def bad_words(tmp_path) -> BadWordsFilter:
    return BadWordsFilter(
        words_path=_write(tmp_path / "en.txt", "# team list\nbadword\nnasty phrase\na$$\n"),
        language_words_paths={"de": _write(tmp_path / "de.txt", "schimpfwort\n"),
                              "zh": _write(tmp_path / "zh.txt", "坏词\n")},
    )


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://example.com/page", URL_BLOCKED_DOMAIN),
        ("http://a.b.EXAMPLE.com:8080/x", URL_BLOCKED_DOMAIN),  # subdomain, case and port
        ("https://www.casino.test/", URL_BLOCKED_DOMAIN),  # "*.casino.test" lists the domain
        ("example.com/no/scheme", URL_BLOCKED_DOMAIN),
        ("HTTPS://News.Test/Spam/Page?id=1#top", URL_BLOCKED_URL),  # case of scheme/host, fragment ignored
        ("https://video.test/free-PORN/clip", URL_BLOCKED_WORD),  # words are lower-cased
        ("https://games.test/best_casino_2024", URL_BLOCKED_WORD),
        ("https://notexample.com/", None),  # a different domain, not a parent
        ("https://example.com.evil.test/", None),
        ("https://news.test/Spam/Page?id=2", None),
        ("https://pornography.test/", None),  # words are whole: "pornography" is not "porn"
        ("deb://sqlite3-doc/sqlite3/support.html", None),
    ],
)
def test_url_reasons(url_filter, url, code) -> None:
    assert url_filter.reason(url) == code


BAD_WORD_TEXTS = [
    ("This has a BadWord, in it.", BADWORDS_FOUND),
    ("badword", BADWORDS_FOUND),
    ("It was a nasty  phrase? no: a nasty phrase.", BADWORDS_FOUND),  # multi-word entry
    ("You a$$!", BADWORDS_FOUND),  # entry with symbols
    ("badwords and mybadword and bad_word are other words.", None),  # word boundaries
    ("A nasty phrases list.", None),
]


def test_bad_words_for_every_document(spark, bad_words) -> None:
    df = spark.createDataFrame([(str(i), t, None) for i, (t, _) in enumerate(BAD_WORD_TEXTS)],
                               f"{ID} string, {TEXT} string, language string")
    out = {r[ID]: r[DROP_REASON] for r in replace(bad_words, keep_all=True)(df).collect()}
    assert [out[str(i)] for i in range(len(BAD_WORD_TEXTS))] == [code for _, code in BAD_WORD_TEXTS]


def test_bad_words_per_language_and_default(spark, bad_words, tmp_path) -> None:
    rows = [("de1", "Ein Schimpfwort hier.", "de"), ("en1", "Ein Schimpfwort hier.", "en"),
            ("zh1", "这是坏词的例子", "zh"), ("de2", "这是坏词的例子", "de"), ("no", "Ein Schimpfwort hier.", None),
            ("all", "badword überall", "de")]
    df = spark.createDataFrame(rows, f"{ID} string, {TEXT} string, language string")
    out = {r[ID]: r[DROP_REASON] for r in replace(bad_words, keep_all=True)(df).collect()}
    assert out == {"de1": BADWORDS_FOUND, "en1": None, "zh1": BADWORDS_FOUND, "de2": None, "no": None,
                   "all": BADWORDS_FOUND}
    german = BadWordsFilter(language_words_paths={"de": str(tmp_path / "de.txt")}, default_language="de")
    assert [r[ID] for r in german(df.drop("language")).collect()] == ["zh1", "de2", "all"]
    with pytest.raises(SchemaError, match="no 'language' column"):
        BadWordsFilter(language_words_paths={"de": str(tmp_path / "de.txt")})(df.drop("language"))


def test_real_documents_are_kept(spark, corpora, url_filter, bad_words) -> None:
    with gzip.open(corpora / "web_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle][:40]
    assert all(url_filter.reason(d["url"]) is None for d in docs)
    df = spark.createDataFrame([(str(i), d["text"], d["url"]) for i, d in enumerate(docs)],
                               f"{ID} string, {TEXT} string, {URL} string")
    assert df.transform(BadWordsFilter(words_path=bad_words.words_path)).count() == len(docs)


def test_both_in_a_pipeline_with_reasons_and_sources(spark, url_filter, tmp_path) -> None:
    words = BadWordsFilter(words_path=_write(tmp_path / "w.txt", "badword\n"), sources=["web"])
    rows = [("a", "fine text", "web", "https://ok.test/"), ("b", "fine text", "web", "https://x.example.com/"),
            ("c", "has a badword", "web", "https://ok.test/porn"), ("d", "has a badword", "web", "https://ok.test/"),
            ("e", "has a badword", "books", None)]
    df = spark.createDataFrame(rows, f"{ID} string, {TEXT} string, {SOURCE} string, {URL} string")
    annotated = {r[ID]: (r[DROP_REASON], r[DROP_STAGE]) for r in Pipeline([url_filter, words]).annotate(df).collect()}
    assert annotated == {"a": (None, None), "b": (URL_BLOCKED_DOMAIN, "UrlFilter"),
                         "c": (URL_BLOCKED_WORD, "UrlFilter"), "d": (BADWORDS_FOUND, "BadWordsFilter"),
                         "e": (None, None)}
    with pytest.raises(SchemaError, match=r"UrlFilter needs column\(s\) \['url'\]"):
        url_filter(df.drop(URL))


def test_list_errors_are_one_line_config_errors_at_construction(tmp_path) -> None:
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(ConfigError, match=r"domains_path '.*missing\.txt' is not a file"):
        UrlFilter(domains_path=missing)
    empty = _write(tmp_path / "empty.txt", "# only a comment\n\n   \n")
    with pytest.raises(ConfigError, match=r"words_path '.*empty\.txt' has no entries"):
        BadWordsFilter(words_path=empty)
    latin1 = _write(tmp_path / "latin1.txt", b"ok\nfine\ngro\xdf\n")
    with pytest.raises(ConfigError, match=r"urls_path '.*latin1\.txt' line 3 is not UTF-8") as caught:
        UrlFilter(urls_path=latin1)
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"language_words_paths.de '.*missing\.txt' is not a file"):
        BadWordsFilter(language_words_paths={"de": missing})
    with pytest.raises(ConfigError, match="can never match"):
        UrlFilter(words_path=_write(tmp_path / "dash.txt", "sex-cam\n"))
    with pytest.raises(ConfigError, match="needs at least one"):
        UrlFilter()
    with pytest.raises(ConfigError, match="needs words_path or language_words_paths"):
        BadWordsFilter()
    assert read_list(_write(tmp_path / "bom.txt", "\ufeffone\n # two\ntwo\n"), "x") == ("one", "two")
