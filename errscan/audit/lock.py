"""One audit at a time per output folder and cache: a second one started meanwhile (a scheduled audit while a
clerk runs one by hand) would interleave its writes with the first's. An advisory lock, released by the
operating system if the process dies.

No lock file is left behind: the holder removes it on its way out, while it still holds the lock, so nobody
can lock the file in between. Another audit may have opened the file just before it was removed and lock it
just after: locked, it checks that the name still leads to the file it locked, and starts again with the name's
new file if not. A lock file left by a killed process is an unlocked file like any other: taken, then removed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class Busy(Exception):
    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path


def _lock(fh: IO[bytes]) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _same_file(fh: IO[bytes], path: Path) -> bool:
    """Whether `path` still names the file `fh` has open (not removed, nor replaced by a new one)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fh.fileno())
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def acquire(path: Path) -> IO[bytes]:
    """The lock file `path`, open and locked by this process; Busy if another process holds it."""
    while True:
        fh = open(path, "a+b")
        try:
            _lock(fh)
        except OSError:
            fh.close()
            raise Busy(path) from None
        if _same_file(fh, path):
            return fh
        fh.close()  # removed by the audit that held it, after this opened it: lock the name's file now


def release(fh: IO[bytes], path: Path) -> None:
    """Remove the lock file, then let it go (on Windows, where an open file cannot be removed: the other way
    round; a file another audit has open by then stays, and is its lock)."""
    if os.name == "nt":  # pragma: no cover - Windows
        fh.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    try:
        if _same_file(fh, path):
            os.unlink(path)
    except OSError:
        pass  # the folder gone or read-only: the file (if any) stays, unlocked, and is taken by the next audit
    finally:
        fh.close()


@contextlib.contextmanager
def exclusive(paths: list[Path]) -> Iterator[None]:
    """Hold every lock file in `paths` for the block; Busy (naming the file) if another process holds one.
    Whatever ends the block (its end, an error, Ctrl-C), the lock files this took are removed."""
    with contextlib.ExitStack() as stack:
        for path in dict.fromkeys(paths):
            fh = acquire(path)
            stack.callback(release, fh, path)
        yield
