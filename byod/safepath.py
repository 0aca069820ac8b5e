"""Which output folders and which names a run may turn into paths.

A run deletes and renames inside its output folder, so the folder must be one a user meant: never a
filesystem root, the home folder, or a folder that holds (or lies inside) the run's own inputs. Names
that become path parts (source, split and job names) are checked against one safe pattern, so a source
called ``../../victim`` cannot reach outside the output.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from urllib.parse import urlparse

from byod.errors import ConfigError, OutputError

#: Letters, digits, ``_``, ``-`` and ``.``, starting with a letter or digit, at most 64 characters.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: object, what: str) -> str:
    """Return ``name`` when it may become one path part; raise ConfigError naming ``what`` otherwise."""
    if not isinstance(name, str) or not SAFE_NAME.match(name) or ".." in name:
        raise ConfigError(f"{what} {name!r} is not a safe name: use letters, digits, '_', '-' and '.' "
                          "(starting with a letter or digit, no '..', at most 64 characters)")
    return name


def is_remote(url: str) -> bool:
    """True for a URL with a scheme other than ``file`` (``s3://``, ``dbfs:/``, ``abfss://``)."""
    scheme = urlparse(url).scheme
    return scheme not in ("", "file") and len(scheme) > 1  # one letter: a Windows drive


def _local(url: str) -> str:
    return url[len("file://"):] if url.startswith("file://") else url[len("file:"):] if url.startswith("file:") \
        else url


def normalize_output(output: object) -> str:
    """The output folder as an absolute path or a URL without trailing slashes; refuse dangerous ones.

    Refused: empty, a filesystem root or mount point, the home folder, a bucket or volume root, an
    existing file. Relative paths are taken from the working directory, as Spark takes them.
    """
    if not isinstance(output, str) or not output.strip():
        raise OutputError(f"output {output!r} is empty: name a folder for the run's results")
    text = output.strip()
    if is_remote(text):
        parsed = urlparse(text)
        if not parsed.path.strip("/") or (parsed.scheme == "dbfs" and parsed.path.strip("/") in ("", "Volumes")):
            raise OutputError(f"output {text!r} is the root of its storage; name a folder inside it")
        return text.rstrip("/")
    path = os.path.abspath(os.path.expanduser(_local(text)))
    real = os.path.realpath(path)
    if real == os.path.dirname(real) or os.path.ismount(real):
        raise OutputError(f"output {text!r} is a filesystem root or mount point ({real}); name a folder inside it")
    if real == os.path.realpath(os.path.expanduser("~")):
        raise OutputError(f"output {text!r} is the home folder; name a folder inside it")
    if os.path.exists(real) and not os.path.isdir(real):
        raise OutputError(f"output {text!r} is an existing file, not a folder")
    return path


def _input_root(path: str) -> str | None:
    """The local folder or file an input path names (a glob's fixed prefix); None for remote inputs."""
    if is_remote(path):
        return None
    local = _local(os.fspath(path))
    if glob.has_magic(local):
        parts = []
        for part in local.split(os.sep):
            if glob.has_magic(part):
                break
            parts.append(part)
        local = os.sep.join(parts) or os.sep
    return os.path.realpath(os.path.abspath(os.path.expanduser(local)))


def _inside(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def check_output_vs_inputs(output: str, inputs: Iterable[str]) -> None:
    """Refuse an output folder that is an input, lies inside one, or contains one."""
    if is_remote(output):
        remote = [p for p in inputs if is_remote(p)]
        for path in remote:
            clean = path.rstrip("/")
            if _inside(clean, output) or _inside(output, clean):
                raise OutputError(f"output {output!r} overlaps the input {path!r}; write somewhere else")
        return
    out = os.path.realpath(output)
    for path in inputs:
        root = _input_root(path)
        if root is None:
            continue
        if _inside(out, root):
            raise OutputError(f"output {output!r} is the input {path!r} or inside it; write somewhere else")
        if _inside(root, out):
            raise OutputError(f"output {output!r} contains the input {path!r}; a run replaces its output folder's "
                              "contents, so write somewhere else")
