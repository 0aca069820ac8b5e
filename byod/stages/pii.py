"""PII redaction: e-mail addresses, IP addresses, phone numbers (and, optionally, card numbers) become placeholders."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.columns import SOURCE, STAGE_REASON, TEXT, WORK_PREFIX
from byod.errors import ConfigError, SchemaError
from byod.stages.base import Filter, live_condition, require_columns
from byod.stages.rules import struct_udf

#: The kinds of PII the stage counts, in the order it replaces them (and the order of its count fields).
KINDS = ("email", "credit_card", "ipv6", "ipv4", "phone")
#: The working column holding each document's replacement counts; the report's stats sum it.
PII_COUNTS = f"{WORK_PREFIX}pii_counts"
_RESULT = f"{WORK_PREFIX}pii_result"

# A dot-atom local part, an "@", host labels and a final alphabetic label of two letters or more (so
# "user@localhost" and "x@1.2" stay). The lookbehind keeps the match from starting inside a longer token.
EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-])"
)
# Each pattern but the e-mail one opens with a lookahead for its first character: the engine then rejects
# most positions on one character test before it evaluates the lookbehinds (about 2x faster, same matches).
# Four octets of 0-255 without leading zeros, not inside a longer dotted run of numbers (so the version
# "1.2.3.4.5" and "300.1.1.1" are not addresses), nor glued to letters or digits.
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?=\d)(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?!\w|\.\d)")
# Hex groups and colons (at least two colons), optionally ending in a dotted IPv4; ipaddress decides.
IPV6 = re.compile(r"(?=[0-9A-Fa-f:])(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])")
# Phone numbers only in shapes dates and plain numbers do not take: an international "+<country>"
# prefix followed by digit groups, or the North American 3-3-4 grouping "(555) 123-4567" / "555.123.4567"
# (optionally after "1 "). A date ("2021-05-06", "06.05.2021") has neither shape.
PHONE = re.compile(
    r"(?=[+(\d])(?<![\w+])(?<!\d[-.])(?:"
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,5}"
    r"|(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}"
    r")(?!\w|[-.]\d)"
)
# Card numbers as printed: 13-19 digits in one run, four groups of 4 (the last 1-4 digits long) or Amex's
# 4-6-5, the groups split by one space or one dash used throughout (so "1675 2008-06-09 13", a file size
# before a date, is not a candidate). The Luhn check decides.
CREDIT_CARD = re.compile(
    r"(?=\d)(?<![\w.-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}|\d{4}([ -])\d{6}\2\d{5})(?![\w-]|\.\d)")


#: Necessary conditions, one per kind, that Python's regex engine scans for fast (they start with a plain
#: character class or literal, which the full patterns' lookbehinds prevent): a text without one cannot
#: match the kind's pattern, so the full scan is skipped. Each is a sub-pattern every full match contains.
CANDIDATES: dict[str, re.Pattern[str]] = {
    "email": re.compile("@"),
    "credit_card": re.compile(r"\d{4}[ -]?\d{4}"),  # 13+ digits, or 4 digits, a separator and 4 or 6 more
    "ipv6": re.compile(r":[0-9A-Fa-f]{0,4}:"),  # two colons with at most one hex group between them
    "ipv4": re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d"),  # the three dots and the digits around them
    "phone": re.compile(r"\+\d|\d{3}[ .-]\d{4}"),  # the "+<country>" prefix or the 3-4 tail of 3-3-4
}


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes; non-digits are ignored."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return bool(digits) and total % 10 == 0


def phone_digits_ok(match: str) -> bool:
    """An international number has 8 to 15 digits (ITU E.164); the 3-3-4 shape is checked by the regex."""
    digits = sum(c.isdigit() for c in match)
    return 8 <= digits <= 15 if match.startswith("+") else True


def ip_ok(match: str, public_only: bool) -> bool:
    """A real address (``ipaddress`` parses it) and, with ``public_only``, a globally routable one."""
    try:
        address = ipaddress.ip_address(match)
    except ValueError:
        return False
    return address.is_global or not public_only


@dataclass(frozen=True, kw_only=True)
class PIIRedact(Filter):
    """Replace personal identifiers in the text with fixed placeholders; no document is dropped.

    Web text carries e-mail addresses, server addresses and phone numbers of real people; a model
    trained on them can repeat them. In this order, each match is replaced by its kind's placeholder:
    e-mail addresses; (optional) 13-19 digit numbers passing the Luhn check; IPv6 then IPv4 addresses
    (parsed by ``ipaddress``; by default only globally routable ones, as private and documentation
    addresses are not personal); phone numbers with an international ``+`` prefix (8-15 digits) or the
    North American 3-3-4 grouping. A match equal to its placeholder is left alone, so running the stage
    twice changes nothing. Counts per kind go to the report (``stats``). Reference: DataTrove 0.9.0
    ``PIIFormatter`` (e-mails and IPv4 only); differences in ``docs/safety_filters.md``.

    Args:
        emails, ipv4, ipv6, phones: redact that kind.
        credit_cards: redact Luhn-valid card-like numbers (off by default: long ids pass Luhn 1 in 10).
        public_ips_only: redact only globally routable IPs (DataTrove's default); False redacts any valid one.
        email_placeholder, ipv4_placeholder, ipv6_placeholder, phone_placeholder, credit_card_placeholder:
            the text each match becomes.

    Reason codes: none (the stage edits text only); ``keep_all`` has nothing to keep.
    """

    emails: bool = True
    ipv4: bool = True
    ipv6: bool = True
    phones: bool = True
    credit_cards: bool = False
    public_ips_only: bool = True
    email_placeholder: str = "email@example.com"
    ipv4_placeholder: str = "22.214.171.124"
    ipv6_placeholder: str = "2001:db8::1"
    phone_placeholder: str = "555-0100"
    credit_card_placeholder: str = "4111 1111 1111 1111"

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("emails", "ipv4", "ipv6", "phones", "credit_cards", "public_ips_only"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{self.name}.{name} must be true or false, got {getattr(self, name)!r}")
        for kind in KINDS:
            placeholder = getattr(self, f"{kind}_placeholder")
            if not isinstance(placeholder, str):
                raise ConfigError(f"{self.name}.{kind}_placeholder must be a string, got {placeholder!r}")

    def _enabled(self) -> list[tuple[str, re.Pattern[str], str]]:
        """(kind, pattern, placeholder) of each kind switched on, in replacement order."""
        switch = {"email": self.emails, "credit_card": self.credit_cards, "ipv6": self.ipv6, "ipv4": self.ipv4,
                  "phone": self.phones}
        patterns = {"email": EMAIL, "credit_card": CREDIT_CARD, "ipv6": IPV6, "ipv4": IPV4, "phone": PHONE}
        return [(k, patterns[k], getattr(self, f"{k}_placeholder")) for k in KINDS if switch[k]]

    def _valid(self, kind: str, match: str) -> bool:
        if kind == "credit_card":
            return luhn_valid(match)
        if kind in ("ipv4", "ipv6"):
            return ip_ok(match, self.public_ips_only)
        if kind == "phone":
            return phone_digits_ok(match)
        return True

    def redact(self, text: str) -> tuple[str, ...]:
        """``(new text, count per kind in KINDS order)``; pure Python, testable without Spark."""
        counts = dict.fromkeys(KINDS, 0)
        for kind, pattern, placeholder in self._enabled():
            if not CANDIDATES[kind].search(text):  # most documents hold no candidate of most kinds
                continue

            def replace(match: re.Match[str], kind: str = kind, placeholder: str = placeholder) -> str:
                found = match.group(0)
                if found == placeholder or not self._valid(kind, found):
                    return found
                counts[kind] += 1
                return placeholder

            text = pattern.sub(replace, text)
        return (text, *(counts[k] for k in KINDS))

    def _changes(self, text: str) -> tuple[str | None, ...]:
        """:meth:`redact` with a null text where nothing was replaced: most texts need not travel back."""
        redacted, *counts = self.redact(text)
        return (redacted if any(counts) else None, *counts)

    def annotate(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, TEXT, *((SOURCE,) if self.sources is not None else ()))
        clash = [c for c in (PII_COUNTS, _RESULT) if c in df.columns]
        if clash:
            raise SchemaError(f"{self.name} writes {clash} but the frame already has them; use the stage once")
        fields = (("text", "string"), *((k, "int") for k in KINDS))
        scored = df.withColumn(_RESULT, struct_udf(self._changes, fields)(F.when(live_condition(df), F.col(TEXT))))
        result = F.col(_RESULT)
        # Only a document with a replacement gets a new text value; the others keep theirs untouched.
        changed = result["text"].isNotNull()
        return scored.withColumns({
            TEXT: F.when(changed, result["text"]).otherwise(F.col(TEXT)),
            PII_COUNTS: F.struct(*(result[k].alias(k) for k in KINDS)),
            STAGE_REASON: F.lit(None).cast("string"),
        }).drop(_RESULT)

    def __call__(self, df: DataFrame) -> DataFrame:
        """Used alone: the redacted frame, without the working counts column (a Pipeline keeps it for stats)."""
        return super().__call__(df).drop(PII_COUNTS)

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        """Replacements per kind and documents changed, summed over the annotated frame (one small job)."""
        if PII_COUNTS not in annotated.columns:
            return {"replaced": dict.fromkeys(KINDS, 0), "documents_changed": 0}
        counts = F.col(PII_COUNTS)
        per_doc = sum((F.coalesce(counts[k], F.lit(0)) for k in KINDS), F.lit(0))
        row = annotated.agg(*(F.sum(counts[k]).alias(k) for k in KINDS),
                            F.sum(F.when(per_doc > 0, 1).otherwise(0)).alias("changed")).collect()[0]
        return {"replaced": {k: int(row[k] or 0) for k in KINDS}, "documents_changed": int(row["changed"] or 0)}
