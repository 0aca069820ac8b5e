"""Column names shared by every source, stage, writer and report: declared once, here."""

from __future__ import annotations

ID = "id"
TEXT = "text"
SOURCE = "source"
URL = "url"
TIMESTAMP = "timestamp"

#: Set by a filtering stage in a Pipeline: the first rule that dropped the document (null = kept).
DROP_REASON = "drop_reason"
#: The stage (its report name) that set ``drop_reason``.
DROP_STAGE = "drop_stage"
#: Set by a reader: why the raw record could not become a document (null = a good record).
REJECT_REASON = "reject_reason"
#: Where a rejected record came from (file and line or offset), for the quarantine folder.
ORIGIN = "origin"
#: The raw bytes/text of a rejected record, truncated, for the quarantine folder.
RAW = "raw"

#: Working columns start with this prefix and never reach an output.
WORK_PREFIX = "_byod_"
#: The per-stage reason a filter computes before the pipeline folds it into ``drop_reason``.
STAGE_REASON = "_byod_reason"

#: Columns a reader's output always has.
DOCUMENT_COLUMNS = (ID, TEXT, SOURCE)
#: Bookkeeping columns that never reach a dataset.
BOOKKEEPING_COLUMNS = (DROP_REASON, DROP_STAGE, REJECT_REASON, ORIGIN, RAW)
