"""The Spark session byod runs on: the active one, the one spark-submit prepared, or a local one sized to the machine."""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
from typing import Any

from pyspark.sql import SparkSession

from byod.errors import ConfigError

log = logging.getLogger(__name__)

#: Settings byod gives a session it builds; ``conf`` and spark-submit's own ``--conf`` win over them.
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "2048",
    "spark.sql.adaptive.enabled": "true",
    "spark.python.worker.reuse": "true",
    "spark.sql.sources.partitionOverwriteMode": "static",
}

#: byod's smallest driver heap, in MiB. Spark keeps 300 MiB of any heap for itself and leaves 60% of the
#: rest to execution and storage: at 1 GiB that is 434 MiB, where byod's driver still holds its persisted
#: counts frames' blocks, the collected per-stage counts and the MDS shard index, and (in local mode)
#: runs the tasks, each with room for a few 2048-row Arrow batches of text. It is also Spark's own
#: default, so the warning below only fires for a driver someone made smaller.
MIN_DRIVER_MB = 1024
#: A local driver heap: this base (Spark's 300 MiB reserve, plans, broadcasts, collected results) ...
DRIVER_BASE_MB = 1024
#: ... plus this per task slot: in local mode the driver JVM is also the executor. Spark lends 60% of the
#: heap above its 300 MiB reserve to execution and storage, so 1 GiB + 256 MiB per core gives each running
#: task ~370 MiB (2 cores) for sorts, shuffles and Arrow batches before it spills to disk, which it does
#: correctly, only slower. Measured with bench/e2e.py on 800 MB (2 cores): 2 GiB (512 per core) and
#: 1.5 GiB took the same time (186.4 s and 189.8 s cold), and the larger heap only filled up: peak RSS
#: of the process tree 4.18 vs 3.74 GiB.
DRIVER_PER_CORE_MB = 256
#: At most this share of the machine's memory: each core also runs a Python worker outside the heap
#: (tokenizer, Arrow batches: 0.3-0.5 GiB each), plus the driver's Python and the page cache for shuffle files.
DRIVER_MAX_RAM_SHARE = 0.25
#: Heaps of 32 GiB and more lose compressed object pointers and hold fewer objects than a 31 GiB one.
DRIVER_MAX_MB = 31 * 1024
#: How long a ``spark://`` master may take to accept a TCP connection before byod calls it unreachable.
MASTER_CONNECT_SECONDS = 5.0

_LOCAL_MASTER = re.compile(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?$")
_MEMORY = re.compile(r"(\d+)\s*([kmgt]?)b?$", re.IGNORECASE)


def parse_memory_mb(text: str) -> int:
    """MiB in a JVM memory string (``512m``, ``2g``, ``1t``; a bare number is MiB, as spark.driver.memory reads it)."""
    match = _MEMORY.match(str(text).strip())
    if match is None:
        raise ConfigError(f"Spark memory setting {text!r} is not a size like 512m or 4g")
    number, unit = int(match.group(1)), match.group(2).lower()
    return {"k": number // 1024, "": number, "m": number, "g": number * 1024, "t": number * 1024 * 1024}[unit]


def format_memory(mb: int) -> str:
    """A JVM memory string for ``mb`` MiB: whole GiB as ``2g``, else ``1536m``."""
    return f"{mb // 1024}g" if mb % 1024 == 0 else f"{mb}m"


def driver_memory_mb(task_slots: int, machine_mb: int | None) -> int:
    """byod's driver heap in MiB for a driver running ``task_slots`` tasks (0 on a cluster) on a machine of ``machine_mb``.

    ``DRIVER_BASE_MB + DRIVER_PER_CORE_MB`` per slot, at most ``DRIVER_MAX_RAM_SHARE`` of the machine
    (rounded down to 256 MiB) and ``DRIVER_MAX_MB``, never below ``MIN_DRIVER_MB``.
    """
    wanted = DRIVER_BASE_MB + DRIVER_PER_CORE_MB * max(task_slots, 0)
    if machine_mb is not None:
        wanted = min(wanted, int(machine_mb * DRIVER_MAX_RAM_SHARE) // 256 * 256)
    return max(MIN_DRIVER_MB, min(wanted, DRIVER_MAX_MB))


def machine_cores() -> int:
    """Cores this process may use (its CPU affinity where the OS tells, else all of them)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine_memory_mb() -> int | None:
    """Physical memory in MiB, or a container's (cgroup) limit when lower; None when the OS does not say."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit_file, encoding="ascii") as handle:
                limit = handle.read().strip()
        except OSError:
            continue
        if limit.isdigit():
            total = min(total, int(limit))
    return total // (1024 * 1024)


def local_task_slots(master: str, cores: int) -> int | None:
    """How many tasks a ``local``/``local[N]``/``local[*]`` master runs at once in the driver; None for other masters."""
    match = _LOCAL_MASTER.match(master.strip())
    if match is None:
        return None
    slots = match.group(1)
    return 1 if slots is None else cores if slots == "*" else int(slots)


def check_master(master: str, origin: str = "master", timeout: float = MASTER_CONNECT_SECONDS) -> None:
    """Fail in one line, before any JVM work, when a ``spark://`` master accepts no TCP connection.

    Spark itself retries an unreachable standalone master for about a minute and then fails deep in
    its scheduler. A high-availability URL (``spark://h1:7077,h2:7077``) passes if any master answers.
    """
    if not master.startswith("spark://"):
        return
    reasons = []
    for address in master.removeprefix("spark://").split(","):
        host, _, port = address.strip().rpartition(":") if ":" in address else (address.strip(), "", "7077")
        host = host.strip("[]")  # an IPv6 address in brackets
        if not host or not port.isdigit():
            raise ConfigError(f"Spark master {master} ({origin}) is not spark://HOST:PORT")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except OSError as error:
            reasons.append(f"{host}:{port}: {error.strerror or type(error).__name__}")
    raise ConfigError(f"Spark master {master} ({origin}) cannot be reached ({'; '.join(reasons)}): is the "
                      "cluster running? (scripts/cluster.sh start runs one on this machine)")


def driver_memory_setting(session: SparkSession) -> str | None:
    """The driver's ``spark.driver.memory`` (Spark's default 1g when unset); None where it cannot be read (Connect)."""
    if "connect" in type(session).__module__:  # no SparkContext; the server may not show static settings
        try:
            return session.conf.get("spark.driver.memory", None)
        except Exception:  # noqa: BLE001 - a Connect server refusing a static key is not an error here
            return None
    return session.sparkContext.getConf().get("spark.driver.memory", "1g")


def check_driver_memory(session: SparkSession, minimum_mb: int | None = None,
                        suggested_mb: int | None = None) -> int | None:
    """Warn when the running driver's heap is below ``minimum_mb``; return its size in MiB (None: unknown).

    The setting cannot change once the driver JVM runs (spark-submit, a notebook), so the warning
    says where to set it instead.
    """
    minimum_mb = MIN_DRIVER_MB if minimum_mb is None else minimum_mb
    setting = driver_memory_setting(session)
    if setting is None:
        return None
    try:
        mb = parse_memory_mb(setting)
    except ConfigError:
        return None
    if mb < minimum_mb:
        hint = format_memory(max(minimum_mb, suggested_mb or 0))
        log.warning("Spark driver memory is %s, below byod's minimum of %s; it cannot change once the driver "
                    "JVM runs: start it with `spark-submit --driver-memory %s ...` (or --conf "
                    "spark.driver.memory=%s; on Databricks, a larger driver node)",
                    setting, format_memory(minimum_mb), hint, hint)
    return mb


def submitted_conf() -> dict[str, str] | None:
    """The settings spark-submit gave the JVM it started for this Python process; None without spark-submit."""
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        return None
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()  # connects to spark-submit's JVM; starts nothing new
    return dict(SparkConf().getAll())


def resolve_master(master: str | None = None, submitted: dict[str, str] | None = None) -> tuple[str, str]:
    """The master a new session gets and where it comes from: ``master``, spark-submit's ``--master``
    (``submitted``: see :func:`submitted_conf`), ``BYOD_SPARK_MASTER``, else ``local[*]``."""
    if master:
        return master, "given"
    if submitted and submitted.get("spark.master"):
        return submitted["spark.master"], "spark-submit --master"
    if os.environ.get("BYOD_SPARK_MASTER"):
        return os.environ["BYOD_SPARK_MASTER"], "BYOD_SPARK_MASTER"
    return "local[*]", "default"


def check_session_master(master: str | None = None) -> None:
    """Before a job touches its output: fail in one line when the session byod would build has an unreachable master."""
    if active_session() is None:
        check_master(*resolve_master(master, submitted_conf()))


def get_spark(master: str | None = None, app_name: str = "byod", conf: dict[str, Any] | None = None,
              progress: bool | None = None) -> SparkSession:
    """Return the active session, else build one: on spark-submit's JVM and master, or local with byod's defaults.

    The master is ``master``, else spark-submit's ``--master``, else ``BYOD_SPARK_MASTER``, else
    ``local[*]``; an unreachable ``spark://`` master is a :class:`ConfigError`. A driver byod starts
    gets a heap sized to the machine (:func:`driver_memory_mb`) unless ``conf`` sets one; under
    spark-submit the JVM already runs, so byod only says what it has. Python workers run the
    interpreter running this code (``PYSPARK_PYTHON``). Spark's console progress bar is on when
    ``progress`` is True, or when it is None and the run is interactive (a terminal, not CI).
    """
    session = active_session()
    if session is not None:
        check_driver_memory(session)
        return session
    submitted = submitted_conf()
    master, origin = resolve_master(master, submitted)
    check_master(master, origin)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings = {k: v for k, v in LOCAL_DEFAULTS.items() if k not in (submitted or {})}
    if progress is None:
        progress = sys.stderr.isatty() and not os.environ.get("CI")
    settings["spark.ui.showConsoleProgress"] = "true" if progress else "false"
    slots = local_task_slots(master, machine_cores())
    suggested = driver_memory_mb(slots or 0, machine_memory_mb())
    source = "set by spark-submit" if submitted is not None else "from the config"
    if submitted is None and "spark.driver.memory" not in (conf or {}):
        settings["spark.driver.memory"], source = format_memory(suggested), "chosen by byod"
    settings.update({k: str(v) for k, v in (conf or {}).items()})
    builder = SparkSession.builder
    if origin != "spark-submit --master":
        builder = builder.master(master)
    if "spark.app.name" not in (submitted or {}):
        builder = builder.appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _log_driver_memory(session, master, slots, suggested, source)
    return session


def _log_driver_memory(session: SparkSession, master: str, slots: int | None, suggested_mb: int,
                       source: str) -> None:
    """Say what heap the driver got and why; warn when it is below byod's minimum (see check_driver_memory)."""
    mb = check_driver_memory(session, suggested_mb=suggested_mb)
    machine = machine_memory_mb()
    where = f"machine {machine / 1024:.0f} GiB, {machine_cores()} cores" if machine else f"{machine_cores()} cores"
    kind = f"local Spark {session.version} on {master}" if slots is not None else f"Spark {session.version} on {master}"
    tasks = f" for {slots} task slot{'s' if slots != 1 else ''}" if slots is not None else ""
    log.info("%s: driver memory %s%s, %s (%s)", kind, format_memory(mb) if mb else "unknown", tasks, source, where)
    if source == "set by spark-submit" and slots is not None and mb is not None and MIN_DRIVER_MB <= mb < suggested_mb:
        log.info("in local mode the driver also runs every task: byod would give it %s here "
                 "(spark-submit --driver-memory %s ...)", format_memory(suggested_mb), format_memory(suggested_mb))


def active_session() -> SparkSession | None:
    """The session already running in this process (a notebook, a test, Connect), if any."""
    return SparkSession.getActiveSession()
