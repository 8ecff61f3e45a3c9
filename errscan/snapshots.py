"""The lists every worker of one `errscan serve` checks with: the last Runner a worker validated, frozen.

A reload (POST /v1/reload, SIGHUP) is validated once, by the worker that does it: it builds and warms a Runner
from the files, then publishes it here (`Runner.freeze`) under a new generation. The other workers follow
(`Holder.follow` polls the generation) by thawing those bytes: they never read the list files, which may be
broken or half-written by then, and no worker is restarted for a reload. A worker that uvicorn starts again
(after a crash) thaws the latest generation too, so every worker of a service checks with the same lists.

Each worker records the generation it serves (`ack`), so a reload can answer once all of them serve it.
The folder is private to the service (created by `serve`, mode 0700, removed when it stops).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Snapshots"]

MAGIC = b"ERRSNAP1"
HEADER = struct.Struct("<8sQ")  # magic, generation
FILE = "runner.pickle"
ACK = "ack-"


class Snapshots:
    """One service's folder of published Runners: `runner.pickle` (the latest) and one `ack-PID` per worker."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.file = self.folder / FILE

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One publisher at a time (across the workers): read the generation and write the next under it."""
        import fcntl  # POSIX: a service of several workers runs there

        fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def generation(self) -> int:
        """The latest generation published; 0 before the first."""
        try:
            with open(self.file, "rb") as f:
                head = f.read(HEADER.size)
        except FileNotFoundError:
            return 0
        magic, generation = HEADER.unpack(head) if len(head) == HEADER.size else (b"", 0)
        return int(generation) if magic == MAGIC else 0

    def latest(self) -> tuple[int, bytes] | None:
        """The latest generation and its frozen Runner; None before the first."""
        try:
            data = self.file.read_bytes()
        except FileNotFoundError:
            return None
        if len(data) < HEADER.size or data[:8] != MAGIC:
            return None
        return int(HEADER.unpack_from(data)[1]), data[HEADER.size:]

    def publish(self, frozen: bytes) -> int:
        """Write a frozen Runner as the next generation (atomically: a reader sees the old file or the new);
        call it within `locked`. Returns the generation."""
        generation = self.generation() + 1
        self._write(self.file, HEADER.pack(MAGIC, generation) + frozen)
        return generation

    def ack(self, generation: int, pid: int | None = None) -> None:
        """Record the generation this worker serves now."""
        self._write(self.folder / f"{ACK}{pid or os.getpid()}", str(generation).encode())

    def serving(self, generation: int) -> int:
        """How many live workers serve `generation` or a later one (a dead worker's record is dropped)."""
        count = 0
        for path in self.folder.glob(f"{ACK}*"):
            pid = int(path.name[len(ACK):]) if path.name[len(ACK):].isdigit() else 0
            if not _alive(pid):
                path.unlink(missing_ok=True)
                continue
            try:
                count += int(path.read_bytes() or b"0") >= generation
            except (OSError, ValueError):  # written as we read it: counted at the next look
                continue
        return count

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
