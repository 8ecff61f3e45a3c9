"""`errscan audit`: walk the archive, plan each file against the cache, scan the rest in parallel, write as
results arrive, then summary.json and report.html.
"""

from __future__ import annotations

import functools
import os
import queue
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from errscan.audit.cache import Cache, CacheError, Planner, Row, lexicon_identity
from errscan.audit.groups import GROUP_MAX, Builder, ends_after, signature
from errscan.audit.lock import Busy, exclusive
from errscan.audit.outputs import Outputs
from errscan.audit.walk import Item, count, is_url, walk
from errscan.audit.worker import CHUNK_CHARS, FileResult, Settings, Task, init, scan_file, scan_files

EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE, EXIT_INTERRUPTED = 1, 2, 3, 130
CACHE_NAME = "audit-cache.sqlite"
LOCK_NAME = ".errscan-audit.lock"


@dataclass(frozen=True)
class AuditOptions:
    out: Path = Path("errscan-audit")
    jobs: int | None = None  # None: every core
    cache: Path | None = None  # None: OUT/audit-cache.sqlite
    reuse: bool = True  # False (--no-cache): scan everything, then refresh the cache
    engine: str = "process"  # process | dask
    scheduler: str | None = None  # dask: tcp://host:8786; None starts a LocalCluster
    lists: tuple[str, ...] = ()
    builtin: bool = True
    privacy: bool = True
    as_of: str | None = None
    allow: tuple[str, ...] = ()
    show_pii: bool = False
    fail_on: str = "warning"  # error | warning | info | never
    progress: bool | None = None  # None: a progress bar when stderr is a terminal
    chunk_chars: int = CHUNK_CHARS
    report_rows: int = 20000  # findings listed in report.html (all are in findings.jsonl/csv)


@dataclass
class Progress:
    """What the progress bar (and a test's callback) sees after each file, or each group of files reused as a
    whole."""

    total: int | None
    total_bytes: int | None
    done: int = 0
    bytes: int = 0
    findings: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1048576 / max(time.perf_counter() - self.started, 1e-6)


class AuditError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def run_audit(
    paths: list[str], options: AuditOptions = AuditOptions(), on_file: Callable[[Progress], None] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run an audit; print errors (Chinese) to stderr; return the exit code (0, 1, 2, 3 or 130)."""
    err = stderr or sys.stderr
    try:
        summary = audit(paths, options, on_file, err)
    except AuditError as exc:
        err.write(f"errscan: {exc}\n")
        return exc.code
    except CacheError as exc:
        err.write(f"errscan: {exc}\n")
        return EXIT_USAGE
    out = options.out
    err.write(
        f"errscan: 已检查 {summary['files']} 个文件（复用缓存 {summary['reused']}，重新检查 {summary['rescanned']}），"
        f"发现问题 {summary['findings']} 处，无法读取 {len(summary['unreadable'])} 个；报告：{out / 'report.html'}\n"  # type: ignore[arg-type]
    )
    if summary["interrupted"]:
        err.write("errscan: 已中断，报告只含中断前检查的文件\n")
        return EXIT_INTERRUPTED
    if summary["unreadable"]:
        return EXIT_UNREADABLE
    if options.fail_on != "never":
        from errscan.model import Severity

        floor = Severity.parse(options.fail_on)
        by_severity: dict[str, int] = summary["by_severity"]  # type: ignore[assignment]
        if any(n and Severity.parse(s) >= floor for s, n in by_severity.items()):
            return EXIT_FINDINGS
    return 0


def settings_for(options: AuditOptions) -> Settings:
    if options.as_of:
        from errscan.docdate import parse_date

        try:
            parse_date(options.as_of)
        except ValueError:
            raise AuditError(f"--as-of 日期格式应为 YYYY-MM-DD、YYYY-MM 或 YYYY：{options.as_of}") from None
    return Settings(
        lists=tuple(str(Path(p).resolve()) for p in options.lists), builtin=options.builtin, allow=options.allow,
        as_of=options.as_of, privacy=options.privacy, show_pii=options.show_pii, chunk_chars=options.chunk_chars,
    )


def load_lists(settings: Settings):  # type: ignore[no-untyped-def]
    from errscan.lexicon import ListLoadError, load_lexicon

    if not settings.builtin and not settings.lists:
        raise AuditError("--no-builtin 需要至少一个 --list 词表")
    try:
        return load_lexicon([Path(p) for p in settings.lists], builtin=settings.builtin)
    except ListLoadError as exc:
        raise AuditError("\n".join(map(str, exc.errors)) + f"\n词表有 {len(exc.errors)} 处错误，未执行检查") from None


def audit(
    paths: list[str], options: AuditOptions = AuditOptions(), on_file: Callable[[Progress], None] | None = None,
    stderr: IO[str] | None = None,
) -> dict[str, object]:
    """The audit itself: returns the summary (also written to OUT/summary.json). Raises AuditError."""
    started = time.perf_counter()
    for arg in paths:
        if not is_url(arg) and not os.path.lexists(arg):
            raise AuditError(f"路径不存在：{arg}")
    settings = settings_for(options)
    lex = load_lists(settings)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    cache_path = Path(options.cache) if options.cache else out / CACHE_NAME
    locks = [out / LOCK_NAME]
    if cache_path.resolve().parent != out.resolve():  # a cache shared by audits with other --out folders
        locks.append(cache_path.with_name(cache_path.name + ".lock"))
    held = [lex]  # handed over, not kept here: the main process needs the lists only to plan
    del lex
    try:
        with exclusive(locks):
            return _audit(paths, options, on_file, stderr, started, settings, held, out, cache_path)
    except Busy as exc:
        raise AuditError(
            f"另一个 errscan audit 正在使用 {exc.path.parent}，请等它结束，或用 --out、--cache 另选位置"
        ) from None


def _audit(
    paths: list[str], options: AuditOptions, on_file: Callable[[Progress], None] | None, stderr: IO[str] | None,
    started: float, settings: Settings, held: list, out: Path, cache_path: Path,  # type: ignore[type-arg]
) -> dict[str, object]:
    lex = held.pop()
    cache = Cache(cache_path)
    if cache.damaged:
        (stderr or sys.stderr).write(f"errscan: 审计缓存已损坏（{cache.damaged}），已重建，本次全部重新检查\n")
    planner = Planner(cache, settings.key(), *lexicon_identity(cache, lex), reuse=options.reuse)
    del lex
    outputs = Outputs(out, options.report_rows)
    show = options.progress if options.progress is not None else (stderr or sys.stderr).isatty()
    total = count(paths) if show else (None, None)
    state = Progress(*total)
    departments: dict[str, str] = {}  # in flight: name -> department
    bar = _bar(stderr or sys.stderr, state) if show else None

    def after(size: int, findings: int, files: int = 1) -> None:
        state.done += files
        state.bytes += size
        state.findings += findings
        if bar is not None:
            bar.update(state)
        if on_file is not None:
            on_file(state)

    builder = Builder()  # the groups that go file by file, stored once whole (see groups.py)
    # The groups this audit reused or stored: after a whole audit, each file's row points at one of them, so a
    # row under the paths given that points elsewhere is a file gone from the archive, and is forgotten.
    groups_met: set[str] = set()
    unkept = False  # a group not kept (the same file twice): then nothing is forgotten

    def put_loose(results: list[tuple[FileResult, bool]]) -> None:
        """Fresh results kept file by file, outside any group."""
        for one, was_reused in results:
            if not was_reused and one.status != "error":
                cache.put(one, planner.settings, planner.lexicon)

    def keep(res: FileResult, reused: bool) -> None:
        whole, loose = builder.take(res, reused)
        put_loose(loose)
        if whole is not None:
            cache.put_group(whole.signature, whole.aggregate, whole.members, planner.settings, planner.lexicon)
            groups_met.add(whole.signature)

    def handle(res: FileResult, row: Row | None = None) -> None:
        dept = departments.pop(res.name, "")
        reused = res.status == "same"
        if reused:  # the cached result stands: confirm it under the current size, mtime and lists
            row = row or cache.get(res.name)
            assert row is not None
            if (row.size, row.mtime, row.lexicon) != (res.size, res.mtime, planner.lexicon):
                cache.confirm(res.name, res.size, res.mtime, planner.lexicon)
            res = row.result(row.status, dept)
            if res.department != row.department:
                cache.rerendered(res)
        if res.status == "error":
            cache.forget(res.name)
            outputs.add_error(res.name, res.error)
        elif res.status == "skipped":
            outputs.add_skipped()
        else:
            outputs.add(res, reused)
        keep(res, reused)  # a fresh result is cached with its group, or now
        after(res.size, res.count)

    reused: list[tuple[Item, tuple]] = []  # type: ignore[type-arg]  # cached results standing, not yet written

    def flush() -> None:  # before any file to scan, so that -j 1 writes in the walk's order
        if not reused:
            return
        for (item, _), row in zip(reused, cache.rows([known for _, known in reused]), strict=True):
            handle(FileResult(item.name, "same", item.size, item.mtime), row)
        reused.clear()

    def close_group(group: list[Item]) -> Iterator[Task]:
        nonlocal unkept
        plans = planner.plan(group)
        sig = signature(group, planner.settings, planner.lexicon)
        if not any(isinstance(p, Task) for p in plans):
            agg = cache.group(sig)
            if agg is not None:  # every file as it was when the group was stored: written out in one step
                flush()
                groups_met.add(sig)
                outputs.add_group(agg)
                after(agg.bytes, agg.count, agg.files + agg.skipped)
                return
        if not builder.open(group, sig):
            unkept = True
        for item, planned in zip(group, plans, strict=True):
            departments[item.name] = item.department
            if isinstance(planned, Task):
                flush()
                yield planned
            else:
                reused.append((item, planned))
                if len(reused) >= 256:
                    flush()

    def tasks() -> Iterator[Task]:
        group: list[Item] = []
        where = None
        for item in walk(paths, outputs.add_error):
            here = item.folder
            if group and (here != where or len(group) >= GROUP_MAX or ends_after(group[-1].name)):
                yield from close_group(group)
                group = []
            where = here
            group.append(item)
        if group:
            yield from close_group(group)
        flush()

    engine = make_engine(options, settings, planner.probes)
    interrupted = completed = False
    try:
        if bar is not None:
            bar.start()
        engine.run(tasks(), handle)
        completed = True
    except KeyboardInterrupt:
        interrupted = True
    finally:
        engine.close(terminate=interrupted)
        if bar is not None:
            bar.stop()
        if not completed and not interrupted:  # an error: it propagates, the files it was writing are closed
            outputs.abort()
        put_loose(builder.release())  # groups left open by an interruption: their files kept one by one
        if completed and not unkept:  # a whole audit: what it did not meet is gone
            cache.forget_unseen(groups_met, [p for p in paths if not is_url(p) and os.path.isdir(p)])
        cache.prune_groups()
        cache.close()
    summary = outputs.close(
        interrupted=interrupted, elapsed=round(time.perf_counter() - started, 3), engine=options.engine,
        jobs=engine.jobs, cache=str(cache.path), lists_changed=bool(planner.diffs),
        mb_per_s=round(state.mb_per_s, 2), files_per_s=round(state.done / max(time.perf_counter() - started, 1e-6), 1),
    )
    from errscan.audit.report import write_report

    write_report(out, summary, limit=options.report_rows, top=outputs.top_rows())
    return summary


def make_engine(options: AuditOptions, settings: Settings, probes: dict[str, tuple[str, ...]]):  # type: ignore[no-untyped-def]
    if options.engine == "dask":
        from errscan.audit.dask_engine import DaskEngine

        return DaskEngine(settings, probes, options.scheduler, Path(options.out), options.jobs)
    if options.engine != "process":
        raise AuditError(f"未知的执行方式：{options.engine}（process 或 dask）")
    jobs = options.jobs or os.cpu_count() or 1
    return InlineEngine(settings, probes) if jobs == 1 else PoolEngine(settings, probes, jobs)


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


class _Bar:
    """rich's progress bar on stderr: files done/total, MB/s, findings so far, time left."""

    def __init__(self, stream: IO[str], state: Progress):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("审计"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[speed]}"),
            TextColumn("问题 {task.fields[findings]}"), TimeRemainingColumn(),
            console=Console(file=stream), transient=False,
        )
        self.task = self.progress.add_task("audit", total=state.total, speed="", findings=0)
        self._last = 0.0

    def start(self) -> None:
        self.progress.start()

    def update(self, state: Progress) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and state.done != state.total:
            return
        self._last = now
        self.progress.update(
            self.task, completed=state.done, speed=f"{state.mb_per_s:.1f} MB/s", findings=state.findings
        )

    def stop(self) -> None:
        self.progress.stop()


def _bar(stream: IO[str], state: Progress) -> _Bar:
    return _Bar(stream, state)
