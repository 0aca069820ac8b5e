"""byod.spark: the driver heap rule, master and memory-string parsing, the unreachable-master check (a
one-line error before any JVM starts) and the warning for a driver below byod's minimum."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import byod.spark as byod_spark
from byod.errors import ConfigError
from byod.spark import (
    MIN_DRIVER_MB,
    check_driver_memory,
    check_master,
    driver_memory_mb,
    format_memory,
    local_task_slots,
    machine_memory_mb,
    parse_memory_mb,
)

REPO = Path(__file__).resolve().parent.parent
GIB = 1024


@pytest.mark.parametrize(("slots", "machine_mb", "expected_mb"), [
    (2, 24 * GIB, 1536),         # this machine: 1 GiB base + 256 MiB per core, far below a quarter of 24 GiB
    (0, 24 * GIB, MIN_DRIVER_MB),  # a cluster driver runs no tasks: the base only
    (4, 24 * GIB, 2 * GIB),
    (16, 8 * GIB, 2 * GIB),      # a laptop: capped at a quarter of its memory for the Python workers
    (10, 10 * GIB, 2560),        # the quarter (2.5 GiB) is rounded down to 256 MiB steps
    (2, 2 * GIB, MIN_DRIVER_MB),  # a small machine still gets byod's minimum
    (200, 1024 * GIB, 31 * GIB),  # never 32 GiB or more (compressed object pointers)
    (3, None, 1792),             # memory unknown: the per-core rule alone
])
def test_driver_memory_rule(slots, machine_mb, expected_mb):
    assert driver_memory_mb(slots, machine_mb) == expected_mb


@pytest.mark.parametrize(("master", "slots"), [
    ("local", 1), ("local[*]", 6), ("local[3]", 3), ("local[4,2]", 4), ("local[*, 3]", 6),
    ("local-cluster[2,1,1024]", None), ("spark://127.0.0.1:7077", None), ("yarn", None),
])
def test_local_task_slots(master, slots):
    assert local_task_slots(master, 6) == slots


@pytest.mark.parametrize(("text", "mb"), [("2g", 2048), ("1536m", 1536), ("1536M", 1536), ("4096", 4096),
                                          ("1t", 1024 * 1024), ("524288k", 512), ("3gb", 3072)])
def test_parse_memory(text, mb):
    assert parse_memory_mb(text) == mb


def test_bad_memory_string_is_a_config_error():
    with pytest.raises(ConfigError, match="'lots'"):
        parse_memory_mb("lots")


def test_format_memory():
    assert [format_memory(mb) for mb in (1024, 2048, 1536, 2560)] == ["1g", "2g", "1536m", "2560m"]


def test_machine_memory_is_the_physical_memory_or_less():
    physical = psutil.virtual_memory().total // (1024 * 1024)
    measured = machine_memory_mb()
    assert measured is not None and 0 < measured <= physical


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_master_is_one_config_error_naming_it():
    url = f"spark://127.0.0.1:{_closed_port()}"
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        check_master(url, "spark-submit --master")
    assert time.perf_counter() - started < 2
    message = str(caught.value)
    assert url in message and "spark-submit --master" in message and "\n" not in message


def test_reachable_master_passes_and_any_live_master_of_a_ha_url_will_do():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        check_master(f"spark://127.0.0.1:{port}")
        check_master(f"spark://127.0.0.1:{_closed_port()},127.0.0.1:{port}")


@pytest.mark.parametrize("master", ["spark://:7077", "spark://127.0.0.1:port"])
def test_malformed_spark_master_is_a_config_error(master):
    with pytest.raises(ConfigError, match="spark://HOST:PORT"):
        check_master(master)


@pytest.mark.parametrize("master", ["local[*]", "local-cluster[2,1,1024]", "yarn", "k8s://https://10.0.0.1:6443"])
def test_other_masters_are_not_probed(master):
    check_master(master)  # nothing to connect to here; Spark reports these itself


def test_byod_run_with_an_unreachable_master_fails_in_one_line_before_any_jvm(tmp_path, tokenizer_dirs):
    url = f"spark://127.0.0.1:{_closed_port()}"
    # no Java at all: the run can only fail with byod's own line if it stops before starting a JVM
    env = {**os.environ, "BYOD_SPARK_MASTER": url, "JAVA_HOME": str(tmp_path / "no-java")}
    env.pop("PYSPARK_GATEWAY_PORT", None)
    proc = subprocess.run([sys.executable, "-m", "byod.cli", "run", "c4_arxiv", f"output={tmp_path / 'out'}",
                           f"tokenize.tokenizer={tokenizer_dirs['llama3']}"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("byod: error:")]
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert len(errors) == 1 and url in errors[0] and "BYOD_SPARK_MASTER" in errors[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


def test_driver_below_the_minimum_is_warned_about_with_how_to_set_it(spark, caplog):
    caplog.set_level(logging.INFO, logger="byod.spark")
    assert check_driver_memory(spark) == 2048  # the test session's 2g is above the default minimum ...
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert check_driver_memory(spark, minimum_mb=4096, suggested_mb=6144) == 2048  # ... and below this one
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "is 2g, below byod's minimum of 4g" in warnings[0]
    assert "spark-submit --driver-memory 6g" in warnings[0] and "spark.driver.memory=6g" in warnings[0]


def test_active_session_is_checked_against_byods_minimum(spark, caplog, monkeypatch):
    monkeypatch.setattr(byod_spark, "MIN_DRIVER_MB", 3072)
    caplog.set_level(logging.WARNING, logger="byod.spark")
    assert byod_spark.get_spark() is spark  # a notebook's or spark-submit's session is used as it is ...
    assert any("below byod's minimum of 3g" in r.getMessage() for r in caplog.records)  # ... and checked
