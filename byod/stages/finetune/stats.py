"""The finetuning section of report.json, computed from the pipeline's persisted annotated frame.

Two Spark jobs: one aggregate for counts and token statistics, one ``groupBy`` for the histogram.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, REJECT_REASON
from byod.stages.base import live_condition
from byod.stages.finetune.split import EVAL, SPLIT, TRAIN
from byod.stages.finetune.tokenize import (
    INPUT_TOKENS,
    LOSS_TOKENS,
    PROMPT_TOKENS,
    RESPONSE_TOKENS,
    TOKENIZE_CODES,
    WRITTEN_TOKENS,
)
from byod.stages.finetune.validate import FT_FORMAT

PERCENTILES = (0.5, 0.9, 0.99)
#: Histogram bins per ``max_seq_len``; lengths beyond ``OVERFLOW_BINS`` bins share the last bin.
BINS_PER_MAX_LEN = 16
OVERFLOW_BINS = 4 * BINS_PER_MAX_LEN


def _distribution(column: str, kept: Column) -> list[Column]:
    value = F.when(kept, F.col(column))
    return [F.avg(value).alias(f"{column}:mean"), F.max(value).alias(f"{column}:max"),
            F.percentile(value, list(PERCENTILES)).alias(f"{column}:pct")]


def _summary(row: Any, column: str) -> dict[str, Any]:
    pct = row[f"{column}:pct"] or [None] * len(PERCENTILES)
    mean = row[f"{column}:mean"]
    return {"mean": round(mean, 3) if mean is not None else None,
            **{f"p{round(p * 100)}": (round(v, 3) if v is not None else None) for p, v in zip(PERCENTILES, pct)},
            "max": row[f"{column}:max"]}


def finetune_stats(annotated: DataFrame, *, max_seq_len: int | None) -> dict[str, Any]:
    """Examples in/valid/invalid by rule, per format, and (when tokenized) token figures and a histogram.

    ``token_histogram`` counts examples by stitched length *before* fitting to ``max_seq_len`` (bins
    ``max_seq_len / 16`` wide, keyed by their lower bound), so the plot shows what truncation cut.
    """
    kept = live_condition(annotated)
    aggregates = [F.count(F.lit(1)).alias("in"), F.count(F.col(REJECT_REASON)).alias("invalid"),
                  F.count_if(kept).alias("kept")]
    tokenized = INPUT_TOKENS in annotated.columns
    split = SPLIT in annotated.columns
    if tokenized:
        train = kept & (F.col(SPLIT) == TRAIN) if split else kept
        aggregates += [
            F.count(F.col(INPUT_TOKENS)).alias("tokenized"),
            F.count_if(F.col(INPUT_TOKENS) > F.lit(max_seq_len)).alias("exceeding"),
            F.count_if(kept & (F.col(WRITTEN_TOKENS) < F.col(INPUT_TOKENS))).alias("truncated"),
            F.sum(F.when(train, F.col(WRITTEN_TOKENS))).alias("epoch_tokens"),
            F.sum(F.when(train, F.col(LOSS_TOKENS))).alias("epoch_loss_tokens"),
            F.sum(F.when(kept, F.col(WRITTEN_TOKENS))).alias("written_tokens"),
            F.sum(F.when(kept & (F.col(SPLIT) == EVAL) if split else F.lit(False),
                         F.col(WRITTEN_TOKENS))).alias("eval_tokens"),
            *_distribution(PROMPT_TOKENS, kept), *_distribution(RESPONSE_TOKENS, kept),
            *_distribution(WRITTEN_TOKENS, kept),
        ]
    row = annotated.agg(*aggregates).collect()[0]
    formats = annotated.filter(kept).groupBy(FT_FORMAT).count().collect() if FT_FORMAT in annotated.columns else []
    rejected = annotated.filter(F.col(REJECT_REASON).isNotNull()).groupBy(REJECT_REASON).count().collect()
    out: dict[str, Any] = {
        "examples_in": row["in"], "valid": row["in"] - row["invalid"],
        "invalid_by_rule": {r[REJECT_REASON]: r["count"] for r in sorted(rejected, key=lambda r: r[REJECT_REASON])},
        "kept": row["kept"], "kept_by_format": {r[FT_FORMAT] or "?": r["count"] for r in formats},
    }
    if not tokenized:
        return out
    dropped = (annotated.filter(F.col(DROP_REASON).isin(list(TOKENIZE_CODES)))
               .groupBy(DROP_REASON).count().collect())
    width = max(1, max_seq_len // BINS_PER_MAX_LEN)
    bins = F.least(F.floor(F.col(INPUT_TOKENS) / width), F.lit(OVERFLOW_BINS)) * width
    histogram = (annotated.filter(F.col(INPUT_TOKENS).isNotNull()).groupBy(bins.cast("long").alias("bin"))
                 .count().orderBy("bin").collect())
    out.update({
        "max_seq_len": max_seq_len, "tokenized": row["tokenized"], "exceeding_max_seq_len": row["exceeding"],
        "truncated": row["truncated"],
        "dropped_by_reason": {r[DROP_REASON]: r["count"] for r in sorted(dropped, key=lambda r: r[DROP_REASON])},
        "tokens_per_epoch": row["epoch_tokens"] or 0, "loss_tokens_per_epoch": row["epoch_loss_tokens"] or 0,
        "tokens_written": row["written_tokens"] or 0,
        **({"tokens_written_by_split": {TRAIN: row["epoch_tokens"] or 0, EVAL: row["eval_tokens"] or 0}}
           if split else {}),
        "prompt_tokens": _summary(row, PROMPT_TOKENS), "response_tokens": _summary(row, RESPONSE_TOKENS),
        "total_tokens": _summary(row, WRITTEN_TOKENS),
        "token_histogram": {"counts": {str(r["bin"]): r["count"] for r in histogram}, "max_seq_len": max_seq_len,
                            "bin_width": width, "of": "stitched tokens per example before fitting to max_seq_len"},
    })
    return out
