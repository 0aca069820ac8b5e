"""The documents sink: kept documents with their ids and metadata as Parquet or JSON lines.

Users ask for it to look at what survived, and to feed tools that read neither MDS nor token ids. Rows
are ordered by ``id`` within each file, so two runs on the same data write the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pyspark.sql import DataFrame

from byod.columns import ID


@dataclass(frozen=True, kw_only=True)
class DocumentsSink:
    """Write kept documents under ``folder`` (published as ``<output>/documents``).

    Args:
        format: ``'parquet'`` or ``'jsonl'``.
        files: number of files written (Spark partitions); None keeps the frame's.
    """

    format: Literal["parquet", "jsonl"] = "parquet"
    files: int | None = None

    def __post_init__(self) -> None:
        if self.format not in ("parquet", "jsonl"):
            raise ValueError(f"format must be 'parquet' or 'jsonl', got {self.format!r}")
        if self.files is not None and (isinstance(self.files, bool) or self.files < 1):
            raise ValueError(f"files must be >= 1 or null, got {self.files}")

    def write_to(self, kept: DataFrame, folder: str) -> dict[str, Any]:
        """Write the documents (one Spark job) and return what was written."""
        frame = kept.repartition(self.files, ID) if self.files is not None else kept
        writer = frame.sortWithinPartitions(ID).write.mode("errorifexists")
        if self.format == "parquet":
            writer.parquet(folder)
        else:
            writer.json(folder)
        written = kept.sparkSession.read.parquet(folder) if self.format == "parquet" else \
            kept.sparkSession.read.json(folder)
        return {"output": folder, "format": self.format, "documents": written.count(), "columns": kept.columns}
