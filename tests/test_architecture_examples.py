"""docs/architecture.md's examples of a new source, stage and sink run as written, in order."""

from __future__ import annotations

import re
from pathlib import Path

from byod.sources.spec import READERS

DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def test_new_source_stage_and_sink_examples_run(spark, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3, "the doc shows one source, one stage and one sink example"
    scope = {"spark": spark, "tmp": tmp_path}
    try:
        for number, block in enumerate(blocks):
            exec(compile(block, f"docs/architecture.md, example {number + 1}", "exec"), scope)  # as a reader copies it
    finally:
        READERS.pop("tsv", None)  # the example registers a format; other tests see the registry as shipped
    assert scope["figures"] == {"output": str(tmp_path / "out"), "documents": 1}
    assert scope["result"].counts["dropped_by_reason"] == {"mine.too_few_words": 1}
