"""TokenizeFinetune: token-for-token parity with llm-foundry's tokenization re-done with transformers
(pairs and chats, Llama-3 and Qwen2), chat template rendering, fitting to max_seq_len, the Spark stage."""

from __future__ import annotations

import gzip
import json

import pytest
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, ID, SOURCE, TEXT
from byod.errors import InputError, SchemaError
from byod.stages.finetune import tokenize as t
from byod.stages.finetune.chat import ChatTemplateError, render_chat, slice_turns
from byod.stages.finetune.tokenize import TURNS, TokenizeFinetune, fit_turns, prepare_finetune_tokenizer, tokenize_texts
from byod.stages.finetune.validate import canonical_json, check_record

SETTINGS = {"max_seq_len": 1_000_000, "policy": "truncate", "target_prompts": "none", "target_responses": "last"}


def reference_turns(example: dict, hf) -> list[dict] | str:
    """llm-foundry's ``tokenize_formatted_example`` semantics, written against transformers directly.

    Returns the turns, or ``"template"`` where llm-foundry raises on a chat template mismatch.
    """
    if "messages" not in example:
        encoded = hf(text=example["prompt"], text_target=example["response"], padding=False, truncation=False)
        labels = encoded["labels"]
        if getattr(hf, "add_bos_token", False) and hf.bos_token_id is not None and labels[0] == hf.bos_token_id:
            labels = labels[1:]
        return [{"input_ids": encoded["input_ids"], "labels": labels}]
    messages, so_far, turns = example["messages"], "", []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        full = hf.apply_chat_template(messages[: i + 1], tokenize=False)
        prompt = hf.apply_chat_template(messages[:i], tokenize=False, add_generation_prompt=True)
        if not (full.startswith(so_far) and prompt.startswith(so_far) and full.startswith(prompt)):
            return "template"
        encoded = hf(text=prompt[len(so_far):], text_target=full[len(prompt):], add_special_tokens=False,
                     padding=False, truncation=False)
        turns.append({"input_ids": encoded["input_ids"], "labels": encoded["labels"]})
        so_far = full
    return turns


def load_examples(corpora) -> list[dict]:
    rows = [json.loads(line) for name in ("sft_pairs_public.jsonl.gz", "sft_chat_public.jsonl.gz")
            for line in gzip.open(corpora / name, "rt")]
    return [json.loads(check_record(r).text) for r in rows]


@pytest.fixture(scope="module")
def examples(corpora):
    return load_examples(corpora)


@pytest.mark.parametrize("name", ["qwen2", "llama3"])
def test_parity_with_transformers(name, tokenizer_dirs, examples):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(tokenizer_dirs[name]))
    tok = prepare_finetune_tokenizer(str(tokenizer_dirs[name]))
    results = tokenize_texts([canonical_json(e) for e in examples], tok, **SETTINGS)
    outcomes = {"pairs": 0, "chats": 0, "template": 0}
    for example, result in zip(examples, results):
        expected = reference_turns(example, hf)
        if expected == "template":
            assert result["reason"] == t.FT_CHAT_TEMPLATE_ERROR
            outcomes["template"] += 1
            continue
        assert result["reason"] is None
        assert json.loads(result["turns"]) == expected
        assert result["prompt"] == sum(len(x["input_ids"]) for x in expected)
        assert result["response"] == sum(len(x["labels"]) for x in expected)
        assert result["loss"] == len(expected[-1]["labels"])
        outcomes["chats" if "messages" in example else "pairs"] += 1
    assert outcomes["pairs"] == 48
    # Qwen2's template extends each rendering; the DeepSeek-Llama one adds "<think>\n" to the generation
    # prompt only, so llm-foundry rejects every chat with it, and so does byod.
    assert outcomes["chats"] == (31 if name == "qwen2" else 0)
    assert outcomes["template"] == (0 if name == "qwen2" else 31)


@pytest.mark.parametrize("name", ["qwen2", "llama3"])
def test_chat_rendering_matches_apply_chat_template(name, tokenizer_dirs, examples):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(tokenizer_dirs[name]))
    tok = prepare_finetune_tokenizer(str(tokenizer_dirs[name]))
    chats = [e["messages"] for e in examples if "messages" in e]
    for messages in chats:
        for end in range(1, len(messages) + 1):
            for generation in (False, True):
                ours = render_chat(tok.chat_template, messages[:end], add_generation_prompt=generation,
                                   special_tokens=tok.special_tokens)
                assert ours == hf.apply_chat_template(messages[:end], tokenize=False,
                                                      add_generation_prompt=generation)


def test_label_bos_follows_the_tokenizer(tokenizer_dirs):
    llama = prepare_finetune_tokenizer(str(tokenizer_dirs["llama3"]))
    qwen = prepare_finetune_tokenizer(str(tokenizer_dirs["qwen2"]))
    assert llama.label_bos_id == 128000 and qwen.label_bos_id is None
    [result] = tokenize_texts([canonical_json({"prompt": "Hi", "response": "Hello"})], llama, **SETTINGS)
    turn = json.loads(result["turns"])[0]
    assert turn["input_ids"][0] == 128000 and turn["labels"][0] != 128000


def test_bad_templates_are_errors_not_crashes():
    with pytest.raises(ChatTemplateError):
        render_chat("{{ raise_exception('no system role') }}", [], add_generation_prompt=False, special_tokens={})
    with pytest.raises(ChatTemplateError):
        render_chat("{% for %}", [], add_generation_prompt=False, special_tokens={})
    shifting = "{% for m in messages %}{{ m.content }}|{% endfor %}{% if add_generation_prompt %}>{% endif %}"

    def render(msgs, add_generation_prompt):
        return render_chat(shifting, msgs, add_generation_prompt=add_generation_prompt, special_tokens={})

    with pytest.raises(ChatTemplateError):
        slice_turns([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], render)


def test_generation_blocks_render_their_body():
    template = "{% for m in messages %}{% generation %}[{{ m.content }}]{% endgeneration %}{% endfor %}"
    assert render_chat(template, [{"role": "user", "content": "x"}], add_generation_prompt=False,
                       special_tokens={}) == "[x]"


FIT = [
    # (turns, max_seq_len, policy, target_responses, expected reason, expected turns)
    ([([1, 2], [3, 4])], 4, "truncate", "last", None, [([1, 2], [3, 4])]),
    ([([1, 2], [3, 4])], 3, "truncate", "last", None, [([1, 2], [3])]),
    ([([1, 2], [3, 4])], 3, "drop", "last", t.FT_TOO_LONG, []),
    ([([1, 2], [3, 4])], 2, "truncate", "last", t.FT_NO_LOSS_TOKENS, []),
    ([([1], [2]), ([3, 4], [5])], 3, "truncate", "last", t.FT_NO_LOSS_TOKENS, []),
    ([([1], [2]), ([3, 4], [5])], 3, "truncate", "all", None, [([1], [2])]),
    ([([1], [2]), ([3], [4, 5])], 4, "truncate", "last", None, [([1], [2]), ([3], [4])]),
    ([([1], []), ([3], [4])], 9, "truncate", "last", t.FT_EMPTY_TURN, []),
]


@pytest.mark.parametrize("turns,limit,policy,responses,reason,expected", FIT)
def test_fit_turns(turns, limit, policy, responses, reason, expected):
    got_reason, got = fit_turns(turns, max_seq_len=limit, policy=policy, target_responses=responses)
    assert (got_reason, got) == (reason, expected)


def test_truncation_keeps_a_prefix_of_the_stitched_sequence(tokenizer_dirs, examples):
    tok = prepare_finetune_tokenizer(str(tokenizer_dirs["qwen2"]))
    texts = [canonical_json(e) for e in examples]
    full = tokenize_texts(texts, tok, **SETTINGS)
    cut = tokenize_texts(texts, tok, **{**SETTINGS, "max_seq_len": 96})
    truncated = 0
    for whole, part in zip(full, cut):
        stitched = [i for x in json.loads(whole["turns"]) for k in ("input_ids", "labels") for i in x[k]]
        if part["reason"] is not None:
            assert part["reason"] == t.FT_NO_LOSS_TOKENS and len(stitched) > 96
            continue
        ids = [i for x in json.loads(part["turns"]) for k in ("input_ids", "labels") for i in x[k]]
        assert ids == stitched[: len(ids)] and len(ids) <= 96 and part["input"] == len(stitched)
        truncated += len(ids) < len(stitched)
    assert truncated > 10


@pytest.fixture(scope="module")
def frame(spark, corpora):
    rows = [(f"ex{i:03d}", canonical_json(e)) for i, e in enumerate(load_examples(corpora))]
    rows.append(("chat-bad", canonical_json({"messages": [{"role": "system", "content": "s"},
                                                          {"role": "assistant", "content": "a"}]})))
    return spark.createDataFrame(rows, f"{ID} string, {TEXT} string").withColumn(SOURCE, F.lit("t"))


def test_stage_on_spark(frame, tokenizer_dirs):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(tokenizer_dirs["qwen2"]))
    stage = TokenizeFinetune(tokenizer=str(tokenizer_dirs["qwen2"]), max_seq_len=256, policy="drop", keep_all=True)
    rows = {r[ID]: r for r in frame.transform(stage).collect()}
    assert len(rows) == 80
    dropped = {i: r[DROP_REASON] for i, r in rows.items() if r[DROP_REASON]}
    assert set(dropped.values()) == {t.FT_TOO_LONG}
    for r in rows.values():
        if r[DROP_REASON] is None:
            assert json.loads(r[TURNS]) == reference_turns(json.loads(r[TEXT]), hf)
            assert r[t.INPUT_TOKENS] <= 256
        else:
            assert r[t.INPUT_TOKENS] > 256 and r[TURNS] is None
    assert 0 < len(dropped) < 40


def test_missing_chat_template_is_a_reason(frame, tokenizer_dirs):
    stage = TokenizeFinetune(tokenizer=str(tokenizer_dirs["bert"]), max_seq_len=512)
    annotated = frame.transform(TokenizeFinetune(tokenizer=str(tokenizer_dirs["bert"]), max_seq_len=512,
                                                 keep_all=True))
    counts = {r[DROP_REASON]: r["count"] for r in annotated.groupBy(DROP_REASON).count().collect()}
    assert counts[t.FT_NO_CHAT_TEMPLATE] == 32
    assert frame.transform(stage).count() == 80 - 32 - counts.get(t.FT_NO_LOSS_TOKENS, 0)


def test_parameters_are_checked(tokenizer_dirs, frame):
    folder = str(tokenizer_dirs["qwen2"])
    with pytest.raises(ValueError, match="max_seq_len"):
        TokenizeFinetune(tokenizer=folder, max_seq_len=0)
    with pytest.raises(ValueError, match="policy"):
        TokenizeFinetune(tokenizer=folder, policy="cut")
    with pytest.raises(ValueError, match="target_responses"):
        TokenizeFinetune(tokenizer=folder, target_responses="first")
    with pytest.raises(InputError):
        TokenizeFinetune(tokenizer="/no/such/folder")
    with pytest.raises(SchemaError, match="turns"):
        frame.withColumn(TURNS, F.lit("x")).transform(TokenizeFinetune(tokenizer=folder))
