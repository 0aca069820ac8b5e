"""One run per output folder: an exclusive lease file with a heartbeat.

``<output>/_byod.lock`` holds the run id, host, pid and the time of the last heartbeat. It is created
atomically (``O_EXCL`` on local disks; on object stores, write then read back, which is as close as
they allow). A lease is stale, and may be taken over, when its heartbeat is older than ``stale_after_s``
or, on the same host, when its process is gone (a killed run). A run that finds its lease taken over
stops before publishing anything.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fsspec.core import url_to_fs

from byod.errors import LeaseHeldError, OutputError
from byod.safepath import is_remote

log = logging.getLogger(__name__)

LOCK_NAME = "_byod.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def describe(holder: dict[str, Any]) -> str:
    """The holder of a lease in words, for error messages."""
    age = time.time() - float(holder.get("heartbeat", 0))
    return (f"run {holder.get('run_id', '?')} of job {holder.get('job', '?')} (host {holder.get('host', '?')}, "
            f"pid {holder.get('pid', '?')}, last heartbeat {age:.0f} s ago)")


@dataclass
class Lease:
    """The lease of one output folder for one run; ``acquire()`` ... ``release()`` (or ``with``)."""

    output: str
    run_id: str
    job: str = "?"
    stale_after_s: float = 300.0
    heartbeat_s: float = 20.0
    lost: bool = False
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def path(self) -> str:
        return f"{self.output.rstrip('/')}/{LOCK_NAME}"

    def _content(self) -> bytes:
        return json.dumps({"run_id": self.run_id, "job": self.job, "host": socket.gethostname(), "pid": os.getpid(),
                           "heartbeat": time.time()}).encode()

    def read(self) -> dict[str, Any] | None:
        """The lease file's content; None when there is none; ``{}`` when it cannot be parsed."""
        fs, path = url_to_fs(self.path)
        try:
            with fs.open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        try:
            holder = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def is_stale(self, holder: dict[str, Any]) -> bool:
        """True when the holder stopped beating, or is a process on this host that no longer exists."""
        if not holder:
            return True  # a half-written or foreign file: nobody can be holding it in a readable way
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
            if not _pid_alive(holder["pid"]):
                return True
        return time.time() - float(holder.get("heartbeat", 0)) > self.stale_after_s

    def _create_exclusive(self) -> bool:
        fs, path = url_to_fs(self.path)
        if not is_remote(self.path):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._content())
            return True
        if fs.exists(path):
            return False
        self._write()
        return (self.read() or {}).get("run_id") == self.run_id

    def _write(self) -> None:
        """Replace the lease file's content (temporary name, then rename where the store allows)."""
        fs, path = url_to_fs(self.path)
        temp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
        with fs.open(temp, "wb") as handle:
            handle.write(self._content())
        if is_remote(self.path):
            fs.mv(temp, path)
        else:
            os.replace(temp, path)

    def acquire(self) -> Lease:
        """Take the lease or raise LeaseHeldError naming the run that holds it."""
        fs, root = url_to_fs(self.output)
        try:
            fs.makedirs(root, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create output folder {self.output}: {error}") from None
        if not self._create_exclusive():
            holder = self.read()
            if holder is not None and not self.is_stale(holder):
                raise LeaseHeldError(f"output {self.output} is in use by {describe(holder)}; wait for it to end, "
                                     f"or remove {self.path} if that run is gone")
            log.warning("taking over a stale lease on %s from %s", self.output, describe(holder or {}))
            self._write()
            time.sleep(0.05)  # two runs taking over at once: the last writer wins, the other sees it below
            if (self.read() or {}).get("run_id") != self.run_id:
                raise LeaseHeldError(f"output {self.output} was taken by another run at the same moment")
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="byod-lease", daemon=True)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                if (self.read() or {}).get("run_id") != self.run_id:
                    self.lost = True
                    log.error("the lease on %s was taken over by another run", self.output)
                    return
                self._write()
            except OSError as error:  # a transient storage error: try again at the next beat
                log.warning("lease heartbeat on %s failed: %s", self.output, error)

    def check(self) -> None:
        """Raise unless this run still holds the lease (called before anything is published)."""
        if self.lost or (self.read() or {}).get("run_id") != self.run_id:
            self.lost = True
            raise LeaseHeldError(f"run {self.run_id} lost its lease on {self.output} to another run; "
                                 "nothing was published")

    def release(self) -> None:
        """Stop the heartbeat and remove the lease file if it is still this run's."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            if (self.read() or {}).get("run_id") == self.run_id:
                fs, path = url_to_fs(self.path)
                fs.rm(path)
        except OSError as error:
            log.warning("could not remove the lease %s: %s", self.path, error)

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
