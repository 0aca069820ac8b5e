"""Any DataFrame with a text column as a byod document frame, for notebook users.

Readers in :mod:`byod.sources` already produce the contract (``id``, ``text``, ``source``, metadata,
reject columns). A frame from ``spark.read.json`` does not: :func:`documents` adds a stable ``id``
(the same hash of source, natural key and text the readers use), a ``source`` name and the bookkeeping
columns, keeping every other column as metadata.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from byod.columns import ID, SOURCE, TEXT, URL
from byod.errors import SchemaError
from byod.ids import stable_id_column


def documents(df: DataFrame, *, text_column: str = TEXT, source: str = "docs", key_column: str | None = None
              ) -> DataFrame:
    """``df`` with the document contract's columns; nothing is dropped or reordered.

    Args:
        text_column: the string column holding each document's text (renamed to ``text``).
        source: the source name when ``df`` has no ``source`` column.
        key_column: the record's natural key for its id (default: ``url`` when present, else the text alone).
    """
    if text_column not in df.columns:
        raise SchemaError(f"documents(): no column {text_column!r}; the frame has {df.columns}")
    if not isinstance(df.schema[text_column].dataType, StringType):
        raise SchemaError(f"documents(): column {text_column!r} is {df.schema[text_column].dataType.simpleString()}, "
                          "expected string")
    if text_column != TEXT:
        if TEXT in df.columns:
            raise SchemaError(f"documents(): the frame has both {text_column!r} and {TEXT!r}; drop one first")
        df = df.withColumnRenamed(text_column, TEXT)
    if SOURCE not in df.columns:
        df = df.withColumn(SOURCE, F.lit(source))
    if ID not in df.columns:
        key = key_column or (URL if URL in df.columns else None)
        if key is not None and key not in df.columns:
            raise SchemaError(f"documents(): no key column {key!r}; the frame has {df.columns}")
        key_value = F.col(key).cast("string") if key is not None else F.lit("")
        df = df.withColumn(ID, stable_id_column(F.col(SOURCE), key_value, F.col(TEXT)))
    return df.select(ID, TEXT, SOURCE, *[c for c in df.columns if c not in (ID, TEXT, SOURCE)])
