"""`errscan audit`: walk the archive, plan each file against the cache, scan the rest in parallel, write as
results arrive, then summary.json and report.html.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from errscan.audit.cache import Cache, CacheError, Known, Planner, Row, lexicon_identity
from errscan.audit.engines import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_UNREADABLE,
    EXIT_USAGE,
    AuditError,
    InlineEngine,
    PoolEngine,
)
from errscan.audit.groups import GROUP_MAX, Builder, ends_after, parse_hidden, signature
from errscan.audit.lock import Busy, exclusive
from errscan.audit.outputs import Outputs
from errscan.audit.walk import Item, count, is_url, walk
from errscan.audit.worker import CHUNK_CHARS, FileResult, Settings, Task
from errscan.model import SHOWN

CACHE_NAME = "audit-cache.sqlite"
LOCK_NAME = ".errscan-audit.lock"


@dataclass(frozen=True)
class AuditOptions:
    out: Path = Path("errscan-audit")
    jobs: int | None = None  # None: every core
    cache: Path | None = None  # None: OUT/audit-cache.sqlite
    reuse: bool = True  # False (--no-cache): scan everything, then refresh the cache
    verify: bool = False  # --verify: a file is "the same" by its content's hash, not by its size and mtime
    engine: str = "process"  # process | dask
    scheduler: str | None = None  # dask: tcp://host:8786; None starts a LocalCluster
    config: str | None = None  # --config FILE for every file; None: each folder's .errscan.yaml
    # The settings keys the command line gives (settings.KEYS; None or empty: not given, the config's stands):
    lists: tuple[str, ...] = ()
    builtin: bool | None = None
    privacy: bool | None = None
    as_of: str | None = None
    allow: tuple[str, ...] = ()
    fail_on: str | None = None  # error | warning | info | never
    min_severity: str | None = None
    show_pii: bool = False
    progress: bool | None = None  # None: a progress bar when stderr is a terminal
    chunk_chars: int = CHUNK_CHARS
    report_rows: int = 20000  # findings listed in report.html (all are in findings.jsonl/csv)

    def given(self) -> dict[str, object]:
        values = {"lists": self.lists, "builtin": self.builtin, "privacy": self.privacy, "as_of": self.as_of,
                  "allow": self.allow, "fail_on": self.fail_on, "min_severity": self.min_severity}
        return {k: v for k, v in values.items() if v is not None and v != ()}


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
    hidden = summary.get("hidden") or {}
    shown_not = "、".join(f"{n} 处{_zh(k)}" for k, n in hidden.items())  # type: ignore[union-attr]
    err.write(
        f"errscan: 已检查 {summary['files']} 个文件（复用缓存 {summary['reused']}，重新检查 {summary['rescanned']}），"
        f"发现问题 {summary['findings']} 处" + (f"（另有 {shown_not}未列出）" if shown_not else "")
        + f"，无法读取 {len(summary['unreadable'])} 个；报告：{out / 'report.html'}\n"  # type: ignore[arg-type]
    )
    if summary["interrupted"]:
        err.write("errscan: 已中断，报告只含中断前检查的文件\n")
        return EXIT_INTERRUPTED
    if summary["unreadable"]:
        return EXIT_UNREADABLE
    return EXIT_FINDINGS if summary.get("failed_files") else 0


def _zh(label: str) -> str:
    from errscan.model import Severity

    return Severity.parse(label).zh


def settings_for(options: AuditOptions) -> Settings:
    """The workers' settings; a bad option or --config fails here (AuditError, exit 2)."""
    from errscan.config import ConfigError

    given = options.given()
    if "lists" in given:
        given["lists"] = tuple(str(Path(p).resolve()) for p in options.lists)
    settings = Settings(
        config=str(Path(options.config).resolve()) if options.config else None,
        given=tuple(sorted(given.items())), show_pii=options.show_pii, chunk_chars=options.chunk_chars,
    )
    try:
        settings.runner()
    except ConfigError as exc:
        if exc.command_line:
            raise AuditError(exc.command_line) from None
        raise AuditError(f"{exc}\n配置文件有误，未执行审计") from None
    return settings


def load_lists(runner):  # type: ignore[no-untyped-def]
    """The run's own lists (the command line's, or --config's): what the cache's list diffing is against."""
    from errscan.lexicon import ListLoadError, load_lexicon

    base = runner.resolver.base()
    if not base.builtin and not base.lists:
        raise AuditError("--no-builtin 需要至少一个 --list 词表")
    try:  # not through runner.scanners: the main process hands these lists over and keeps none of them
        return load_lexicon(list(base.lists), builtin=base.builtin)
    except ListLoadError as exc:
        raise AuditError("\n".join(map(str, exc.errors)) + f"\n词表有 {len(exc.errors)} 处错误，未执行检查") from None


def audit(
    paths: list[str], options: AuditOptions = AuditOptions(), on_file: Callable[[Progress], None] | None = None,
    stderr: IO[str] | None = None,
) -> dict[str, object]:
    """The audit itself: returns the summary (also written to OUT/summary.json). Raises AuditError.

    Local paths are resolved first: the cache knows a file by its real path, so `audit /srv/site` and
    `cd /srv/site && audit .` reuse each other's results, and the outputs name files the same way.
    """
    started = time.perf_counter()
    for arg in paths:
        if not is_url(arg) and not os.path.lexists(arg):
            raise AuditError(f"路径不存在：{arg}")
    paths = [arg if is_url(arg) else os.path.realpath(arg) for arg in paths]
    settings = settings_for(options)
    runner = settings.runner()
    lex = load_lists(runner)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    cache_path = Path(options.cache) if options.cache else out / CACHE_NAME
    # the output folder and the cache file itself: an audit with another --out but this --cache waits its turn
    locks = [out / LOCK_NAME, cache_path.with_name(cache_path.name + ".lock")]
    try:
        with exclusive(locks):
            for attempt in (1, 2):
                cache = Cache(cache_path)
                if cache.damaged:
                    warn = f"errscan: 审计缓存已损坏（{cache.damaged}），已重建，本次全部重新检查\n"
                    (stderr or sys.stderr).write(warn)
                try:
                    lex = lex or load_lists(runner)  # loaded again only for a second attempt
                    planner = Planner(cache, settings.key(), *lexicon_identity(cache, lex), reuse=options.reuse,
                                      verify=options.verify)
                    lex = None  # handed over, not kept: the main process needs the lists only to plan
                    return _Audit(paths, options, settings, runner, cache, planner, on_file, stderr).run(started)
                except sqlite3.DatabaseError as exc:  # damage the opening did not see (a page of random bytes)
                    cache.discard()
                    if attempt == 2:
                        raise AuditError(f"审计缓存无法使用（{exc}）：已删除，请重新运行") from None
                    (stderr or sys.stderr).write(f"errscan: 审计缓存已损坏（{exc}），已重建，本次全部重新检查\n")
    except Busy as exc:
        raise AuditError(
            f"另一个 errscan audit 正在使用 {exc.path.parent}，请等它结束，或用 --out、--cache 另选位置"
        ) from None


class _Audit:
    """One audit's state while it runs: the walk cut into groups, each planned against the cache, the files to
    scan sent to the engine, the results written to the outputs and kept in the cache as they arrive."""

    def __init__(
        self, paths: list[str], options: AuditOptions, settings: Settings, runner, cache: Cache,  # type: ignore[no-untyped-def]
        planner: Planner, on_file: Callable[[Progress], None] | None, stderr: IO[str] | None,
    ):
        self.paths, self.options, self.settings, self.runner = paths, options, settings, runner
        self.cache, self.planner, self.on_file = cache, planner, on_file
        self.outputs = Outputs(Path(options.out), options.report_rows)
        err = stderr or sys.stderr
        show = options.progress if options.progress is not None else err.isatty()
        self.state = Progress(*(count(paths) if show else (None, None)))
        self.bar = _bar(err, self.state) if show else None
        self.inflight: dict[str, Item] = {}  # sent or held back, not yet handled: name -> its walk item
        self.builder = Builder()  # the groups that go file by file, stored once whole (see groups.py)
        # The groups this audit reused or stored: after a whole audit, each file's row points at one of them, so
        # a row under the paths given that points elsewhere is a file gone from the archive, and is forgotten.
        self.groups_met: set[str] = set()
        self.unkept = False  # a group not kept (the same file twice): then nothing is forgotten
        self.reused: list[tuple[Item, Known]] = []  # cached results standing, not yet written
        self.keys: dict[int, str] = {}  # id(config) -> settings key of the files under it
        self.held: dict[str, str] = {}  # name -> settings key, of results a group holds until it is whole
        self.failed = 0  # files whose findings fail their config's fail_on (shown or not)
        self.hidden: Counter[str] = Counter()  # findings below min_severity, by severity

    # --- the walk, planned -------------------------------------------------------------------------------------
    def tasks(self) -> Iterator[Task]:
        group: list[Item] = []
        where = None
        for item in walk(self.paths, self.outputs.add_error):
            if "://" not in item.name and self.runner.skips(item.name, named=not item.in_directory):
                continue  # excluded by its config, or an office list the config names: not a document
            item = replace(item, settings=self.key_of(item))
            here = item.folder
            if group and (here != where or len(group) >= GROUP_MAX or ends_after(group[-1].name)):
                yield from self.close_group(group)
                group = []
            where = here
            group.append(item)
        if group:
            yield from self.close_group(group)
        self.flush()

    def key_of(self, item: Item) -> str:
        """The settings key of a file: this run's, and its folder's Config."""
        config = self.runner.resolver.for_dir(item.folder) if "://" not in item.name else self.runner.resolver.base()
        key = self.keys.get(id(config))
        if key is None:
            key = self.keys[id(config)] = self.settings.key_for(config, self.runner.resolver.base().lists)
        return key

    def close_group(self, group: list[Item]) -> Iterator[Task]:
        plans = self.planner.plan(group)
        sig = signature(group, group[0].settings, self.planner.lexicon)
        if not any(isinstance(p, Task) for p in plans):
            agg = self.cache.group(sig)
            if agg is not None:  # every file as it was when the group was stored: written out in one step
                self.flush()
                self.groups_met.add(sig)
                self.outputs.add_group(agg)
                self.verdict(agg.meta_failed, agg.meta_hidden)
                self.after(agg.bytes, agg.count, agg.files + agg.skipped)
                return
        if not self.builder.open(group, sig):
            self.unkept = True
        for item, planned in zip(group, plans, strict=True):
            self.inflight[item.name] = item
            if isinstance(planned, Task):
                self.flush()
                yield planned
            else:
                self.reused.append((item, planned))
                if len(self.reused) >= 256:
                    self.flush()

    def flush(self) -> None:
        """The cached results held back, written before any file to scan: -j 1 writes in the walk's order."""
        if not self.reused:
            return
        rows = self.cache.rows([known for _, known in self.reused])
        for (item, _), row in zip(self.reused, rows, strict=True):
            self.handle(FileResult(item.name, "same", item.size, item.mtime), row)
        self.reused.clear()

    # --- results -------------------------------------------------------------------------------------------------
    def handle(self, res: FileResult, row: Row | None = None) -> None:
        item = self.inflight.pop(res.name, None)
        dept = item.department if item is not None else ""
        key = item.settings if item is not None else self.planner.settings
        reused = res.status == "same"
        if reused:  # the cached result stands: confirm it under the current size, mtime and lists
            row = row or self.cache.get(res.name)
            assert row is not None
            if (row.size, row.mtime, row.lexicon) != (res.size, res.mtime, self.planner.lexicon):
                self.cache.confirm(res.name, res.size, res.mtime, self.planner.lexicon)
            res = row.result(row.status, dept)
            if res.department != row.department:
                self.cache.rerendered(res)
        if res.status == "error":
            self.cache.forget(res.name)
            self.outputs.add_error(res.name, res.error)
        elif res.status == "skipped":
            self.outputs.add_skipped()
        else:
            self.outputs.add(res, reused)
            self.verdict(int(res.meta.get("failed") == "1"), parse_hidden(res.meta.get("hidden", "")))
        self.keep(res, reused, key)  # a fresh result is cached with its group, or now
        self.after(res.size, res.count)

    def verdict(self, failed: int, hidden: dict[str, int]) -> None:
        self.failed += failed
        self.hidden.update(hidden)

    def keep(self, res: FileResult, reused: bool, key: str) -> None:
        self.held[res.name] = key
        whole, loose = self.builder.take(res, reused)
        self.put_loose(loose)
        if whole is not None:
            self.cache.put_group(whole.signature, whole.aggregate, whole.members, key, self.planner.lexicon)
            self.groups_met.add(whole.signature)
            for one, _ in whole.members:
                self.held.pop(one.name, None)

    def put_loose(self, results: list[tuple[FileResult, bool]]) -> None:
        """Fresh results kept file by file, outside any group, each under its own settings key."""
        for one, was_reused in results:
            key = self.held.pop(one.name, self.planner.settings)
            if not was_reused and one.status != "error":
                self.cache.put(one, key, self.planner.lexicon)

    def after(self, size: int, findings: int, files: int = 1) -> None:
        state = self.state
        state.done += files
        state.bytes += size
        state.findings += findings
        if self.bar is not None:
            self.bar.update(state)
        if self.on_file is not None:
            self.on_file(state)

    # --- the run ----------------------------------------------------------------------------------------------------
    def run(self, started: float) -> dict[str, object]:
        options, cache = self.options, self.cache
        engine = make_engine(options, self.settings, self.planner.probes)
        interrupted = completed = False
        try:
            if self.bar is not None:
                self.bar.start()
            engine.run(self.tasks(), self.handle)
            completed = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            engine.close(terminate=interrupted)
            if self.bar is not None:
                self.bar.stop()
            if not completed and not interrupted:  # an error: it propagates, the files it was writing are closed
                self.outputs.abort()
            self.put_loose(self.builder.release())  # groups left open by an interruption: kept one by one
            if completed and not self.unkept:  # a whole audit: what it did not meet is gone
                cache.forget_unseen(self.groups_met, [p for p in self.paths if not is_url(p) and os.path.isdir(p)])
            cache.prune_groups()
            cache.close()
        elapsed = time.perf_counter() - started
        summary = self.outputs.close(
            interrupted=interrupted, elapsed=round(elapsed, 3), engine=options.engine,
            jobs=engine.jobs, cache=str(cache.path), lists_changed=bool(self.planner.diffs),
            mb_per_s=round(self.state.mb_per_s, 2), files_per_s=round(self.state.done / max(elapsed, 1e-6), 1),
            failed_files=self.failed,
            hidden={k: self.hidden[k] for k in SHOWN if self.hidden[k]},
        )
        from errscan.audit.report import write_report

        write_report(Path(options.out), summary, limit=options.report_rows, top=self.outputs.top_rows())
        return summary


def make_engine(options: AuditOptions, settings: Settings, probes: dict[str, tuple[str, ...]]):  # type: ignore[no-untyped-def]
    if options.engine == "dask":
        from errscan.audit.dask_engine import DaskEngine

        return DaskEngine(settings, probes, options.scheduler, Path(options.out), options.jobs)
    if options.engine != "process":
        raise AuditError(f"未知的执行方式：{options.engine}（process 或 dask）")
    jobs = options.jobs or os.cpu_count() or 1
    return InlineEngine(settings, probes) if jobs == 1 else PoolEngine(settings, probes, jobs)


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
