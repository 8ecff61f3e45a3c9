"""One audit at a time per output folder and cache: a second one started meanwhile (a scheduled audit while a
clerk runs one by hand) would interleave its writes with the first's. An advisory lock, released by the
operating system if the process dies."""

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


@contextlib.contextmanager
def exclusive(paths: list[Path]) -> Iterator[None]:
    """Hold every lock file in `paths` for the block; Busy (naming the file) if another process holds one."""
    with contextlib.ExitStack() as stack:
        for path in dict.fromkeys(paths):
            fh = stack.enter_context(open(path, "a+b"))
            try:
                _lock(fh)
            except OSError:
                raise Busy(path) from None
        yield
