"""Integrity check of a written MDS dataset: index, sizes, hashes, structure, every sample decoded, token range.

What the report says is what was checked: ``hashes_checked`` is true only when every shard file had a
hash in index.json and it matched. Without hashes a changed value that keeps the layout valid (one token
id changed to another) cannot be seen, and the report says so in ``warnings``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from byod.errors import MDSFormatError
from byod.mds.index import read_index
from byod.mds.reader import Shard, open_shard

#: Characters of each decoded sample kept in the report (never whole documents).
DECODED_CHARS = 80
#: Token ids of each sample kept in the report when no tokenizer decodes them.
PREVIEW_TOKENS = 20


def validate_mds(output: str, *, expected_samples: int | None = None, tokenizer: str | None = None,
                 tokenizer_kind: str = "auto", vocab_size: int | None = None, decode_samples: int = 3,
                 check_hashes: bool = True, tokens_column: str = "tokens") -> dict[str, Any]:
    """Read every shard of ``output`` back, decode every sample, and raise MDSFormatError on the first problem.

    The report previews ``decode_samples`` samples under ``decoded`` (text, when a tokenizer decoded the
    tokens), ``first_tokens`` (raw token ids, no tokenizer) or ``first_values`` (datasets without tokens).
    """
    tok = None
    if tokenizer is not None:
        from byod.tokenizers import TokenizerSpec, load_tokenizer, prepare_tokenizer

        spec = TokenizerSpec(name=tokenizer, kind=tokenizer_kind)  # type: ignore[arg-type]
        tok = load_tokenizer(prepare_tokenizer(spec))
        vocab_size = vocab_size if vocab_size is not None else tok.vocab_size
    index = read_index(output)
    stats = _Stats(tokens_column)
    hashed: list[tuple[str, ...]] = []
    columns: list[str] | None = None
    for entry in index["shards"]:
        shard = open_shard(output, entry, check_hashes=check_hashes)
        columns = columns if columns is not None else shard.names
        if shard.names != columns:
            raise MDSFormatError(f"shard {shard.label} has columns {shard.names}, the first shard {columns}")
        hashed.append(shard.verified)
        stats.add_shard(shard, decode_samples, tok)
    stats.check(output, expected_samples, vocab_size)
    return {
        "ok": True, "output": output, "shards": len(index["shards"]), "samples": stats.samples,
        "tokens": stats.tokens, "columns": columns or [], "max_token_id": stats.max_id if stats.max_id >= 0 else None,
        "vocab_size": vocab_size, **_hash_report(hashed, check_hashes), stats.preview_key(tok): stats.preview,
    }


class _Stats:
    """Counts, token id range and previews gathered while every sample is decoded."""

    def __init__(self, tokens_column: str) -> None:
        self.tokens_column = tokens_column
        self.samples = self.tokens = 0
        self.max_id, self.min_id = -1, 0
        self.has_tokens = False
        self.preview: list[Any] = []

    def add_shard(self, shard: Shard, keep: int, tok: Any) -> None:
        for i in range(shard.samples):
            sample = shard.sample(i)
            self.samples += 1
            ids = sample.get(self.tokens_column)
            if isinstance(ids, np.ndarray):
                self.has_tokens = True
                self.tokens += ids.size
                if ids.size:
                    self.max_id = max(self.max_id, int(ids.max()))
                    self.min_id = min(self.min_id, int(ids.min()))
            if len(self.preview) < keep:
                self.preview.append(self._preview(sample, tok))

    def _preview(self, sample: dict[str, Any], tok: Any) -> Any:
        ids = sample.get(self.tokens_column)
        if isinstance(ids, np.ndarray) and tok is not None:
            return tok.decode(ids.ravel().tolist())[:DECODED_CHARS]
        if isinstance(ids, np.ndarray):
            return ids.ravel()[:PREVIEW_TOKENS].tolist()
        return {name: str(value)[:DECODED_CHARS] for name, value in sample.items()}

    def preview_key(self, tok: Any) -> str:
        if self.has_tokens:
            return "decoded" if tok is not None else "first_tokens"
        return "first_values"

    def check(self, output: str, expected_samples: int | None, vocab_size: int | None) -> None:
        if expected_samples is not None and self.samples != expected_samples:
            raise MDSFormatError(f"{output} holds {self.samples} samples, the writer reported {expected_samples}")
        if self.min_id < 0:
            raise MDSFormatError(f"{output}: token id {self.min_id} is negative")
        if vocab_size is not None and self.max_id >= vocab_size:
            raise MDSFormatError(f"{output}: token id {self.max_id} is outside the vocabulary (size {vocab_size})")


def _hash_report(hashed: list[tuple[str, ...]], check_hashes: bool) -> dict[str, Any]:
    """``hashes_checked`` (true only if every shard had hashes and they matched), algorithms, warnings."""
    unhashed = sum(not algos for algos in hashed)
    warnings = []
    if not check_hashes:
        warnings.append("hashes not checked (check_hashes=False)")
    elif not hashed:
        warnings.append("the index lists no shards: nothing to hash")
    elif unhashed:
        warnings.append(f"{unhashed} of {len(hashed)} shards have no hashes in index.json: sizes, structure and "
                        "every sample were checked, but a changed value that keeps the layout valid cannot be "
                        "detected; rewrite with hashes (WriteMDS stores xxh64 by default)")
    return {
        "hashes_checked": check_hashes and bool(hashed) and not unhashed,
        "hash_algorithms": sorted({a for algos in hashed for a in algos}),
        "warnings": warnings,
    }
