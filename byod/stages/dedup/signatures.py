"""MinHash in numpy: words -> 64-bit shingle hashes -> signatures -> LSH band keys, batch at a time.

Pure functions (no Spark), so they are tested and timed alone and run inside ``mapInArrow`` batches.
All hashing is seeded with constants: the same text gives the same keys on every machine and run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import xxhash

#: Words as the ground truth in ../shared/corpora counts them: runs of Unicode word characters.
DEFAULT_WORD_PATTERN = r"\w+"
_MASK64 = (1 << 64) - 1
# Odd 64-bit constants (splitmix64 / xxhash primes) for mixing; any odd values would do.
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PRIME = np.uint64(0x9E3779B97F4A7C15)
#: Shingles per numpy block: block x permutations x 4 bytes (0.5 MB at 128) stays in cache; measured
#: fastest among 256..8192 on this machine.
_BLOCK_SHINGLES = 1024
#: Seed of the word-sequence fingerprint: any constant, fixed so prints match on every machine and run.
_FINGERPRINT_SEED = 0x5EED


def _finalize(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit flips about half the output bits (uint64 in, out)."""
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX2
    return h ^ (h >> np.uint64(31))


def words(text: str, *, lowercase: bool = True, pattern: re.Pattern[str] | None = None) -> list[str]:
    """The words of one document, as the shingles see them."""
    regex = pattern or re.compile(DEFAULT_WORD_PATTERN)
    return regex.findall(text.lower() if lowercase else text)


def word_hashes(tokens: Sequence[str]) -> np.ndarray:
    """64-bit xxhash of each word (uint64), one C call per word and no Python frame."""
    # xxhash 4 hashes bytes only; str.encode is a C call too, so the loop still runs no Python frame
    return np.fromiter(map(xxhash.xxh64_intdigest, map(str.encode, tokens)), dtype=np.uint64, count=len(tokens))


def shingle_hashes_batch(word_counts: np.ndarray, hashes: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Hash the word n-grams of many documents whose word hashes are concatenated in ``hashes``.

    A document with fewer than ``ngram`` words (but at least one) is one shingle: all its words.
    A document with no words has no shingle. Returns ``(shingles, counts)``: the concatenated shingle
    hashes (uint64) and the number of shingles per document (int64).
    """
    word_counts = np.asarray(word_counts, dtype=np.int64)
    ends = np.cumsum(word_counts)
    starts = ends - word_counts
    lengths = np.minimum(word_counts, ngram)  # words per shingle: n, or the whole short document
    counts = np.where(word_counts >= ngram, word_counts - ngram + 1, np.minimum(word_counts, 1))
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint64), counts
    doc_of = np.repeat(np.arange(len(word_counts)), counts)
    first = np.repeat(starts, counts) + (np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts))
    length = lengths[doc_of]
    padded = np.concatenate([hashes, np.zeros(ngram, dtype=np.uint64)])
    h = length.astype(np.uint64) * _PRIME
    for k in range(ngram):
        part = np.where(k < length, padded[first + k], np.uint64(0))
        h = _finalize(h ^ part) if k == 0 else _finalize((h * _PRIME) ^ part)
    return h, counts


def shingle_set(text: str, ngram: int, *, lowercase: bool = True, pattern: re.Pattern[str] | None = None
                ) -> np.ndarray:
    """The sorted distinct shingle hashes of one document (int64), for exact Jaccard checks."""
    toks = words(text, lowercase=lowercase, pattern=pattern)
    sh, _ = shingle_hashes_batch(np.array([len(toks)]), word_hashes(toks), ngram)
    return np.unique(sh.view(np.int64))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sorted distinct hash arrays; 0.0 when both are empty."""
    if len(a) == 0 and len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``num_perm`` hash functions ``h -> a*h + c (mod 2**32)`` with odd ``a``: bijections on 32 bits.

    32-bit values halve the memory traffic of the hot loop; two different shingles of a pair of
    documents share a 32-bit value with probability ~2**-32 each, far below the MinHash noise.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**31, size=num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    c = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32)
    return a, c


def signatures(shingles: np.ndarray, counts: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """MinHash signatures (docs x num_perm, uint32); rows of documents with no shingle are all max."""
    num_docs, num_perm = len(counts), len(a)
    out = np.full((num_docs, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    if len(shingles) == 0:
        return out
    low = shingles.astype(np.uint32)  # the low 32 bits of well-mixed 64-bit hashes
    doc_of = np.repeat(np.arange(num_docs), counts)
    buf = np.empty((_BLOCK_SHINGLES, num_perm), dtype=np.uint32)
    for lo in range(0, len(low), _BLOCK_SHINGLES):
        block = low[lo:lo + _BLOCK_SHINGLES]
        docs = doc_of[lo:lo + _BLOCK_SHINGLES]
        values = buf[:len(block)]
        np.multiply(block[:, None], a[None, :], out=values)  # uint32 arithmetic wraps: mod 2**32
        values += c
        # Documents are contiguous in the block: reduce each run, then merge into the output rows.
        run_starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
        mins = np.minimum.reduceat(values, run_starts, axis=0)
        rows = docs[run_starts]
        out[rows] = np.minimum(out[rows], mins)
    return out


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band) (int64, docs x bands): equal keys = equal band rows."""
    if sig.shape[1] < bands * rows:
        raise ValueError(f"signature has {sig.shape[1]} values; bands x rows needs {bands * rows}")
    parts = sig[:, :bands * rows].reshape(len(sig), bands, rows)
    h = np.full((len(sig), bands), np.uint64(rows), dtype=np.uint64)
    for r in range(rows):
        h = _finalize((h * _PRIME) ^ parts[:, :, r].astype(np.uint64))
    return h.view(np.int64)


def fingerprints(word_counts: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """64-bit hash of each document's word sequence (int64): documents with the same words in the same
    order (copies, also in other case, spacing or punctuation) share it, so they have equal shingle sets."""
    ends = np.cumsum(np.asarray(word_counts, dtype=np.int64))
    starts = ends - word_counts
    data = np.ascontiguousarray(hashes, dtype=np.uint64)
    return np.fromiter((xxhash.xxh64_intdigest(data[s:e].tobytes(), seed=_FINGERPRINT_SEED)
                        for s, e in zip(starts.tolist(), ends.tolist())),
                       dtype=np.uint64, count=len(ends)).view(np.int64)


def batch_sketch(texts: Sequence[str | None], *, ngram: int, bands: int, rows: int, seed: int,
                 lowercase: bool = True, pattern: str = DEFAULT_WORD_PATTERN
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Band keys, word counts and word-sequence fingerprints of a batch: ``(keys, word_counts, prints)``.

    Key rows are meaningless where the document has no word (callers skip those: an empty document has
    no near duplicate).
    """
    regex = re.compile(pattern)
    token_lists = [words(t, lowercase=lowercase, pattern=regex) if t else [] for t in texts]
    word_counts = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    flat = [w for toks in token_lists for w in toks]
    hashes = word_hashes(flat)
    shingles, counts = shingle_hashes_batch(word_counts, hashes, ngram)
    a, c = permutations(bands * rows, seed)
    return band_keys(signatures(shingles, counts, a, c), bands, rows), word_counts, fingerprints(word_counts, hashes)


def batch_band_keys(texts: Sequence[str | None], *, ngram: int, bands: int, rows: int, seed: int,
                    lowercase: bool = True, pattern: str = DEFAULT_WORD_PATTERN) -> tuple[np.ndarray, np.ndarray]:
    """Band keys of a batch of documents: ``(keys, word_counts)`` (see :func:`batch_sketch`)."""
    keys, word_counts, _ = batch_sketch(texts, ngram=ngram, bands=bands, rows=rows, seed=seed,
                                        lowercase=lowercase, pattern=pattern)
    return keys, word_counts
