"""Property-based checks (hypothesis): random text never crashes a text rule, and packing never loses
or invents tokens except the counted remainder; batch boundaries never change the samples."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byod.stages.latex import clean_latex
from byod.stages.normalize import Normalize
from byod.stages.packing import ConcatPacker, reference_concat_tokens
from byod.stages.quality import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=2000)
LINES = st.lists(st.sampled_from(["Hello world.", "", "...", "• item", "{x}", "lorem ipsum", "a " * 30,
                                  "Ça va? 日本語の文。", "\t\u200b\u00a0", "#", "javascript", "The cat sat."]),
                 max_size=60).map("\n".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.one_of(TEXT, LINES))
def test_text_rules_give_a_definite_answer_on_any_text(text):
    for rule in (GopherQualityFilter(), GopherRepetitionFilter(), FineWebQualityFilter()):
        reason = rule.reason(text)
        assert reason is None or (isinstance(reason, str) and "." in reason)
    edited, c4_reason = C4QualityFilter().edit(text)
    assert isinstance(edited, str) and (c4_reason is None or "." in c4_reason)
    assert c4_reason is not None or len(edited) <= len(text)
    normalized = Normalize().normalize(text)
    assert isinstance(normalized, str) and len(normalized) <= len(text) * 3 + 1
    latex_text, latex_reason = clean_latex(text)
    assert (latex_text is None) != (latex_reason is None)


DOCS = st.lists(st.lists(st.integers(min_value=0, max_value=50_000), max_size=40), max_size=40)


@SETTINGS
@given(docs=DOCS, max_seq_len=st.integers(1, 64), bos=st.lists(st.integers(0, 9), max_size=2),
       eos=st.lists(st.integers(0, 9), max_size=2), no_wrap=st.booleans(), cuts=st.lists(st.integers(0, 40), max_size=5))
def test_packing_matches_the_reference_across_any_batching_and_conserves_tokens(docs, max_seq_len, bos, eos,
                                                                                no_wrap, cuts):
    packer = ConcatPacker(max_seq_len=max_seq_len, bos=bos, eos=eos, no_wrap=no_wrap)
    bounds = sorted({0, len(docs), *[c for c in cuts if c <= len(docs)]})
    batches = [packer.add(docs[a:b]) for a, b in zip(bounds, bounds[1:])] or [packer.add([])]
    stats = packer.finish()
    got = np.concatenate(batches).tolist() if batches else []
    assert got == reference_concat_tokens(docs, max_seq_len=max_seq_len, bos=bos, eos=eos, no_wrap=no_wrap)
    tokens_in = sum(len(d) + len(bos) + len(eos) for d in docs)
    assert stats.tokens_in == tokens_in
    assert stats.tokens_out == len(got) * max_seq_len
    assert stats.tokens_in == stats.tokens_out + stats.remainder_tokens_dropped + stats.no_wrap_tokens_dropped
