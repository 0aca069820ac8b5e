"""Finetuning validation: one crafted record per reason code, real pairs and chats kept, the Spark filter."""

from __future__ import annotations

import gzip
import json

import pytest
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, ID, TEXT
from byod.stages.finetune import validate as v
from byod.stages.finetune.validate import ValidateFinetune, canonical_json, check_record, example_reason

OK = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]

CASES = [
    ("a list", ["prompt", "response"], {}, v.FT_NOT_OBJECT),
    ("no known key", {"question": "q", "answer": "a"}, {}, v.FT_UNKNOWN_FORMAT),
    ("both formats", {"prompt": "q", "response": "a", "messages": OK}, {}, v.FT_AMBIGUOUS_FORMAT),
    ("response only", {"response": "a"}, {}, v.FT_MISSING_PROMPT),
    ("prompt only", {"prompt": "q"}, {}, v.FT_MISSING_RESPONSE),
    ("prompt a number", {"prompt": 7, "response": "a"}, {}, v.FT_PROMPT_NOT_STRING),
    ("response a list", {"prompt": "q", "response": ["a"]}, {}, v.FT_RESPONSE_NOT_STRING),
    ("blank prompt", {"prompt": " \n", "response": "a"}, {}, v.FT_EMPTY_PROMPT),
    ("empty response", {"prompt": "q", "response": ""}, {}, v.FT_EMPTY_RESPONSE),
    ("chat declared, none", {"prompt": "q"}, {"example_format": "chat"}, v.FT_MISSING_MESSAGES),
    ("messages a string", {"messages": "user: hi"}, {}, v.FT_MESSAGES_NOT_LIST),
    ("one message", {"messages": OK[1:]}, {}, v.FT_TOO_FEW_MESSAGES),
    ("message a string", {"messages": ["hi", OK[1]]}, {}, v.FT_MESSAGE_NOT_OBJECT),
    ("extra key", {"messages": [{**OK[0], "name": "x"}, OK[1]]}, {}, v.FT_MESSAGE_KEYS),
    ("last has no role", {"messages": [OK[0], {"content": "x"}]}, {}, v.FT_MESSAGE_KEYS),
    ("last from user", {"messages": [OK[1], OK[0]]}, {}, v.FT_LAST_NOT_ASSISTANT),
    ("role None", {"messages": [{"role": None, "content": "Hi"}, OK[1]]}, {}, v.FT_BAD_ROLE),
    ("role unknown", {"messages": [{"role": "human", "content": "Hi"}, OK[1]]}, {}, v.FT_BAD_ROLE),
    ("role a list", {"messages": [{"role": ["user"], "content": "Hi"}, OK[1]]}, {}, v.FT_BAD_ROLE),
    ("content a list", {"messages": [{"role": "user", "content": ["Hi"]}, OK[1]]}, {}, v.FT_CONTENT_NOT_STRING),
    ("content None", {"messages": [{"role": "user", "content": None}, OK[1]]}, {}, v.FT_CONTENT_NOT_STRING),
    ("user twice", {"messages": [OK[0], OK[0], OK[1]]}, {}, v.FT_REPEATED_ROLE),
    ("too long", {"prompt": "q" * 10, "response": "a"}, {"max_chars": 10}, v.FT_TOO_MANY_CHARS),
]


@pytest.mark.parametrize("label,record,options,code", CASES, ids=[c[0] for c in CASES])
def test_each_rule_has_its_code(label, record, options, code):
    checked = check_record(record, **options)
    assert checked.reason == code
    assert checked.text is None


def test_every_code_is_exercised():
    assert {c[3] for c in CASES} == set(v.VALIDATION_CODES)


def test_last_role_is_checked_before_earlier_messages():
    # llm-foundry checks the last message's role before walking the messages
    record = {"messages": [{"role": "human", "content": "x"}, OK[0]]}
    assert check_record(record).reason == v.FT_LAST_NOT_ASSISTANT


def test_canonical_form_maps_completion_and_ignores_other_keys():
    checked = check_record({"prompt": "q", "completion": "a", "id": 3, "source": "s"})
    assert checked.reason is None and checked.example_format == v.PROMPT_RESPONSE
    assert json.loads(checked.text) == {"prompt": "q", "response": "a"}
    mapped = check_record({"question": "q", "answer": "a"}, prompt_key="question", response_keys=("answer",))
    assert json.loads(mapped.text) == {"prompt": "q", "response": "a"}
    chat = check_record({"messages": OK, "id": 1})
    assert chat.example_format == v.CHAT and json.loads(chat.text) == {"messages": OK}


def test_real_pairs_and_chats_are_valid(corpora):
    for name, fmt in (("sft_pairs_public.jsonl.gz", v.PROMPT_RESPONSE), ("sft_chat_public.jsonl.gz", v.CHAT)):
        rows = [json.loads(line) for line in gzip.open(corpora / name, "rt")]
        checked = [check_record(r) for r in rows]
        assert [c.reason for c in checked] == [None] * len(rows)
        assert {c.example_format for c in checked} == {fmt}


def test_example_reason_requires_llm_foundry_keys():
    assert example_reason(canonical_json({"prompt": "q", "response": "a"})) is None
    assert example_reason(json.dumps({"prompt": "q", "response": "a", "id": 1})) == v.FT_UNKNOWN_FORMAT
    assert example_reason("{not json") == v.FT_NOT_OBJECT
    assert example_reason(None) is None


def test_filter_on_spark(spark):
    rows = [("a", canonical_json({"prompt": "q", "response": "a"})),
            ("b", json.dumps({"messages": [OK[0], OK[0], OK[1]]})),
            ("c", json.dumps({"messages": "hi"})),
            ("d", canonical_json({"messages": OK}))]
    df = spark.createDataFrame(rows, f"{ID} string, {TEXT} string").withColumn("source", F.lit("t"))
    annotated = df.transform(ValidateFinetune(keep_all=True))
    reasons = {r[ID]: r[DROP_REASON] for r in annotated.collect()}
    assert reasons == {"a": None, "b": v.FT_REPEATED_ROLE, "c": v.FT_MESSAGES_NOT_LIST, "d": None}
    assert sorted(r[ID] for r in df.transform(ValidateFinetune()).collect()) == ["a", "d"]


def test_filter_rejects_bad_max_chars():
    with pytest.raises(ValueError, match="max_chars"):
        ValidateFinetune(max_chars=0)
