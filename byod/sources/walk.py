"""Local input trees listed as Spark would read them, each real file once, hostile links refused.

Spark (Hadoop's local file system) follows symbolic links when it lists a folder recursively, so a
link back to a folder above it (``data/loop -> ..``) makes it read every file again at each level
until the path grows too long (41 times on Linux), and a dangling link fails the scan deep inside
a Java trace. byod lists local folders itself: links are followed (a linked folder is data the user
put there), every file is kept once under the first path that reaches it in sorted order, and a
loop or a dangling link is refused with an :class:`~byod.errors.InputError` naming the link, the
way ``find -L`` and ripgrep report a loop as an error rather than silently skipping it: a broken
tree (a link to an unmounted disk, a copy made with links) would otherwise shrink or inflate the
corpus without anyone noticing. Pure Python, no Spark.
"""

from __future__ import annotations

import fnmatch
import os
import re

from byod.errors import InputError

_BRACES = re.compile(r"\{([^{}]*)\}")


def hidden(name: str) -> bool:
    """True for names Spark skips when it lists a folder (``_SUCCESS``, ``.crc``, ``x._COPYING_``)."""
    return (name.startswith("_") and "=" not in name) or name.startswith(".") or name.endswith("._COPYING_")


def _expand_braces(pattern: str) -> list[str]:
    """Hadoop glob braces (``*.{tex,ltx}``) as plain fnmatch patterns."""
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [p for option in match.group(1).split(",") for p in _expand_braces(head + option + tail)]


def name_filter(glob_filter: str | None):
    """A predicate on file names that matches what Spark's ``pathGlobFilter`` keeps."""
    if glob_filter is None:
        return lambda name: True
    patterns = _expand_braces(glob_filter)
    return lambda name: any(fnmatch.fnmatchcase(name, p) for p in patterns)


def is_root(path: str) -> bool:
    """True for a filesystem root (``/``, ``C:\\``), directly or through links."""
    real = os.path.realpath(path)
    return os.path.dirname(path) == path or os.path.dirname(real) == real


def check_link(path: str, shown: str | None = None) -> None:
    """Refuse a symbolic link that leads nowhere (dangling) or to itself (a loop) with a one-line error."""
    if not os.path.islink(path):
        return
    shown = shown or path
    try:
        os.stat(path)
    except OSError as error:
        target = os.readlink(path)
        if error.errno == getattr(os, "ELOOP", 40):
            raise InputError(
                f"input {shown!r} is a symlink loop (-> {target!r}); point at the real file or folder"
            ) from None
        raise InputError(
            f"input {shown!r} is a dangling symlink: its target {target!r} does not exist; fix or remove the link"
        ) from None


def _identity(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def walk_files(folder: str, *, glob_filter: str | None = None, seen: set[str] | None = None) -> list[str]:
    """Every file Spark would read under ``folder`` (links followed), each real file once.

    The tree without links is listed first (sorted), then what links add, so adding a link to data
    already listed changes no path (and no document id). ``seen`` holds the real paths already
    listed (shared by the inputs of one read, so a file given twice is read once). Raises
    InputError on a link loop or a dangling link inside the tree.
    """
    seen = set() if seen is None else seen
    keep = name_filter(glob_filter)
    found: list[str] = []
    walked: set[tuple[int, int]] = set()
    # folders to list, each with the identities of the folders above it and itself
    stack: list[tuple[str, tuple[tuple[int, int], ...]]] = [(folder, (_identity(folder),))]
    links: list[tuple[str, tuple[tuple[int, int], ...]]] = []  # what links lead to, listed last
    while stack or links:
        current, ancestors = stack.pop() if stack else links.pop(0)
        if not os.path.isdir(current):  # a link to a file
            _add(current, keep, seen, found)
            continue
        if ancestors[-1] in walked:
            continue  # a second way into a folder already listed
        walked.add(ancestors[-1])
        children = []
        for entry in sorted(os.scandir(current), key=lambda e: e.name):
            if hidden(entry.name):
                continue
            link = entry.is_symlink()
            if link:
                check_link(entry.path)
            if entry.is_dir():
                identity = _identity(entry.path)
                if identity in ancestors:
                    raise InputError(
                        f"input folder {folder!r}: symlink {entry.path!r} -> {os.readlink(entry.path)!r} points back "
                        "to a folder above it (a loop that would read every file again and again); remove the link"
                    )
                (links if link else children).append((entry.path, (*ancestors, identity)))
            elif link and entry.is_file():
                links.append((entry.path, ancestors))
            elif entry.is_file():
                _add(entry.path, keep, seen, found)
        stack.extend(reversed(children))
    return found


def _add(path: str, keep, seen: set[str], found: list[str]) -> None:
    if keep(os.path.basename(path)):
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.append(path)
