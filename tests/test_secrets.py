"""Issue 14 case 10, config side: byod/secrets.py masks what a config read from the environment or holds
under a credential-like key, in the report's config, in free text (argv, stage params), in log records
and in exception messages; the report dict built with it and rendered to HTML holds no secret."""

from __future__ import annotations

import io
import json
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

from byod.config import load_config
from byod.report import RunReport
from byod.report_html import render_html
from byod.secrets import (
    MASK,
    SecretFilter,
    config_secrets,
    is_secret_key,
    mask_config,
    mask_text,
    mask_values,
    masking,
)

ACCOUNT_KEY = "Zm9vYmFyLXN0b3JhZ2Uta2V5LTdmM2E5=="  # distinctive: found only if it leaks
HF_TOKEN = "hf_literalTokenInTheFile123"


@dataclass
class Source:
    name: str = "docs"
    paths: list[str] = field(default_factory=lambda: ["data"])
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Job:
    output: str = "out"
    sources: list[Source] = field(default_factory=lambda: [Source()])
    tokenize: dict[str, Any] = field(default_factory=lambda: {"tokenizer": "gpt2", "add_bos_token": True,
                                                              "bos_token_id": 1, "eos_text": ""})
    spark_conf: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


CONFIG = """
output: /data/out
sources:
  - name: web
    paths: [/data/web]
    options: {text_key: body, key_field: url, id_key: doc_id, prompt_key: question}
spark_conf:
  fs.azure.account.key.acct.dfs.core.windows.net: ${oc.env:STORAGE_ACCOUNT_KEY}
  spark.executor.memory: 4g
extra:
  hf_token: HF_TOKEN_HERE
  password: hunter2-hunter2
  storage_account_key: plain-literal-key-0001
  endpoint: https://acct.example.net/?sig=${oc.env:STORAGE_ACCOUNT_KEY}
  alias: ${oc.env:STORAGE_ACCOUNT_KEY}
  mention: 'key is ${extra.alias}'
""".replace("HF_TOKEN_HERE", HF_TOKEN)


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_ACCOUNT_KEY", ACCOUNT_KEY)
    file = tmp_path / "job.yaml"
    file.write_text(CONFIG)
    return load_config(Job, file)


def test_masked_config_holds_no_secret_and_keeps_the_rest(config):
    masked = mask_config(config)
    dumped = json.dumps(masked)
    for secret in (ACCOUNT_KEY, HF_TOKEN, "hunter2-hunter2", "plain-literal-key-0001"):
        assert secret not in dumped
    assert masked["spark_conf"]["fs.azure.account.key.acct.dfs.core.windows.net"] == MASK
    assert masked["extra"] == {"hf_token": MASK, "password": MASK, "storage_account_key": MASK,
                               "endpoint": MASK, "alias": MASK, "mention": f"key is {MASK}"}
    assert masked["spark_conf"]["spark.executor.memory"] == "4g"
    assert masked["output"] == "/data/out"
    assert masked["sources"][0]["options"] == {"text_key": "body", "key_field": "url", "id_key": "doc_id",
                                               "prompt_key": "question"}
    assert masked["tokenize"] == {"tokenizer": "gpt2", "add_bos_token": True, "bos_token_id": 1, "eos_text": ""}
    # the config itself still resolves to the real values for Spark and the stages
    assert config.spark_conf["fs.azure.account.key.acct.dfs.core.windows.net"] == ACCOUNT_KEY


def test_an_override_key_with_dots_nests_and_is_still_masked(monkeypatch):
    """``spark_conf.fs.azure.account.key.acct=...`` on the command line becomes nested dicts."""
    cfg = load_config(Job, None, [f"spark_conf.fs.azure.account.key.acct={ACCOUNT_KEY}", "extra.api.key=k-0123456789"])
    masked = mask_config(cfg)
    assert masked["spark_conf"] == {"fs": {"azure": {"account": {"key": MASK}}}}
    assert masked["extra"] == {"api": {"key": MASK}}
    assert ACCOUNT_KEY not in json.dumps(masked) and ACCOUNT_KEY in config_secrets(cfg)


def test_plain_dicts_and_dataclass_instances_are_masked_by_key():
    assert mask_config({"extra": {"api_key": "k-0123456789", "text_key": "body"}}) == {
        "extra": {"api_key": MASK, "text_key": "body"}}
    masked = mask_config(Job(extra={"password": "hunter2-hunter2"}))
    assert masked["extra"] == {"password": MASK} and masked["output"] == "out"


def test_config_secrets_lists_every_secret_value(config):
    secrets = config_secrets(config)
    for secret in (ACCOUNT_KEY, HF_TOKEN, "hunter2-hunter2", "plain-literal-key-0001"):
        assert secret in secrets
    assert "4g" not in secrets and "/data/out" not in secrets and "body" not in secrets


@pytest.mark.parametrize(
    "key, secret",
    [
        ("fs.azure.account.key.acct.dfs.core.windows.net", True),
        ("spark.hadoop.fs.azure.account.key.x.blob.core.windows.net", True),
        ("fs.s3a.access.key", True),
        ("fs.s3a.secret.key", True),
        ("storage_account_key", True),
        ("api_key", True),
        ("apiKey", True),
        ("hf_token", True),
        ("DATABRICKS_TOKEN", True),
        ("password", True),
        ("spark.ssl.keyPassword", True),
        ("client_secret", True),
        ("credentials", True),
        ("text_key", False),
        ("key_field", False),
        ("id_key", False),
        ("prompt_key", False),
        ("messages_key", False),
        ("task_key", False),
        ("job_cluster_key", False),
        ("add_bos_token", False),
        ("bos_token_id", False),
        ("max_tokens", False),
        ("tokenizer", False),
        ("keep_all", False),
        ("monkey", False),
    ],
)
def test_secret_key_rule(key, secret):
    assert is_secret_key(key) is secret


def test_mask_text_and_mask_values():
    secrets = [ACCOUNT_KEY, "short"]
    assert mask_text(f"auth failed for {ACCOUNT_KEY}: retry", secrets) == f"auth failed for {MASK}: retry"
    assert mask_text("a short word stays", secrets) == "a short word stays"  # under 6 characters
    report = {"argv": ["byod", f"spark_conf.x={ACCOUNT_KEY}"], ACCOUNT_KEY: [1, {"k": ACCOUNT_KEY}], "n": 3}
    assert mask_values(report, secrets) == {"argv": ["byod", f"spark_conf.x={MASK}"], MASK: [1, {"k": MASK}],
                                            "n": 3}


def test_report_json_and_html_built_with_the_masks_hold_no_secret(config, monkeypatch):
    """The wiring job.py and report.py need: masked config in, argv and stage params masked on the way out."""
    monkeypatch.setattr(sys, "argv", ["byod", "run", "job", f"spark_conf.x={ACCOUNT_KEY}"])
    report = RunReport(job="job", config=mask_config(config))
    report.stage_details.append({"name": "Remote", "params": {"endpoint": f"https://h/?k={ACCOUNT_KEY}"}})
    report.counts = {"totals": {"in": 0, "kept": 0, "dropped": 0, "rejected": 0}, "sources": {},
                     "stages": [{"name": "Remote", "in": 0, "out": 0, "dropped": 0}]}
    written = mask_values(report.to_dict(spark_version="4"), config_secrets(config))
    dumped = json.dumps(written) + render_html(written)
    for secret in (ACCOUNT_KEY, HF_TOKEN, "hunter2-hunter2", "plain-literal-key-0001"):
        assert secret not in dumped
    assert "/data/out" in dumped and "4g" in dumped
    unmasked = json.dumps(report.to_dict(spark_version="4"))
    assert ACCOUNT_KEY in unmasked  # argv and params do carry it: the final mask_values pass is needed


def _capture(logger_name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream, handler


def test_secret_filter_masks_messages_arguments_and_tracebacks():
    logger, stream, handler = _capture("byod.test_secrets.filter")
    handler.addFilter(SecretFilter([ACCOUNT_KEY]))
    try:
        logger.info("connecting with %s", ACCOUNT_KEY)
        try:
            raise RuntimeError(f"refused key {ACCOUNT_KEY}")
        except RuntimeError:
            logger.exception("failed")
        logger.info("nothing secret here: %d files", 3)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert ACCOUNT_KEY not in text
    assert f"connecting with {MASK}" in text and f"refused key {MASK}" in text and "nothing secret here: 3 files" in text


def test_masking_block_covers_root_handlers_and_escaping_errors():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        with pytest.raises(ValueError) as info, masking([ACCOUNT_KEY]):
            logging.getLogger("byod.some.module").info("conf %s", {"k": ACCOUNT_KEY})
            raise ValueError(f"bad value {ACCOUNT_KEY}")
        logging.getLogger("byod.some.module").info("after %s", ACCOUNT_KEY)  # filter removed after the block
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert str(info.value) == f"bad value {MASK}"
    lines = stream.getvalue().splitlines()
    assert lines[0] == f"conf {{'k': '{MASK}'}}" and lines[1] == f"after {ACCOUNT_KEY}"
