"""Uploads the local files a job names (entry script, wheel) with databricks-sdk, before the job is sent.

``/Workspace/...`` goes through the workspace API (``workspace/mkdirs`` + ``workspace/import`` as a file,
not a notebook); ``/Volumes/...`` through the Files API (``fs/directories`` + ``fs/files``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from byod.workflow.resource import LocalFile

log = logging.getLogger("byod.workflow")


def upload_files(w: Any, files: Iterable[LocalFile]) -> None:
    """Upload each file to its remote path, creating the folder first; overwrite what is there."""
    from databricks.sdk.service.workspace import ImportFormat

    made: set[str] = set()
    for item in files:
        folder = str(PurePosixPath(item.remote).parent)
        volume = item.remote.startswith("/Volumes/")
        if folder not in made:
            if volume:
                w.files.create_directory(folder)
            else:
                w.workspace.mkdirs(folder)
            made.add(folder)
        with open(item.local, "rb") as handle:
            if volume:
                w.files.upload(item.remote, handle, overwrite=True)
            else:
                # AUTO keeps a .py without a notebook header a plain file, which spark_python_task needs.
                w.workspace.upload(item.remote, handle, format=ImportFormat.AUTO, overwrite=True)
        log.info("uploaded %s to %s (%s)", item.local.name, item.remote, item.key.rsplit(": ", 1)[-1])
