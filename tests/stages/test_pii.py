"""PIIRedact (byod/stages/pii.py): one crafted text per kind, look-alikes that must stay (versions, dates,
private addresses, ids), real documents, placeholders, stats counts, sources, and use inside a Pipeline."""

from __future__ import annotations

import gzip
import json

import pytest

from byod.columns import DROP_REASON, ID, SOURCE, TEXT
from byod.errors import ConfigError, SchemaError
from byod.pipeline import Pipeline
from byod.stages.pii import KINDS, PII_COUNTS, PIIRedact, luhn_valid

ALL = PIIRedact(credit_cards=True)


def _counts(text: str, stage: PIIRedact = ALL) -> dict[str, int]:
    return {k: n for k, n in zip(KINDS, stage.redact(text)[1:]) if n}


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("email", "Write to jane.doe+news@mail.example.co.uk today.", "Write to email@example.com today."),
        ("email", "<drh@hwaci.com>", "<email@example.com>"),
        ("ipv4", "The server 8.8.8.8 answered.", "The server 22.214.171.124 answered."),
        ("ipv6", "Reach 2606:4700:4700::1111 now.", "Reach 2001:db8::1 now."),
        ("ipv6", "full form 2a00:1450:4001:0811:0000:0000:0000:200e.", "full form 2001:db8::1."),
        ("phone", "Call +44 20 7946 0958 please.", "Call 555-0100 please."),
        ("phone", "Call (415) 555-2671 or 415.555.2671.", "Call 555-0100 or 555-0100."),
        ("phone", "Toll free 1-800-555-0199.", "Toll free 555-0100."),
        ("credit_card", "Card 4012 8888 8888 1881 expired.", "Card 4111 1111 1111 1111 expired."),
        ("credit_card", "Card 5555-5555-5555-4444.", "Card 4111 1111 1111 1111."),
    ],
)
def test_each_kind_is_replaced_and_counted(kind, text, expected) -> None:
    redacted, *counts = ALL.redact(text)
    assert redacted == expected
    assert {k: n for k, n in zip(KINDS, counts) if n} == {kind: expected.count(getattr(ALL, f"{kind}_placeholder"))}


@pytest.mark.parametrize(
    "text",
    [
        "Released 1.2.3.4.5 and 2.10.300.1 and v1.2.3.4 and 1234.5.6.7.",  # versions, invalid octets
        "Private 192.168.0.1, 10.0.0.1, 127.0.0.1 and docs 192.0.2.7; ::1 and fe80::1 and 2001:db8::5.",
        "Dates 2021-05-06, 06.05.2021, 12/05/2020, 2020-12-31 23:59:59 and 1 000 000 people.",
        "ISBN 978-3-16-148410-0, order 12345678, pi 3.14159265, id 1234567812345678.",
        "C++ std::vector and a::b::c, time 12:30:45, MAC 00:1A:2B:3C:4D:5E, ratio 16:9.",
        "user@localhost, @handle, a@b, name at example dot com.",
        "Already email@example.com and 22.214.171.124 and 555-0100.",
    ],
)
def test_look_alikes_and_placeholders_stay(text) -> None:
    assert ALL.redact(text) == (text, *(0 for _ in KINDS))


def test_switches_placeholders_and_public_only() -> None:
    text = "a@b.io 8.8.8.8 10.0.0.1 +33 1 23 45 67 89 4012888888881881"
    assert _counts(text, PIIRedact()) == {"email": 1, "ipv4": 1, "phone": 1}  # cards are off by default
    assert _counts(text, PIIRedact(public_ips_only=False)) == {"email": 1, "ipv4": 2, "phone": 1}
    stage = PIIRedact(emails=False, phones=False, ipv4_placeholder="<IP>")
    assert stage.redact(text)[0] == "a@b.io <IP> 10.0.0.1 +33 1 23 45 67 89 4012888888881881"
    assert luhn_valid("79927398713") and not luhn_valid("79927398710") and not luhn_valid("")


def test_bad_settings_fail_at_construction() -> None:
    with pytest.raises(ConfigError, match="PIIRedact.phones must be true or false"):
        PIIRedact(phones="yes")
    with pytest.raises(ConfigError, match="email_placeholder must be a string"):
        PIIRedact(email_placeholder=None)


def test_real_documents_keep_their_text(corpora) -> None:
    """Manual pages from the shared corpus: at most a handful of changes, never a version or a date."""
    with gzip.open(corpora / "web_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle][:60]
    changed = [t for t in texts if ALL.redact(t)[0] != t]
    assert len(changed) < len(texts) // 4
    sqlite = next(t for t in texts if "2020-03-12" in t)
    assert "2020-03-12" in ALL.redact(sqlite)[0]


def test_in_a_pipeline_counts_reach_stats_and_nothing_is_dropped(spark, tmp_path) -> None:
    rows = [("a", "mail bob@corp.example.org or 8.8.4.4", "web"), ("b", "no pii here, version 1.2.3.4.5", "web"),
            ("c", "call +1 202 555 0143 and +1 202 555 0144", "web"), ("d", "x@y.example.com", "arxiv")]
    df = spark.createDataFrame(rows, f"{ID} string, {TEXT} string, {SOURCE} string")
    stage = PIIRedact(sources=["web"])
    result = Pipeline([stage]).run(df, work_dir=str(tmp_path / "work"))
    kept = {r[ID]: r[TEXT] for r in result.kept.collect()}
    assert kept == {"a": "mail email@example.com or 22.214.171.124", "b": rows[1][1],
                    "c": "call 555-0100 and 555-0100", "d": "x@y.example.com"}
    assert PII_COUNTS not in result.kept.columns
    stats = result.stage_details[0]["stats"]
    assert stats == {"replaced": {"email": 1, "credit_card": 0, "ipv6": 0, "ipv4": 1, "phone": 2},
                     "documents_changed": 2}
    assert result.counts["totals"]["kept"] == 4


def test_alone_rows_already_out_are_untouched_and_schema_checked(spark) -> None:
    df = spark.createDataFrame([("a", "bob@corp.example.org", "gopher.short_doc"), ("b", "bob@corp.example.org", None)],
                               f"{ID} string, {TEXT} string, {DROP_REASON} string")
    rows = {r[ID]: r for r in PIIRedact(keep_all=True)(df).collect()}
    assert (rows["a"][TEXT], rows["b"][TEXT]) == ("bob@corp.example.org", "email@example.com")
    assert PII_COUNTS not in PIIRedact()(df).columns
    with pytest.raises(SchemaError, match=r"needs column\(s\) \['text'\]"):
        PIIRedact()(df.drop(TEXT))


# --- the candidate prefilters: a text they reject must hold no match of the kind ---------------------------
_PATTERNS = {"email": "EMAIL", "credit_card": "CREDIT_CARD", "ipv6": "IPV6", "ipv4": "IPV4", "phone": "PHONE"}


def _candidate_misses(texts) -> list[tuple[str, str]]:
    """(kind, match) for every full-pattern match in which the kind's candidate pattern finds nothing."""
    from byod.stages import pii

    missed = []
    for kind, name in _PATTERNS.items():
        for text in texts:
            for match in getattr(pii, name).finditer(text):
                if not pii.CANDIDATES[kind].search(match.group(0)):
                    missed.append((kind, match.group(0)))
    return missed


def test_every_match_holds_its_kinds_candidate_on_real_text(corpora) -> None:
    texts = []
    for name in ("web_public.jsonl.gz", "latex_public.jsonl.gz"):
        with gzip.open(corpora / name, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle]
    crafted = ["+44 20 7946 0958", "(555) 123-4567", "1 555.123.4567", "4111-1111-1111-1111", "378282246310005",
               "3782 822463 10005", "1:2:3:4:5:6:7:8", "::ffff:8.8.8.8", "8.8.8.8",
               "a@b.co", "x.y+z@mail.example.org"]
    pattern_only = ["+1 2 34", "::1", "fe80::1%eth0"]  # the patterns match; the checks after them say no
    assert not _candidate_misses(texts + crafted + pattern_only)
    assert all(any(ALL.redact(t)[1:]) for t in crafted)  # the crafted ones are redacted: the test sees matches


hypothesis = pytest.importorskip("hypothesis")


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(hypothesis.strategies.lists(hypothesis.strategies.sampled_from(
    ["+", "1", "7", "12", "255", "4111", "378282", " ", ".", "-", ":", "::", "(", ")", "@", "a", "ex.org", "fF", "\n"]),
    max_size=24).map("".join))
def test_the_candidate_prefilters_change_no_redaction(text: str) -> None:
    import re

    from byod.stages import pii

    assert not _candidate_misses([text])
    with pytest.MonkeyPatch.context() as patch:  # every text a candidate of every kind: the full scans always run
        patch.setattr(pii, "CANDIDATES", dict.fromkeys(pii.CANDIDATES, re.compile("")))
        unfiltered = ALL.redact(text)
    assert ALL.redact(text) == unfiltered
