"""Per-record parsing without Spark: one crafted record per reason code, plus good records."""

from __future__ import annotations

import pytest

from byod.sources.arxiv_pdf import PDF_ENCRYPTED, PDF_NO_TEXT, PDF_UNREADABLE, extract_pdf_text
from byod.sources.base import MAX_RAW_CHARS
from byod.sources.quarantine import BlockCounter, local_path, relative_key, truncate_raw
from byod.sources.records import (
    JSONL_BAD_JSON,
    JSONL_EMPTY_TEXT,
    JSONL_INVALID_UTF8,
    JSONL_MISSING_TEXT,
    JSONL_WRONG_TYPE,
    TEXT_EMPTY_TEXT,
    TEXT_INVALID_UTF8,
    parse_json_record,
    parse_text_record,
)
from tests.sources.pdfs import broken_pdf, encrypt_pdf, make_pdf


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"text": "unterminated, "url": "x"}', JSONL_BAD_JSON),
        (b'{"text": "caf\xe9"}', JSONL_INVALID_UTF8),
        (b'{"text": "lone \\ud800 half"}', JSONL_INVALID_UTF8),
        (b'{"url": "u"}', JSONL_MISSING_TEXT),
        (b'{"text": null}', JSONL_MISSING_TEXT),
        (b'{"text": ["a"]}', JSONL_WRONG_TYPE),
        (b'"just a string"', JSONL_WRONG_TYPE),
        (b'{"text": " \\n\\t "}', JSONL_EMPTY_TEXT),
    ],
)
def test_json_reasons(line, reason):
    parsed = parse_json_record(line, text_field="text", key_field="url", metadata_fields=("url",))
    assert parsed.reason == reason
    assert parsed.text is None
    assert len(parsed.metadata) == 1


def test_json_good_record_keeps_key_and_metadata():
    line = '{"text": "Ünïcode ok", "url": "https://e.org/a", "n": 3, "tags": ["x"]}'.encode()
    parsed = parse_json_record(line, text_field="text", key_field="url", metadata_fields=("url", "n", "tags", "gone"))
    assert (parsed.text, parsed.reason, parsed.key) == ("Ünïcode ok", None, "https://e.org/a")
    assert parsed.metadata == ("https://e.org/a", "3", '["x"]', None)


@pytest.mark.parametrize(
    ("data", "fallback", "text", "reason"),
    [
        (b"plain", None, "plain", None),
        (b"caf\xe9", None, None, TEXT_INVALID_UTF8),
        (b"caf\xe9", "latin-1", "café", None),
        (b"  \n ", None, None, TEXT_EMPTY_TEXT),
    ],
)
def test_text_records(data, fallback, text, reason):
    parsed = parse_text_record(data, fallback_encoding=fallback)
    assert (parsed.text, parsed.reason) == (text, reason)


def test_block_counter_numbers_lines_per_split():
    counter = BlockCounter()
    assert [counter.next("a", 0) for _ in range(3)] == [":1", ":2", ":3"]
    assert counter.next("b", 0) == ":1"
    assert counter.next("b", 128) == "@128+1"


def test_paths_and_raw_helpers():
    assert local_path("file:/data/a%20b/c.jsonl") == "/data/a b/c.jsonl"
    assert local_path("s3://bucket/k.jsonl") == "s3://bucket/k.jsonl"
    assert relative_key("/data/x/y.tex", "/data") == "x/y.tex"
    assert relative_key("/other/y.tex", "/data") == "/other/y.tex"
    assert len(truncate_raw("x" * (MAX_RAW_CHARS + 5))) == MAX_RAW_CHARS
    assert truncate_raw(b"ok\xff") == "ok\ufffd"


def test_pdf_extraction_reasons():
    good = make_pdf(["First page text.", "Second page (text)."])
    assert extract_pdf_text(good)[0].text == "First page text.\n\nSecond page (text)."
    assert extract_pdf_text(good, max_pages=1)[0].text == "First page text."
    assert extract_pdf_text(broken_pdf(good))[0].reason == PDF_UNREADABLE
    assert extract_pdf_text(b"")[0].reason == PDF_UNREADABLE
    locked = encrypt_pdf(good, user_password="secret")
    assert extract_pdf_text(locked)[0].reason == PDF_ENCRYPTED
    assert extract_pdf_text(locked, password="secret")[0].text.startswith("First page")
    assert extract_pdf_text(encrypt_pdf(good, user_password=""))[0].reason is None
    assert extract_pdf_text(make_pdf([""]))[0].reason == PDF_NO_TEXT


def test_reserved_metadata_names():
    from byod.sources.quarantine import check_metadata_names

    check_metadata_names(("url", "lang"))
    with pytest.raises(ValueError, match="clash"):
        check_metadata_names(("url", "path"))
