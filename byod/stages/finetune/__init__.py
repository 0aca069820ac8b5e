"""Finetuning stages: validate examples, tokenize them into llm-foundry ``turns``, split, report, write."""

from byod.stages.finetune.output import mds_frame
from byod.stages.finetune.split import SPLIT, SplitTrainEval, split_of
from byod.stages.finetune.stats import finetune_stats
from byod.stages.finetune.tokenize import (
                                           TOKENIZE_CODES,
                                           TURNS,
                                           FinetuneTokenizer,
                                           TokenizeFinetune,
                                           fit_turns,
                                           prepare_finetune_tokenizer,
                                           tokenize_texts,
)
from byod.stages.finetune.validate import FT_FORMAT, VALIDATION_CODES, ValidateFinetune, check_messages, check_record

__all__ = ["FT_FORMAT", "SPLIT", "TOKENIZE_CODES", "TURNS", "VALIDATION_CODES", "FinetuneTokenizer", "SplitTrainEval",
           "TokenizeFinetune", "ValidateFinetune", "check_messages", "check_record", "finetune_stats", "fit_turns",
           "mds_frame", "prepare_finetune_tokenizer", "split_of", "tokenize_texts"]
