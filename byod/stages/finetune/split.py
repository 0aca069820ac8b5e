"""SplitTrainEval: a seeded, stable train/eval assignment by hash of the example's ``id``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.columns import ID
from byod.errors import SchemaError
from byod.stages.base import Stage, require_columns

#: Output column: ``'train'`` or ``'eval'``.
SPLIT = "split"
TRAIN = "train"
EVAL = "eval"
# The first 8 hex digits of SHA-256("<seed>:<id>") read as an integer, divided by 16**8: uniform in [0, 1).
_HEX_DIGITS = 8
_SCALE = float(16**_HEX_DIGITS)


def split_of(example_id: str, *, eval_fraction: float, seed: int) -> str:
    """The split an id lands in: the same value :class:`SplitTrainEval` computes in Spark."""
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).hexdigest()
    return EVAL if int(digest[:_HEX_DIGITS], 16) / _SCALE < eval_fraction else TRAIN


@dataclass(frozen=True, kw_only=True)
class SplitTrainEval(Stage):
    """Assign each example to ``train`` or ``eval`` by a seeded hash of its stable ``id``.

    The rule depends on the id and the seed only, so an example keeps its split across runs, input
    order and partitioning, and adding examples never moves old ones. The eval share is close to,
    not exactly, ``eval_fraction`` (a Bernoulli draw per example).

    Args:
        eval_fraction: share of examples in ``eval``, in (0, 1).
        seed: changes which examples go to ``eval``.
    """

    eval_fraction: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.eval_fraction, bool) or not isinstance(self.eval_fraction, (int, float)):
            raise TypeError(f"{self.name}.eval_fraction must be a number in (0, 1), got {self.eval_fraction!r}")
        if not 0 < self.eval_fraction < 1:
            raise ValueError(f"{self.name}.eval_fraction must be in (0, 1), got {self.eval_fraction}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"{self.name}.seed must be an int, got {self.seed!r}")

    def __call__(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, ID)
        if SPLIT in df.columns:
            raise SchemaError(f"{self.name} writes '{SPLIT}' but the frame already has it; drop or rename it")
        digest = F.sha2(F.concat(F.lit(f"{self.seed}:"), F.col(ID).cast("string")), 256)
        value = F.conv(F.substring(digest, 1, _HEX_DIGITS), 16, 10).cast("double") / F.lit(_SCALE)
        return df.withColumn(SPLIT, F.when(value < F.lit(float(self.eval_fraction)), F.lit(EVAL))
                             .otherwise(F.lit(TRAIN)))
