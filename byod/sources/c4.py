"""C4 reader: JSON lines ``{"text", "url", "timestamp"}``, plain or gzip, from a file, folder or glob."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from byod.columns import TIMESTAMP, URL
from byod.sources.files import Paths, read_json_lines
from byod.sources.probe import DEFAULT_MAX_RECORD_BYTES

#: Fields of a C4 record kept beside the text (as in allenai/c4's ``en`` files).
C4_METADATA = (URL, TIMESTAMP)


def read_c4(
    spark: SparkSession, paths: Paths, *, source: str = "c4", max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES
) -> DataFrame:
    """Read C4-style JSON lines into documents keyed by url (file and line when a url is missing).

    Output columns: id, text, source, url, timestamp, reject_reason, origin, raw. Bad lines are
    rejected with the ``jsonl.*`` codes of :mod:`byod.sources.records`; ``timestamp`` stays the
    string C4 ships (``2019-04-25T12:57:54Z``). A file that does not decompress is one
    ``file.unreadable`` row; a line over ``max_record_bytes`` (None: no limit) is ``jsonl.too_long``.
    """
    return read_json_lines(
        spark,
        paths,
        text_column="text",
        key_column=URL,
        metadata_columns=C4_METADATA,
        source=source,
        with_path=False,
        max_record_bytes=max_record_bytes,
    )
