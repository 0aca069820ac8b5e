"""Finetuning examples as the MDS columns llm-foundry's StreamingFinetuningDataset reads (see FinetuneMDSSink)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.columns import ID, TEXT
from byod.errors import SchemaError
from byod.stages.finetune.split import SPLIT
from byod.stages.finetune.tokenize import TURNS
from byod.stages.finetune.validate import CHAT, FT_FORMAT

#: MDS columns per output kind: pre-tokenized turns, or the raw formats llm-foundry tokenizes itself.
TOKENIZED_COLUMNS = {TURNS: "json"}
PROMPT_RESPONSE_COLUMNS = {"prompt": "str", "response": "str"}
CHAT_COLUMNS = {"messages": "json"}


def mds_frame(kept: DataFrame) -> tuple[DataFrame, dict[str, str]]:
    """The kept examples as the columns to write, ordered by ``id``, and their MDS encodings.

    Tokenized frames write ``turns``; otherwise every example must share one format, since an MDS
    dataset has one column set and llm-foundry needs exactly ``prompt``+``response`` or ``messages``.
    Triggers a Spark job (the distinct formats) when the frame is not tokenized.
    """
    ordered = kept.orderBy(ID)
    keep = [SPLIT] if SPLIT in kept.columns else []
    if TURNS in kept.columns:
        return ordered.select(TURNS, *keep), dict(TOKENIZED_COLUMNS)
    formats = sorted(r[0] for r in kept.select(FT_FORMAT).distinct().collect() if r[0] is not None)
    if len(formats) > 1:
        raise SchemaError(f"the examples mix formats {formats}; untokenized MDS holds one format "
                          "(prompt/response or messages): give a tokenizer, or prepare each format apart")
    if formats == [CHAT]:
        return ordered.select(F.get_json_object(TEXT, "$.messages").alias("messages"), *keep), dict(CHAT_COLUMNS)
    pair = F.from_json(TEXT, "prompt string, response string")
    return (ordered.select(pair["prompt"].alias("prompt"), pair["response"].alias("response"), *keep),
            dict(PROMPT_RESPONSE_COLUMNS))
