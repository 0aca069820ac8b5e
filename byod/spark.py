"""The Spark session byod runs on: the active one (a cluster, Databricks, Connect) or a local one."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: Settings for a local session; each can be overridden through ``conf``.
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "2048",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "4g",
    "spark.python.worker.reuse": "true",
    "spark.sql.sources.partitionOverwriteMode": "static",
}


def active_session() -> SparkSession | None:
    """The session already running in this process (a notebook, spark-submit, Connect), if any."""
    return SparkSession.getActiveSession()


def get_spark(master: str | None = None, app_name: str = "byod", conf: dict[str, Any] | None = None,
              progress: bool | None = None) -> SparkSession:
    """Return the active session, else build a local one with byod's defaults.

    A local session runs Python workers with the interpreter running this code (``PYSPARK_PYTHON``),
    so workers see the same packages as the driver. Spark's console progress bar is on when
    ``progress`` is True, or when it is None and the run is interactive (a terminal, not CI).
    """
    session = active_session()
    if session is not None:
        return session
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    master = master or os.environ.get("BYOD_SPARK_MASTER", "local[*]")
    builder = SparkSession.builder.master(master).appName(app_name)
    settings = dict(LOCAL_DEFAULTS)
    if progress is None:
        progress = sys.stderr.isatty() and not os.environ.get("CI")
    settings["spark.ui.showConsoleProgress"] = "true" if progress else "false"
    settings.update({k: str(v) for k, v in (conf or {}).items()})
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    log.info("started local Spark %s on %s", session.version, master)
    return session
