"""Replacing a whole folder at once: build the new one beside it, then swap the two in one step.

`kg build` (dist/) and `kg import` (the data folder) both stage their output in a fresh folder next
to the target, named `.<target>-<pid>-…` so that a later run can tell a killed run's leftovers
(its process is gone) from a running one, and swap it in with renameat2(RENAME_EXCHANGE).
"""
from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path


def exchange(a: Path, b: Path) -> None:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE).

    OSError when the system or the file system cannot (AttributeError where libc has no renameat2)."""
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, rename_exchange = -100, 2
    if libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno), str(a))
    fd = os.open(b.parent, os.O_RDONLY | os.O_DIRECTORY)  # make the swap itself durable
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_staging(target: Path) -> Path:
    """A new empty folder beside `target` (same file system, so it can be exchanged with it)."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}-{os.getpid()}-", dir=target.parent))


def remove_abandoned_staging(target: Path) -> None:
    """Delete the staging folders (and files) of runs into `target` that were killed (their process is gone)."""
    for leftover in target.parent.glob(f".{target.name}-*"):
        pid = leftover.name[len(target.name) + 2:].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        except PermissionError:
            pass  # another user's running process


def fsync_tree(folder: Path) -> None:
    """Flush every file under `folder` and the folders themselves to disk, so the swap never
    publishes a folder whose contents a power cut could still lose."""
    for path in sorted(folder.rglob("*"), reverse=True) + [folder]:
        if path.is_symlink():
            continue
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
