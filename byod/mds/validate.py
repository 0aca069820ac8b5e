"""Integrity check of a written MDS dataset: hashes, counts, columns, token range, a few decoded samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from byod.errors import MDSFormatError
from byod.mds.index import read_index
from byod.mds.reader import open_shard

#: Characters of each decoded sample kept in the report (never whole documents).
DECODED_CHARS = 80


def validate_mds(output: str, *, expected_samples: int | None = None, tokenizer: str | None = None,
                 tokenizer_kind: str = "auto", vocab_size: int | None = None, decode_samples: int = 3,
                 check_hashes: bool = True, tokens_column: str = "tokens") -> dict[str, Any]:
    """Read every shard of ``output`` back and check it; raise MDSFormatError on the first problem."""
    tok = None
    if tokenizer is not None:
        from byod.tokenizers import TokenizerSpec, load_tokenizer, prepare_tokenizer

        tok = load_tokenizer(prepare_tokenizer(TokenizerSpec(name=tokenizer, kind=tokenizer_kind)))  # type: ignore[arg-type]
        vocab_size = vocab_size if vocab_size is not None else tok.vocab_size
    index = read_index(output)
    samples = tokens = 0
    max_id, min_id = -1, None
    decoded: list[str] = []
    columns: list[str] | None = None
    for entry in index["shards"]:
        shard = open_shard(output, entry, check_hashes=check_hashes)
        if columns is None:
            columns = shard.names
        elif shard.names != columns:
            raise MDSFormatError(f"{entry['raw_data']['basename']} has columns {shard.names}, others {columns}")
        for i in range(shard.samples):
            sample = shard.sample(i)
            samples += 1
            ids = sample.get(tokens_column)
            if isinstance(ids, np.ndarray):
                tokens += ids.size
                if ids.size:
                    max_id = max(max_id, int(ids.max()))
                    low = int(ids.min())
                    min_id = low if min_id is None else min(min_id, low)
            if len(decoded) < decode_samples:
                decoded.append(_preview(sample, tokens_column, tok))
    if expected_samples is not None and samples != expected_samples:
        raise MDSFormatError(f"{output} holds {samples} samples, the writer reported {expected_samples}")
    if min_id is not None and min_id < 0:
        raise MDSFormatError(f"{output}: token id {min_id} is negative")
    if vocab_size is not None and max_id >= vocab_size:
        raise MDSFormatError(f"{output}: token id {max_id} is outside the vocabulary (size {vocab_size})")
    return {
        "ok": True, "output": output, "shards": len(index["shards"]), "samples": samples, "tokens": tokens,
        "columns": columns or [], "max_token_id": max_id if max_id >= 0 else None, "vocab_size": vocab_size,
        "hashes_checked": check_hashes, "decoded": decoded,
    }


def _preview(sample: dict[str, Any], tokens_column: str, tok: Any) -> str:
    value = sample.get(tokens_column)
    if isinstance(value, np.ndarray) and tok is not None:
        text = tok.decode(value.tolist())
    elif isinstance(value, np.ndarray):
        text = " ".join(map(str, value[:20].tolist()))
    else:
        text = str(next(iter(sample.values())))
    return text[:DECODED_CHARS]
