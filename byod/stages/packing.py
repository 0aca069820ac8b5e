"""Token packing with llm-foundry's ConcatTokensDataset semantics, vectorised, buffer kept across batches.

Per document the buffer grows by ``bos_text tokens + document tokens + eos_text tokens``; whenever it
holds ``max_seq_len`` tokens or more, its first ``max_seq_len`` tokens become a sample and the rest stays
(``no_wrap=False``) or is discarded (``no_wrap=True``). The buffer left at the end of a partition is
dropped and counted (tokens, and documents with at least one token in it). With wrapping, the buffer
rule equals cutting the concatenated token stream every ``max_seq_len`` tokens, which is how it runs here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np


@dataclass
class PackingStats:
    """Counts of one packing pass; ``tokens_in == tokens_out + remainder + no_wrap`` drops."""

    docs_in: int = 0
    docs_empty: int = 0
    docs_too_long: int = 0
    docs_packed: int = 0
    tokens_in: int = 0
    samples: int = 0
    tokens_out: int = 0
    remainder_tokens_dropped: int = 0
    remainder_docs_affected: int = 0
    no_wrap_tokens_dropped: int = 0
    partitions: int = 0
    #: Tokens of the packed documents (bos/eos included) by their ``source``, for the report.
    tokens_by_source: dict[str, int] = field(default_factory=dict)

    def merge(self, other: PackingStats) -> PackingStats:
        """Add ``other``'s counts into this one (partitions are summed on the driver)."""
        for f in fields(self):
            if f.name == "tokens_by_source":
                for source, tokens in other.tokens_by_source.items():
                    self.tokens_by_source[source] = self.tokens_by_source.get(source, 0) + tokens
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackingStats:
        known = {f.name for f in fields(cls)}
        by_source = {str(k): int(v) for k, v in (data.get("tokens_by_source") or {}).items()}
        return cls(**{k: int(v) for k, v in data.items() if k in known and k != "tokens_by_source"},
                   tokens_by_source=by_source)


class ConcatPacker:
    """Pack token lists into ``max_seq_len`` samples; call :meth:`add` per batch, :meth:`finish` once."""

    def __init__(self, *, max_seq_len: int, bos: Sequence[int] = (), eos: Sequence[int] = (),
                 no_wrap: bool = False, stats: PackingStats | None = None) -> None:
        if max_seq_len < 1:
            raise ValueError(f"max_seq_len must be >= 1, got {max_seq_len}")
        self.max_seq_len = max_seq_len
        self.bos = np.asarray(bos, dtype=np.int32)
        self.eos = np.asarray(eos, dtype=np.int32)
        self.no_wrap = no_wrap
        self.stats = stats if stats is not None else PackingStats()
        self._carry = np.zeros(0, dtype=np.int32)
        self._carry_docs = 0

    def add(self, docs: Sequence[Sequence[int]]) -> np.ndarray:
        """Append documents' tokens; return the completed samples as an ``(n, max_seq_len)`` int32 array."""
        size = self.max_seq_len
        pieces = [self._carry]
        for ids in docs:
            pieces.extend((self.bos, np.asarray(ids, dtype=np.int32), self.eos))
        stream = np.concatenate(pieces) if len(pieces) > 1 else self._carry
        extra = len(self.bos) + len(self.eos)
        lengths = np.fromiter((len(ids) + extra for ids in docs), dtype=np.int64, count=len(docs))
        ends = len(self._carry) + np.cumsum(lengths)
        self.stats.docs_packed += len(docs)
        self.stats.tokens_in += int(lengths.sum())
        if self.no_wrap:
            starts, cut = self._no_wrap_starts(ends, lengths)
            samples = stream[starts[:, None] + np.arange(size)] if len(starts) else np.zeros((0, size), np.int32)
        else:
            count = len(stream) // size
            cut = count * size
            samples = stream[:cut].reshape(count, size)
            if count:
                self._carry_docs = int(np.count_nonzero((ends > cut) & (lengths > 0)))
            else:
                self._carry_docs += int(np.count_nonzero(lengths))
        self._carry = stream[cut:].copy()
        self.stats.samples += len(samples)
        self.stats.tokens_out += samples.size
        return samples

    def _no_wrap_starts(self, ends: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, int]:
        """Sample start offsets under no_wrap (emit the first max_seq_len, drop the rest, restart)."""
        starts: list[int] = []
        start = 0
        docs_in_buffer = self._carry_docs
        for end, length in zip(ends.tolist(), lengths.tolist()):
            docs_in_buffer += 1 if length else 0
            if end - start >= self.max_seq_len:
                starts.append(start)
                self.stats.no_wrap_tokens_dropped += end - start - self.max_seq_len
                start = end
                docs_in_buffer = 0
        self._carry_docs = docs_in_buffer
        return np.asarray(starts, dtype=np.int64), start

    def finish(self) -> PackingStats:
        """Drop the last partial buffer and count it; return the stats."""
        self.stats.remainder_tokens_dropped += len(self._carry)
        self.stats.remainder_docs_affected += self._carry_docs
        self._carry = np.zeros(0, dtype=np.int32)
        self._carry_docs = 0
        return self.stats


def reference_concat_tokens(docs_ids: Sequence[Sequence[int]], *, max_seq_len: int, bos: Sequence[int] = (),
                            eos: Sequence[int] = (), no_wrap: bool = False) -> list[list[int]]:
    """ConcatTokensDataset's loop, list for list: the oracle the vectorised packer is tested against."""
    buffer: list[int] = []
    out: list[list[int]] = []
    for ids in docs_ids:
        buffer = buffer + list(bos) + list(ids) + list(eos)
        while len(buffer) >= max_seq_len:
            out.append(buffer[:max_seq_len])
            buffer = [] if no_wrap else buffer[max_seq_len:]
    return out
