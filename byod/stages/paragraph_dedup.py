"""Cross-document paragraph (or line, or three-sentence span) dedup: boilerplate shared by many pages goes.

Navigation bars, cookie notices, licence blocks and footers repeat across thousands of pages of a site
and survive document-level dedup because the rest of each page differs. C4 (Raffel et al. 2020, sec. 2.2)
"discarded all but one of any three-sentence span occurring more than once in the data set"; DataTrove
0.9.0 ships that rule as ``SentenceDedupSignature``/``SentenceFindDedups``/``SentenceDedupFilter``.

How it works, in DataFrame operations only: each live text is split into units after a regex match,
so every unit keeps the whitespace after it and the units joined back give the text byte for byte;
spans (one unit, or three consecutive sentences) are normalised and hashed (two hashes, 96 bits),
exploded with their position, grouped by hash to count distinct documents and find the smallest id,
and the positions to remove are gathered per document and joined back. Texts are rebuilt by an array
filter on positions, never by partition order, so the output is the same for any partitioning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from byod.columns import ID, STAGE_REASON, TEXT
from byod.errors import ConfigError
from byod.stages.base import Filter, live_condition, require_columns
from byod.stages.decontaminate import word_grams
from byod.stages.dedup.survivor import reason_column

PARAGRAPH_EMPTY = "paragraph_dedup.empty"
#: Working column: how many units were removed from a live document (null when none).
UNITS_REMOVED = "_byod_paragraph_removed"
_TEXT_HASH = "_byod_paragraph_text"
_REMOVED = "_byod_paragraph_positions"
_H1, _H2, _KEEP = "_byod_paragraph_h1", "_byod_paragraph_h2", "_byod_paragraph_keep"
#: Where a unit ends (Java regexes; the match is the whitespace that stays with the unit before it):
#: a line after its newline; a paragraph after a whitespace run holding two or more newlines; a sentence
#: after ``.``/``!``/``?`` (closing quotes or brackets allowed) and whitespace, or after a newline. A mark
#: is put after each match and the text split on it: variable-length lookbehinds cost ~200 steps a char.
ENDS = {
    "line": r"(\n)",
    "paragraph": r"(\n\s*\n\s*)(?=\S)",
    "sentence": r"([.!?][\"'\u201d\u2019)\]]{0,2}\s+|\n\s*)(?=\S)",
}
#: The mark: a noncharacter; a text that holds it is one unit (never split, so never changed).
_MARK = "\uffff"
_SPACES = r"\s+"


def split_units(text: Column, unit: str) -> Column:
    """The units of ``text``, each with the whitespace after it: ``array_join(units, "")`` equals ``text``."""
    marked = F.regexp_replace(text, ENDS[unit], "$1" + _MARK)
    return F.when(F.instr(text, _MARK) > 0, F.array(text)).otherwise(F.split(marked, _MARK))


def normalize_unit(unit: Column) -> Column:
    """What two units must share to match: the text with whitespace runs collapsed and ends trimmed."""
    return F.trim(F.regexp_replace(unit, _SPACES, " "))


@dataclass(frozen=True, kw_only=True)
class ParagraphDedup(Filter):
    """Remove paragraphs (or lines, or C4's three-sentence spans) that occur in many documents.

    Rules, in order: split each live text into units (paragraphs: separated by blank lines; lines;
    sentences); a span is one unit, or with ``span="sentences3"`` three consecutive sentences; spans are
    compared after collapsing whitespace runs and trimming (case and punctuation count). A span found in
    more than ``max_docs`` distinct documents is removed from every document but the one with the
    smallest ``id`` (C4 keeps one copy; the smallest id makes the copy independent of input order).
    Within that document all its copies stay (repetition inside a page is Gopher's rule). A removed
    unit takes the whitespace after it along; a changed text loses trailing whitespace. A document left
    with no non-blank unit is dropped (its text is kept as it was, for the report).

    ``max_docs`` defaults to 3, not C4's 1: a single unit (a heading, a quoted line) is far more often
    legitimately shared by two or three pages than a three-sentence span is, while boilerplate repeats
    across a site's pages by the hundreds; set 1 for C4's "more than once".

    Args:
        unit: ``"paragraph"`` (split on blank lines) or ``"line"``; with ``span="sentences3"`` units are
            sentences and this setting is not used.
        span: ``"unit"`` (one paragraph or line) or ``"sentences3"`` (C4's three-sentence spans).
        max_docs: a span in more than this many documents is removed from all but one.
        min_words: spans with fewer whitespace-separated words are never removed (1: only blank ones are
            spared; 3 spares one-word headings and code braces in line mode).

    Reason code: ``paragraph_dedup.empty``.
    """

    unit: Literal["paragraph", "line"] = "paragraph"
    span: Literal["unit", "sentences3"] = "unit"
    max_docs: int = 3
    min_words: int = 1
    needs_materialized_input: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.unit not in ("paragraph", "line"):
            raise ConfigError(f"{self.name}.unit must be 'paragraph' or 'line'; got {self.unit!r}")
        if self.span not in ("unit", "sentences3"):
            raise ConfigError(f"{self.name}.span must be 'unit' or 'sentences3'; got {self.span!r}")
        for name, low in (("max_docs", 1), ("min_words", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{self.name}.{name} must be a whole number >= {low}; got {value!r}")

    @property
    def _split(self) -> str:
        return "sentence" if self.span == "sentences3" else self.unit

    @property
    def _width(self) -> int:
        """Units per span: C4's rule looks at three consecutive sentences."""
        return 3 if self.span == "sentences3" else 1

    def _spans(self, keyed: DataFrame) -> DataFrame:
        """``(id, text hash, pos, h1, h2)`` of every span of a live document that may be removed."""
        norms = F.transform(split_units(F.col(TEXT), self._split), normalize_unit)
        live = keyed.filter(live_condition(keyed) & F.col(TEXT).isNotNull()).select(ID, _TEXT_HASH, norms.alias("n"))
        spans = word_grams(F.col("n"), self._width)  # k consecutive units joined by a space
        exploded = (live.select(ID, _TEXT_HASH, F.posexplode(spans).alias("pos", "norm"))
                    .withColumn("norm", F.trim(F.regexp_replace("norm", " +", " "))))
        words = F.size(F.split(F.col("norm"), " "))
        return (exploded.filter((F.col("norm") != "") & (words >= self.min_words))
                .select(ID, _TEXT_HASH, "pos", F.xxhash64("norm").alias(_H1), F.hash("norm").alias(_H2)))

    def annotate(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, ID, TEXT)
        keyed = df.withColumn(_TEXT_HASH, F.xxhash64(TEXT))
        spans = self._spans(keyed)
        groups = (spans.select(_H1, _H2, ID).distinct()
                  .groupBy(_H1, _H2).agg(F.count(F.lit(1)).alias("docs"), F.min(ID).alias(_KEEP))
                  .filter(F.col("docs") > self.max_docs).drop("docs"))
        removed = (spans.join(groups, [_H1, _H2]).filter(F.col(ID) != F.col(_KEEP))
                   .select(ID, _TEXT_HASH, F.explode(F.sequence("pos", F.col("pos") + self._width - 1)).alias("pos"))
                   .groupBy(ID, _TEXT_HASH).agg(F.array_sort(F.collect_set("pos")).alias(_REMOVED)))
        out = keyed.join(removed, [ID, _TEXT_HASH], "left").drop(_TEXT_HASH)
        positions = F.col(_REMOVED)
        kept = F.filter(split_units(F.col(TEXT), self._split), lambda u, i: ~F.array_contains(positions, i))
        changed = positions.isNotNull()
        has_text = F.exists(kept, lambda u: F.trim(u) != "")
        rebuilt = F.regexp_replace(F.array_join(kept, ""), r"\s+$", "")
        return (out.withColumn(STAGE_REASON, F.when(changed & ~has_text, F.lit(PARAGRAPH_EMPTY)).cast("string"))
                .withColumn(TEXT, F.when(changed & has_text, rebuilt).otherwise(F.col(TEXT)))
                .withColumn(UNITS_REMOVED, F.when(changed, F.size(positions)))
                .drop(_REMOVED))

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        """Units removed, documents changed and documents emptied (dropped), in one small job."""
        if UNITS_REMOVED not in annotated.columns:
            return {}
        emptied = reason_column(annotated) == PARAGRAPH_EMPTY
        changed = F.col(UNITS_REMOVED).isNotNull()
        row = annotated.agg(F.sum(F.coalesce(F.col(UNITS_REMOVED), F.lit(0))).alias("units"),
                            F.sum(F.when(changed & ~F.coalesce(emptied, F.lit(False)), 1).otherwise(0)).alias("changed"),
                            F.sum(F.when(emptied, 1).otherwise(0)).alias("emptied")).collect()[0]
        label = "sentences" if self.span == "sentences3" else f"{self.unit}s"
        return {f"{label}_removed": int(row["units"] or 0), "documents_changed": int(row["changed"] or 0),
                "documents_emptied": int(row["emptied"] or 0)}
