"""TokenizeFinetune: examples into llm-foundry's pre-tokenized ``turns``, fitted to ``max_seq_len``.

Semantics of llm-foundry's ``tokenize_formatted_example`` (``llmfoundry/data/finetuning/tasks.py``):
a prompt/response pair is one turn, ``tokenizer(text=prompt, text_target=response)`` with the
tokenizer's own special tokens and a leading BOS removed from the labels when the tokenizer adds
one; a chat is sliced by its chat template into one turn per assistant message, each tokenized
without special tokens (the template writes them). Which tokens carry loss follows the collator's
``target_prompts`` / ``target_responses`` (``collator.py``: ``stitch_turns_decoder_only``).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from byod.columns import STAGE_REASON, TEXT
from byod.errors import InputError, SchemaError
from byod.hf_tokenizer import hf_tokenizer_facts
from byod.stages.base import Filter, live_text, require_columns
from byod.stages.finetune.chat import ChatTemplateError, render_chat, slice_turns
from byod.tokenizers import PreparedTokenizer, TokenizerSpec, load_tokenizer, prepare_tokenizer

FT_NO_CHAT_TEMPLATE = "ft.no_chat_template"
FT_CHAT_TEMPLATE_ERROR = "ft.chat_template_error"
FT_EMPTY_TURN = "ft.empty_turn"
FT_TOO_LONG = "ft.too_long"
FT_NO_LOSS_TOKENS = "ft.no_loss_tokens"
TOKENIZE_CODES = (FT_NO_CHAT_TEMPLATE, FT_CHAT_TEMPLATE_ERROR, FT_EMPTY_TURN, FT_TOO_LONG, FT_NO_LOSS_TOKENS)

#: Output column: the example's turns as JSON, ``[{"input_ids": [...], "labels": [...]}, ...]``.
TURNS = "turns"
#: Working columns (per example): prompt and response tokens written, all tokens before fitting,
#: tokens written, and tokens that carry loss.
PROMPT_TOKENS = "_byod_ft_prompt_tokens"
RESPONSE_TOKENS = "_byod_ft_response_tokens"
INPUT_TOKENS = "_byod_ft_input_tokens"
WRITTEN_TOKENS = "_byod_ft_tokens"
LOSS_TOKENS = "_byod_ft_loss_tokens"
_RESULT = "_byod_ft_result"
_RESULT_TYPE = T.StructType([
    T.StructField("reason", T.StringType()), T.StructField("turns", T.StringType()),
    *[T.StructField(name, T.LongType()) for name in ("prompt", "response", "input", "written", "loss")],
])

Policy = Literal["truncate", "drop"]
Turn = tuple[list[int], list[int]]


@dataclass(frozen=True)
class FinetuneTokenizer:
    """What workers need, resolved on the driver: the tokenizer as data, its chat template and tokens."""

    prepared: PreparedTokenizer
    chat_template: str | None
    special_tokens: dict[str, Any]
    label_bos_id: int | None


def prepare_finetune_tokenizer(name: str, chat_template: str | None = None) -> FinetuneTokenizer:
    """Read the tokenizer once for the driver with transformers and keep what tokenization needs.

    A chat without a template (given or the tokenizer's) is dropped with a reason, not an error.
    """
    if importlib.util.find_spec("transformers") is None:
        raise InputError("TokenizeFinetune needs transformers on the driver (chat templates, special tokens); "
                         "pip install transformers")
    spec = TokenizerSpec(name=name, kind="hf")
    prepared = prepare_tokenizer(spec)
    facts = hf_tokenizer_facts(str(Path(name).expanduser()) if spec.source() == "folder" else name)
    template = chat_template if chat_template is not None else facts.chat_template
    strips_bos = facts.add_bos_token and facts.bos_token_id is not None
    return FinetuneTokenizer(prepared, template, dict(facts.special_tokens), facts.bos_token_id if strips_bos else None)


def loss_tokens(turns: Sequence[Turn], target_prompts: str, target_responses: str, limit: int | None = None) -> int:
    """Tokens that carry loss once turns are stitched (within the first ``limit`` positions if given)."""
    position, count = 0, 0
    for index, (context, target) in enumerate(turns):
        last = index == len(turns) - 1
        for length, counted in ((len(context), target_prompts == "all"),
                                (len(target), target_responses == "all" or last)):
            room = length if limit is None else max(0, min(length, limit - position))
            count += room if counted else 0
            position += length
    return count


def fit_turns(turns: list[Turn], *, max_seq_len: int, policy: Policy, target_prompts: str = "none",
              target_responses: str = "last") -> tuple[str | None, list[Turn]]:
    """The reason an example cannot be trained on, or its turns cut to ``max_seq_len`` stitched tokens.

    As llm-foundry's ``is_valid_ift_example``: every turn needs prompt and response tokens, and loss
    tokens must remain within ``max_seq_len``. ``truncate`` keeps the first ``max_seq_len`` tokens and
    drops a trailing turn left without response tokens; ``drop`` drops any example that is too long.
    """
    if any(not context or not target for context, target in turns):
        return FT_EMPTY_TURN, []
    if sum(len(c) + len(t) for c, t in turns) <= max_seq_len:
        return None, turns
    if policy == "drop":
        return FT_TOO_LONG, []
    if loss_tokens(turns, target_prompts, target_responses, limit=max_seq_len) == 0:
        return FT_NO_LOSS_TOKENS, []
    budget, kept = max_seq_len, []
    for context, target in turns:
        context = context[:budget]
        target = target[: budget - len(context)]
        if not target:
            break
        kept.append((context, target))
        budget -= len(context) + len(target)
    return (None, kept) if kept else (FT_NO_LOSS_TOKENS, [])


def tokenize_texts(texts: Sequence[str | None], tok: FinetuneTokenizer, *, max_seq_len: int, policy: Policy,
                   target_prompts: str, target_responses: str) -> list[dict[str, Any] | None]:
    """Tokenize canonical-JSON examples (None passes through); one result dict per text."""
    encoder = load_tokenizer(tok.prepared)
    render = partial(render_chat, tok.chat_template or "", special_tokens=tok.special_tokens)
    results: list[dict[str, Any] | None] = [None] * len(texts)
    pairs: list[tuple[int, str, str]] = []
    chats: list[tuple[int, list[tuple[str, str]]]] = []
    for i, text in enumerate(texts):
        if text is None:
            continue
        example = json.loads(text)
        if "messages" not in example:
            pairs.append((i, example["prompt"], example["response"]))
        elif tok.chat_template is None:
            results[i] = {"reason": FT_NO_CHAT_TEMPLATE}
        else:
            try:
                chats.append((i, slice_turns(example["messages"], render)))
            except ChatTemplateError:
                results[i] = {"reason": FT_CHAT_TEMPLATE_ERROR}
    raw: dict[int, list[Turn]] = {}
    if pairs:
        prompts = encoder.encode_batch([p for _, p, _ in pairs], add_special_tokens=True)
        labels = encoder.encode_batch([r for _, _, r in pairs], add_special_tokens=True)
        for (i, _, _), context, target in zip(pairs, prompts, labels):
            if tok.label_bos_id is not None and target and target[0] == tok.label_bos_id:
                target = target[1:]
            raw[i] = [(context, target)]
    pieces = [piece for _, turns in chats for turn in turns for piece in turn]
    encoded = iter(encoder.encode_batch(pieces, add_special_tokens=False) if pieces else [])
    for i, turns in chats:
        raw[i] = [(next(encoded), next(encoded)) for _ in turns]
    for i, turns in raw.items():
        reason, fitted = fit_turns(turns, max_seq_len=max_seq_len, policy=policy, target_prompts=target_prompts,
                                   target_responses=target_responses)
        results[i] = {
            "reason": reason, "input": sum(len(c) + len(t) for c, t in turns),
            "turns": None if reason else json.dumps([{"input_ids": c, "labels": t} for c, t in fitted],
                                                    separators=(",", ":")),
            "prompt": sum(len(c) for c, _ in fitted), "response": sum(len(t) for _, t in fitted),
            "written": sum(len(c) + len(t) for c, t in fitted),
            "loss": loss_tokens(fitted, target_prompts, target_responses),
        }
    return results


@dataclass(frozen=True, kw_only=True)
class TokenizeFinetune(Filter):
    """Tokenize finetuning examples into ``turns`` (JSON) as llm-foundry does, and fit them to a length.

    Adds the column :data:`TURNS` that ``StreamingFinetuningDataset`` reads pre-tokenized, plus working
    token counts for the report. Drops, in order: chats when the tokenizer has no chat template, chats
    whose template renderings do not extend each other (llm-foundry raises on them), examples with a
    turn of no prompt or no response tokens, too long examples under ``policy='drop'``, and examples
    whose loss tokens all lie beyond ``max_seq_len``.

    Args:
        tokenizer: a local folder with ``tokenizer.json`` and ``tokenizer_config.json`` (or a hub id);
            loaded on the driver with transformers, shipped to workers as data.
        max_seq_len: stitched tokens (prompt + response over all turns) an example may have.
        policy: ``'truncate'`` keeps the first ``max_seq_len`` tokens; ``'drop'`` drops the example.
        target_prompts: ``'none'`` or ``'all'``: whether prompt tokens carry loss (the collator's setting).
        target_responses: ``'last'`` or ``'all'``: which responses carry loss (the collator's setting).
        chat_template: a Jinja template that replaces the tokenizer's; None uses ``tokenizer_config.json``'s.

    Reason codes: ``ft.no_chat_template``, ``ft.chat_template_error``, ``ft.empty_turn``, ``ft.too_long``,
    ``ft.no_loss_tokens``.
    """

    tokenizer: str
    max_seq_len: int = 2048
    policy: Policy = "truncate"
    target_prompts: Literal["none", "all"] = "none"
    target_responses: Literal["last", "all"] = "last"
    chat_template: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        TokenizerSpec(name=self.tokenizer, kind="hf")
        if isinstance(self.max_seq_len, bool) or not isinstance(self.max_seq_len, int) or self.max_seq_len < 1:
            raise ValueError(f"{self.name}.max_seq_len must be an int >= 1, got {self.max_seq_len!r}")
        for field, allowed in (("policy", ("truncate", "drop")), ("target_prompts", ("none", "all")),
                               ("target_responses", ("last", "all"))):
            if getattr(self, field) not in allowed:
                raise ValueError(f"{self.name}.{field} must be one of {allowed}, got {getattr(self, field)!r}")

    def annotate(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, TEXT)
        if TURNS in df.columns:
            raise SchemaError(f"{self.name} writes '{TURNS}' but the frame already has it; drop or rename it")
        tok = prepare_finetune_tokenizer(self.tokenizer, self.chat_template)
        settings = {"max_seq_len": self.max_seq_len, "policy": self.policy, "target_prompts": self.target_prompts,
                    "target_responses": self.target_responses}
        names = [f.name for f in _RESULT_TYPE.fields]

        @F.pandas_udf(_RESULT_TYPE)
        def tokenize(texts: pd.Series) -> pd.DataFrame:
            results = [r or {} for r in tokenize_texts([t if isinstance(t, str) else None for t in texts], tok,
                                                           **settings)]
            return pd.DataFrame({n: pd.Series([r.get(n) for r in results], dtype=object if n in ("reason", "turns")
                                              else "Int64") for n in names})

        result = F.col(_RESULT)
        return (df.withColumn(_RESULT, tokenize(live_text(df)))
                .withColumn(STAGE_REASON, result["reason"])
                .withColumn(TURNS, result["turns"])
                .withColumn(PROMPT_TOKENS, result["prompt"])
                .withColumn(RESPONSE_TOKENS, result["response"])
                .withColumn(INPUT_TOKENS, result["input"])
                .withColumn(WRITTEN_TOKENS, result["written"])
                .withColumn(LOSS_TOKENS, result["loss"])
                .drop(_RESULT))
