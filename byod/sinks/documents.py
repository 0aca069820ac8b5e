"""The documents sink: kept documents with their ids and metadata as Parquet or JSON lines.

Users ask for it to look at what survived, and to feed tools that read neither MDS nor token ids; with
``dropped`` it also writes what the stages removed, each with the stage and reason, for an audit of a rule
(rejected records already go to the quarantine folder). Rows are ordered by ``id`` within each file, so two
runs on the same data write the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pyspark.sql import DataFrame

from byod.columns import DROP_REASON, DROP_STAGE, ID
from byod.stages.base import dropped_condition


@dataclass(frozen=True, kw_only=True)
class DocumentsSink:
    """Write kept documents under ``folder`` (published as ``<output>/documents``).

    Args:
        format: ``'parquet'`` or ``'jsonl'``.
        files: number of files written (Spark partitions); None keeps the frame's.
        dropped: also write the documents a stage dropped, with ``drop_stage`` and ``drop_reason``
            (published as ``<output>/dropped``).
    """

    format: Literal["parquet", "jsonl"] = "parquet"
    files: int | None = None
    dropped: bool = False

    def __post_init__(self) -> None:
        if self.format not in ("parquet", "jsonl"):
            raise ValueError(f"format must be 'parquet' or 'jsonl', got {self.format!r}")
        if self.files is not None and (isinstance(self.files, bool) or self.files < 1):
            raise ValueError(f"files must be >= 1 or null, got {self.files}")
        if not isinstance(self.dropped, bool):
            raise ValueError(f"dropped must be true or false, got {self.dropped!r}")

    def write_to(self, kept: DataFrame, folder: str) -> dict[str, Any]:
        """Write the documents (one Spark job) and return what was written."""
        return {"output": folder, "format": self.format, "documents": self._write(kept, folder),
                "columns": kept.columns}

    def write_dropped(self, annotated: DataFrame, folder: str, columns: list[str]) -> dict[str, Any]:
        """Write the rows of a pipeline's annotated frame that a stage dropped: ``columns`` and who dropped them."""
        dropped = annotated.filter(dropped_condition(annotated)).select(*columns, DROP_STAGE, DROP_REASON)
        return {"output": folder, "format": self.format, "documents": self._write(dropped, folder)}

    def _write(self, frame: DataFrame, folder: str) -> int:
        frame = frame.repartition(self.files, ID) if self.files is not None else frame
        writer = frame.sortWithinPartitions(ID).write.mode("errorifexists")
        if self.format == "parquet":
            writer.parquet(folder)
        else:
            writer.json(folder)
        read = frame.sparkSession.read.schema(frame.schema)  # an empty JSON folder has no schema to infer
        return (read.parquet(folder) if self.format == "parquet" else read.json(folder)).count()
