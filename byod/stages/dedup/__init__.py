"""Deduplication stages: exact (normalized text), URL, MinHash near-duplicates, and ``Dedup`` chaining them."""

from byod.stages.dedup.combined import Dedup
from byod.stages.dedup.exact import EXACT_DUPLICATE, URL_DUPLICATE, ExactDedup, UrlDedup
from byod.stages.dedup.minhash import NEAR_DUPLICATE, MinHashDedup

__all__ = ["EXACT_DUPLICATE", "NEAR_DUPLICATE", "URL_DUPLICATE", "Dedup", "ExactDedup", "MinHashDedup",
           "UrlDedup"]
