"""byod's word splitter vs spaCy's blank English tokenizer (DataTrove 0.9.0's words): parity and speed.

Texts: every text in ../shared/corpora (web, LaTeX, near-duplicate documents, finetuning prompts,
responses and chat messages). spaCy's words are DataTrove's: token texts stripped, whitespace tokens
dropped. A document is at parity when both token lists are identical. Speed is MB of text per second
on one core over the same texts: byod with its chunk cache cleared before each pass (one pass over new
text) and warm (a long-running worker), spaCy's tokenizer alone with its cache warm, and DataTrove's
own call (the blank English pipeline inside a memory zone per document, as its filters run it).

    .venv/bin/python bench/word_split.py [--repeats 3] [--show 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPORA, REPO  # noqa: E402

sys.path.insert(0, str(REPO))
from byod.stages.quality import words as byod_words  # noqa: E402


def corpus_texts() -> list[tuple[str, str]]:
    """(name, text) for every text in ../shared/corpora."""
    out: list[tuple[str, str]] = []
    for name in ("web_public", "latex_public", "neardup_public"):
        with gzip.open(CORPORA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
            out += [(f"{name}:{i}", json.loads(line)["text"]) for i, line in enumerate(handle)]
    with gzip.open(CORPORA / "sft_pairs_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            record = json.loads(line)
            out += [(f"sft_pairs:{i}:prompt", record["prompt"]), (f"sft_pairs:{i}:response", record["response"])]
    with gzip.open(CORPORA / "sft_chat_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            out += [(f"sft_chat:{i}:{j}", m["content"]) for j, m in enumerate(json.loads(line)["messages"])]
    return out


def spacy_words():
    """DataTrove's word split: spaCy's blank English tokenizer, token texts stripped, blanks dropped."""
    import spacy

    nlp = spacy.blank("en")

    def words(text: str) -> list[str]:
        nlp.max_length = len(text) + 10
        return [t.text.strip() for t in nlp.tokenizer(text) if t.text.strip()]

    return words


def parity(texts: list[tuple[str, str]], reference) -> tuple[int, list[tuple[str, list[str], list[str]]]]:
    """(documents token-identical, the others as (name, byod tokens, spaCy tokens))."""
    same = 0
    differ = []
    for name, text in texts:
        ours, theirs = byod_words.split_words(text), reference(text)
        if ours == theirs:
            same += 1
        else:
            differ.append((name, ours, theirs))
    return same, differ


def first_difference(ours: list[str], theirs: list[str], width: int = 6) -> str:
    index = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return f"byod {ours[max(0, index - 2):index + width]} | spaCy {theirs[max(0, index - 2):index + width]}"


def speed(split, texts: list[str], repeats: int, clear=None) -> float:
    """Best MB/s of ``repeats`` passes over ``texts`` (cache cleared before each pass when given)."""
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    best = float("inf")
    for _ in range(repeats):
        if clear is not None:
            clear()
        start = time.perf_counter()
        for text in texts:
            split(text)
        best = min(best, time.perf_counter() - start)
    return megabytes / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--show", type=int, default=5, help="differing documents to print")
    args = parser.parse_args()
    texts = corpus_texts()
    reference = spacy_words()
    same, differ = parity(texts, reference)
    print(f"documents: {len(texts)}; token-identical to spaCy: {same}/{len(texts)} = {same / len(texts):.2%}")
    for name, ours, theirs in differ[: args.show]:
        print(f"  {name}: {len(ours)} vs {len(theirs)} tokens; {first_difference(ours, theirs)}")
    plain = [t for _, t in texts]
    cold = speed(byod_words.split_words, plain, args.repeats, byod_words.split_chunk.cache_clear)
    warm = speed(byod_words.split_words, plain, args.repeats)
    tokenizer = speed(reference, plain, args.repeats)
    datatrove = speed(datatrove_words(), plain, args.repeats)
    print("speed, MB/s on one core (best of repeats):")
    print(f"  byod cold cache {cold:.2f} | byod warm cache {warm:.2f} | spaCy tokenizer, warm cache {tokenizer:.2f} "
          f"| spaCy as DataTrove 0.9.0 calls it {datatrove:.2f}")
    print(f"  byod cold / spaCy tokenizer {cold / tokenizer:.1f}x | byod cold / DataTrove's spaCy {cold / datatrove:.1f}x "
          f"| byod warm / DataTrove's spaCy {warm / datatrove:.1f}x")


def datatrove_words():
    """DataTrove's own English word tokenizer (spaCy with a sentencizer, a memory zone per document)."""
    from datatrove.utils.word_tokenizers import load_word_tokenizer

    return load_word_tokenizer("en").word_tokenize

if __name__ == "__main__":
    main()
