"""RunLayout: the one object that knows where a run's files go, and publishes them only when complete.

    <output>/_byod.json                  ownership manifest: byod made this folder; what was published
    <output>/_byod.lock                  the lease: one run at a time (byod.lease)
    <output>/mds/ quarantine/ report.*   the last published run, readable while a new run works
    <output>/documents/                  kept documents as Parquet/JSON lines, when a job asks for them
    <output>/dropped/                    documents the stages dropped, with stage and reason, when asked for
    <output>/_staging/<run_id>/          the new run's mds/, quarantine/, report.json, report.html
    <output>/_work/<run_id>/             the new run's intermediate frames and checkpoints

A run writes only under its staging and work folders. Publication renames the old results into
``_trash/<run_id>`` and the staged ones into place, report.json last, recording each phase in the
manifest first, so a run killed while publishing is finished by the next run that opens the folder.
A failed run leaves the previous results untouched. byod deletes only what it put there: a non-empty
folder without a manifest is refused, whatever ``overwrite`` says.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fsspec.core import url_to_fs

from byod.errors import OutputError, OutputExistsError, ResumeError
from byod.lease import LOCK_NAME, Lease
from byod.safepath import check_name, is_remote, normalize_output

log = logging.getLogger(__name__)

MANIFEST_NAME = "_byod.json"
STAGING, WORK, TRASH = "_staging", "_work", "_trash"
#: What a run publishes, in the order it is installed: report.json last marks a complete output.
PUBLISHED = ("quarantine", "dropped", "documents", "mds", "report.html", "report.json")
INTERNAL = frozenset({MANIFEST_NAME, LOCK_NAME, STAGING, WORK, TRASH})


def new_run_id() -> str:
    """Sortable by start time, unique across hosts: ``20261201T102312Z-1a2b3c4d``."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def config_hash(plain_config: Any) -> str:
    """A short fingerprint of a run's settings, for the manifest and the report."""
    text = json.dumps(plain_config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


@dataclass
class RunLayout:
    """Paths and publication of one run writing into ``output`` (normalised by :func:`normalize_output`)."""

    output: str
    job: str = "?"
    run_id: str = field(default_factory=new_run_id)
    config_hash: str = ""
    lease: Lease | None = field(default=None, repr=False)
    resumed: bool = False

    def __post_init__(self) -> None:
        self.output = normalize_output(self.output)
        self.fs, self._root = url_to_fs(self.output)

    # ---- where things go -------------------------------------------------------------------------------
    @property
    def staging(self) -> str:
        return _join(self.output, STAGING, self.run_id)

    @property
    def work_dir(self) -> str:
        return _join(self.output, WORK, self.run_id)

    @property
    def mds_dir(self) -> str:
        """Where this run writes its MDS dataset (published as ``<output>/mds``)."""
        return _join(self.staging, "mds")

    @property
    def quarantine_root(self) -> str:
        return _join(self.staging, "quarantine")

    def quarantine_dir(self, source: str) -> str:
        """Rejected records of one source; the name is checked, so it cannot leave the output."""
        return _join(self.quarantine_root, check_name(source, "source name"))

    @property
    def documents_dir(self) -> str:
        """Where a documents sink writes (published as ``<output>/documents``)."""
        return _join(self.staging, "documents")

    @property
    def dropped_dir(self) -> str:
        """Where a documents sink writes the dropped documents (published as ``<output>/dropped``)."""
        return _join(self.staging, "dropped")

    @property
    def report_dir(self) -> str:
        """Where report.json and report.html are written before publication."""
        return self.staging

    def published(self, name: str) -> str:
        return _join(self.output, name)

    # ---- the manifest ----------------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any] | None:
        path = _join(self._root, MANIFEST_NAME)
        try:
            with self.fs.open(path, "rb") as handle:
                manifest = json.loads(handle.read().decode("utf-8"))
        except FileNotFoundError:
            return None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise OutputError(f"{self.output}/{MANIFEST_NAME} is damaged ({error}); remove the folder by hand") \
                from None
        return manifest if isinstance(manifest, dict) else {}

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        write_atomic(_join(self.output, MANIFEST_NAME), json.dumps(manifest, indent=2).encode("utf-8"))

    def _entries(self) -> list[str]:
        if not self.fs.exists(self._root):
            return []
        return sorted(os.path.basename(p.rstrip("/")) for p in self.fs.ls(self._root, detail=False))

    def _exists(self, url: str) -> bool:
        return self.fs.exists(url_to_fs(url)[1])

    # ---- a run's life ----------------------------------------------------------------------------------
    def begin(self, *, overwrite: bool, resume: bool = False, inputs: str = "") -> RunLayout:
        """Check ownership, take the lease, finish an interrupted publication, clear dead runs' leftovers.

        With ``resume``, the last attempt that did not publish is continued (its run id and work folder
        are kept) when its settings and inputs (``inputs``: a fingerprint) are the ones given now.
        """
        self._check_owner()
        self.lease = Lease(self.output, self.run_id, job=self.job).acquire()
        try:
            manifest = self.read_manifest()
            if manifest is None:
                self._check_owner()  # nothing changed between the first look and the lease
                manifest = {"byod_output": 1, "created": self._stamp(), "published": None, "publishing": None}
                self._write_manifest(manifest)
            if manifest.get("publishing"):
                log.warning("finishing the interrupted publication of run %s", manifest["publishing"].get("run_id"))
                self._publish(manifest, manifest["publishing"]["run_id"])
            present = [n for n in PUBLISHED if n in self._entries()]
            if present and not overwrite:
                raise OutputExistsError(f"output {self.output} holds the results of run "
                                        f"{(manifest.get('published') or {}).get('run_id', '?')} ({present}); "
                                        "pass overwrite=true to replace them (they stay until the new run is done)")
            keep = self._resumable(manifest.get("attempt"), inputs) if resume else None
            self._clear_leftovers(keep=keep)
            manifest["attempt"] = {**self._stamp(), "inputs": inputs}
            self._write_manifest(manifest)
        except BaseException:
            self.lease.release()
            raise
        return self

    def _resumable(self, attempt: dict[str, Any] | None, inputs: str) -> str | None:
        """The work folder an unfinished attempt left that this run may continue; refuse a mismatch."""
        if not attempt or not self.fs.exists(_join(self._root, WORK, attempt["run_id"])):
            log.info("resume: no unfinished run in %s; starting from the beginning", self.output)
            return None
        if attempt.get("config_hash") != self.config_hash:
            raise ResumeError(f"cannot resume run {attempt['run_id']} in {self.output}: its settings differ from "
                              "these (resume needs the same config; run without resume=true to start over)")
        if attempt.get("inputs") != inputs:
            raise ResumeError(f"cannot resume run {attempt['run_id']} in {self.output}: its inputs changed since "
                              "(paths, sizes or modification times); run without resume=true to start over")
        self.run_id = attempt["run_id"]
        self.resumed = True
        log.info("resuming run %s in %s", self.run_id, self.output)
        return _join(WORK, self.run_id)

    def _check_owner(self) -> None:
        entries = self._entries()
        if entries and MANIFEST_NAME not in entries and set(entries) - {LOCK_NAME}:
            shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
            raise OutputError(f"output {self.output} is not empty and was not made by byod (it holds {shown}); "
                              "byod only replaces folders it created: choose a new or empty folder")

    def _stamp(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "job": self.job, "config_hash": self.config_hash,
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    def _clear_leftovers(self, keep: str | None = None) -> None:
        """Staging, work and trash folders of runs that are over (we hold the lease: none is running).

        ``keep`` (``_work/<run_id>``) survives: the work a resumed run continues.
        """
        for folder in (STAGING, WORK, TRASH):
            root = _join(self._root, folder)
            if not self.fs.exists(root):
                continue
            if keep is not None and keep.startswith(folder + "/"):
                for entry in self.fs.ls(root, detail=False):
                    if entry.rstrip("/") != _join(self._root, keep):
                        self.fs.rm(entry, recursive=True)
            else:
                self.fs.rm(root, recursive=True)

    def publish(self) -> None:
        """Make this run's staged results the folder's results; the old ones go only after."""
        if self.lease is not None:
            self.lease.check()
        manifest = self.read_manifest() or {}
        self._publish(manifest, self.run_id)

    def _publish(self, manifest: dict[str, Any], run_id: str) -> None:
        staging = _join(self._root, STAGING, run_id)
        trash = _join(self._root, TRASH, run_id)
        phase = (manifest.get("publishing") or {}).get("phase", "retire")
        if phase == "retire":
            manifest["publishing"] = {"run_id": run_id, "phase": "retire"}
            self._write_manifest(manifest)
            for name in reversed(PUBLISHED):  # report.json first: the folder stops looking complete
                if self.fs.exists(_join(self._root, name)):
                    self.fs.makedirs(trash, exist_ok=True)
                    self._move(_join(self._root, name), _join(trash, name))
            manifest["publishing"] = {"run_id": run_id, "phase": "install"}
            self._write_manifest(manifest)
        for name in PUBLISHED:
            if self.fs.exists(_join(staging, name)):
                self._move(_join(staging, name), _join(self._root, name))
        manifest["published"] = {**self._stamp(), "run_id": run_id}
        manifest["publishing"] = manifest["attempt"] = None
        self._write_manifest(manifest)
        self._clear_leftovers()  # under the lease no other run is working: every staging and work folder goes

    def _move(self, source: str, target: str) -> None:
        if is_remote(self.output):
            self.fs.mv(source, target, recursive=True)
        else:
            os.replace(source, target)

    def abandon(self) -> None:
        """After a failure: drop the partial staged results, keep the work folder for a look."""
        if self.fs.exists(_join(self._root, STAGING, self.run_id)):
            self.fs.rm(_join(self._root, STAGING, self.run_id), recursive=True)

    def end(self) -> None:
        if self.lease is not None:
            self.lease.release()


def write_atomic(url: str, data: bytes) -> None:
    """Write a small file whole or not at all: a temporary name in the same folder, then a rename."""
    fs, path = url_to_fs(url)
    folder = os.path.dirname(path.rstrip("/"))
    fs.makedirs(folder, exist_ok=True)
    temp = f"{folder}/.{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with fs.open(temp, "wb") as handle:
            handle.write(data)
            if not is_remote(url):
                handle.flush()
                os.fsync(handle.fileno())
        if is_remote(url):
            fs.mv(temp, path)
        else:
            os.replace(temp, path)
    except BaseException:
        if fs.exists(temp):
            fs.rm(temp)
        raise
