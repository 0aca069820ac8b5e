"""What every reader returns: one document frame, good records and rejected ones side by side.

Columns: ``id`` (stable, see :mod:`byod.ids`), ``text``, ``source``, the source's metadata (``url``,
``timestamp``, ...), and the bookkeeping columns ``reject_reason`` (null for a good record, else a
code such as ``jsonl.bad_json``), ``origin`` (file and line or offset) and ``raw`` (the raw record,
truncated, for the quarantine folder; null for good records). The pipeline counts rejected rows and
writes them to ``<output>/quarantine/<source>/``; no reader drops a record silently.
"""

from __future__ import annotations

#: Characters of a rejected raw record kept for the quarantine folder.
MAX_RAW_CHARS = 2000
