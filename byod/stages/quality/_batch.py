"""The one vectorized UDF each quality stage runs: a batch of texts in, one decision per text out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from pyspark.sql import Column
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import StringType, StructType


def reason_udf(score: Callable[[str], str | None], text: Column) -> Column:
    """A string column: ``score(text)`` per row (a reason code or null); null text gives null."""

    @pandas_udf(StringType())
    def _reasons(texts: pd.Series) -> pd.Series:
        return pd.Series([None if t is None else score(t) for t in texts], dtype=object)

    return _reasons(text)


def struct_udf(score: Callable[[str], tuple[Any, ...]], schema: StructType, text: Column) -> Column:
    """A struct column: the fields of ``score(text)`` per row; null text gives a row of nulls."""
    names = schema.fieldNames()
    empty = (None,) * len(names)

    @pandas_udf(schema)
    def _scores(texts: pd.Series) -> pd.DataFrame:
        rows = [empty if t is None else score(t) for t in texts]
        return pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)

    return _scores(text)
