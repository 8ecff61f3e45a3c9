"""How an audit's files get scanned: in this process (-j 1) or a process pool, each worker building its run
layer once (worker.init). The Dask engine (dask_engine.py) does the same on a cluster. The orchestration —
walking, planning against the cache, writing outputs — is run.py's; an engine only turns Tasks into
FileResults and hands each to a callback.
"""

from __future__ import annotations

import functools
import queue
from collections.abc import Callable, Iterator

from errscan.audit.worker import FileResult, Settings, Task, init, scan_file, scan_files

EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE, EXIT_INTERRUPTED = 1, 2, 3, 130


class AuditError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code



class InlineEngine:
    """-j 1: scan in this process (no pool, no pickling)."""

    jobs = 1

    def __init__(self, settings: Settings, probes: dict[str, tuple[str, ...]]):
        self.args = settings, probes

    def run(self, tasks: Iterator[Task], handle: Callable[[FileResult], None]) -> None:
        started = False
        for task in tasks:
            if not started:  # the scanner is built for the first file to scan: a fully cached run needs none
                init(*self.args)
                started = True
            handle(scan_file(task))

    def close(self, terminate: bool = False) -> None:
        pass


def _failed(results: queue.SimpleQueue[list[FileResult]], batch: list[Task], exc: BaseException) -> None:
    message = f"内部错误（{type(exc).__name__}），未检查"
    results.put([FileResult(t.name, "error", t.size, t.mtime, error=message) for t in batch])


# Files go to the pool in small batches (one task per file costs the main process about half a millisecond of
# pickling and thread hand-offs: on 2 cores, time taken from the workers); a large file goes alone.
BATCH_FILES, BATCH_BYTES = 16, 128 << 10


def batches(tasks: Iterator[Task], files: int = BATCH_FILES, max_bytes: int = BATCH_BYTES) -> Iterator[list[Task]]:
    batch: list[Task] = []
    size = 0
    for task in tasks:
        batch.append(task)
        size += task.size
        if len(batch) >= files or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class PoolEngine:
    """A process pool whose initializer builds one Scanner per worker; at most 4 batches per worker in flight."""

    def __init__(self, settings: Settings, probes: dict[str, tuple[str, ...]], jobs: int):
        self.jobs, self.args = jobs, (settings, probes, True)
        self.pool = None

    def run(self, tasks: Iterator[Task], handle: Callable[[FileResult], None]) -> None:
        import multiprocessing

        results: queue.SimpleQueue[list[FileResult]] = queue.SimpleQueue()
        limit, pending = self.jobs * 4, 0
        for batch in batches(tasks):
            if self.pool is None:  # started for the first file to scan: a fully cached run starts no worker
                self.pool = _quiet_pool()(self.jobs, init, self.args, context=multiprocessing.get_context())
            self.pool.apply_async(
                scan_files, (batch,), callback=results.put, error_callback=functools.partial(_failed, results, batch)
            )
            pending += 1
            while pending >= limit:
                pending -= _take(results, handle)
        while pending:
            pending -= _take(results, handle)

    def close(self, terminate: bool = False) -> None:
        if self.pool is None:
            return
        if terminate:
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()


@functools.cache
def _quiet_pool() -> type:
    from multiprocessing.pool import Pool

    class QuietPool(Pool):
        """multiprocessing's Pool, but its worker handler thread is not woken by every result waiting in the
        result pipe (those are the result handler's to read): it spun through ~1.2 s of the main process's CPU
        in a 20 s audit on 2 cores. Worker exits and the drained task cache still wake it."""

        def _get_sentinels(self) -> list[object]:
            return [self._change_notifier._reader]  # type: ignore[attr-defined]

    return QuietPool


def _take(results: queue.SimpleQueue[list[FileResult]], handle: Callable[[FileResult], None]) -> int:
    try:
        batch = results.get(timeout=0.25)  # a timeout keeps Ctrl-C responsive
    except queue.Empty:
        return 0
    for res in batch:
        handle(res)
    return 1
