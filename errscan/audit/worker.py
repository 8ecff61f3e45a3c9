"""One file -> FileResult: read, hash, (probe,) scan, in chunks when large. Runs in a worker process.

A worker builds its Scanner once (`init`, the pool's initializer or the Dask plugin's setup) and keeps it in
a module global; `scan_file` then needs only a small picklable Task.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from errscan.model import Document, Finding, Locator

if TYPE_CHECKING:
    from errscan.pipeline import Scanner

# Texts longer than CHUNK_CHARS characters (8 MB of UTF-8 Chinese) are scanned in chunks. A chunk's window
# reaches PAD characters plus the longest entry past each edge: jieba's clause (verify.REACH, 64 each side),
# context rules (24), the finding's context (20) and the privacy detectors' keyword windows (≤ 16) all fit in
# it, so a chunked scan finds exactly what a whole one does; a finding belongs to the chunk it starts in.
CHUNK_CHARS = (8 << 20) // 3
PAD = 512
FORMAT = 4  # bump when what a worker returns changes meaning: invalidates every cached result


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to build its run layer: picklable. The settings keys themselves (see
    errscan/settings.py) are `given` (the command line's) over `config` (`--config`) or each file's own
    `.errscan.yaml`; the cache keys each file on its resolved Config (`key_for`)."""

    config: str | None = None  # --config FILE, for every file; None: discovery per folder
    given: tuple[tuple[str, object], ...] = ()  # (key, value) from the command line
    show_pii: bool = False
    lexicon_cache: bool = True
    chunk_chars: int = CHUNK_CHARS
    warm: bool = True  # load jieba in the initializer (every worker pays it once, not mid-run)

    def runner(self, wrap=None):  # type: ignore[no-untyped-def]
        from errscan.run import Runner

        return Runner(self.config, cache=self.lexicon_cache, show_pii=self.show_pii, wrap=wrap, **dict(self.given))

    def key(self) -> str:
        """What every file's result depends on besides its own Config (the lists are keyed separately)."""
        from errscan._version import __version__

        parts = (FORMAT, __version__, self.show_pii)
        return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=12).hexdigest()

    def key_for(self, config, known=()) -> str:  # type: ignore[no-untyped-def]
        """A file's settings key: this run's and its Config's, with the office lists that config adds (`known`:
        the run's own lists, whose changes the cache follows entry by entry)."""
        return hashlib.blake2b(f"{self.key()}\0{config.key(known)}".encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Task:
    name: str  # a path, or an fsspec URL
    size: int
    mtime: float | None
    in_directory: bool = True
    cached_hash: str | None = None  # equal content hash: the cached result stands (after the probe, if any)
    probe: str | None = None  # key of the added entries to look for before reusing
    department: str = ""  # written into each finding's JSONL line and CSV row


@dataclass
class FileResult:
    name: str
    status: str  # scanned | same | skipped | error
    size: int = 0
    mtime: float | None = None
    hash: str = ""
    hits: list[str] = field(default_factory=list)  # matches the automaton met (candidates), for list changes
    meta: dict[str, str] = field(default_factory=dict)  # kind, date (YYYY-MM-DD or YYYY-MM), chars
    error: str = ""
    # The findings, rendered here so the main process only appends text (see outputs.render):
    department: str = ""
    count: int = 0
    # UTF-8, as the files take them and the cache keeps them: the main process never transcodes them
    jsonl: bytes = b""  # findings.jsonl lines
    csv: bytes = b""  # findings.csv rows
    report: bytes = b""  # report.html rows (JSON objects without their "href"), one a line
    ranks: str = ""  # each finding's severity rank, one digit each
    stats: str = ""  # JSON: the file's counts for summary.json

    def to_dict(self) -> dict[str, object]:
        """JSON-ready (the Dask engine's partitions)."""
        d = dict(self.__dict__)
        for key in _TEXT:
            d[key] = d[key].decode("utf-8")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> FileResult:
        d = dict(d)
        for key in _TEXT:
            d[key] = str(d[key]).encode("utf-8")
        return cls(**d)  # type: ignore[arg-type]


_TEXT = ("jsonl", "csv", "report")


class _State:
    def __init__(self, settings: Settings, probes: dict[str, tuple[str, ...]]):
        self.runner = settings.runner(wrap=_recording)
        self.runner.scanners.get(self.runner.config_for(None))  # the run's own lists, loaded now
        self.settings = settings
        self.probes = {key: probe_lexicon(matches) for key, matches in probes.items()}
        if settings.warm:
            from errscan.words import words

            words()


def _recording(lex):  # type: ignore[no-untyped-def]
    """The lexicon with a set of its own: the scan records which entries it met."""
    return replace(lex, seen=set())


_STATE: _State | None = None


def init(settings: Settings, probes: dict[str, tuple[str, ...]], ignore_sigint: bool = False) -> None:
    """Build this process's scanner (a pool initializer / a Dask WorkerPlugin's setup)."""
    global _STATE
    if ignore_sigint:  # Ctrl-C goes to the parent, which stops the pool
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE = _State(settings, probes)


def probe_lexicon(matches: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A minimal Lexicon of the added matches, for match.byte_hits."""
    from errscan.lexicon import Lexicon
    from errscan.lexicon.compile import key_automaton
    from errscan.normalize import fold

    automaton, longest, sizes = key_automaton(fold(m) for m in matches)  # keyed like the lexicon's automaton
    return Lexicon((), list(matches), automaton, longest, sizes)


def read_bytes(name: str) -> bytes:
    """The file's bytes; an fsspec URL through fsspec. Raises ReadError with the clerk's message."""
    from errscan.inputs import read_path
    from errscan.readers import ReadError

    if "://" not in name:
        return read_path(name)
    try:
        import fsspec
    except ImportError:
        raise ReadError("读取网址需要安装 fsspec（pip install fsspec）") from None
    try:
        with fsspec.open(name, "rb") as fh:
            return fh.read()  # type: ignore[no-any-return]
    except FileNotFoundError:
        raise ReadError("文件不存在") from None
    except OSError as exc:
        raise ReadError(f"读取失败：{exc.strerror or exc}") from None


def scan_file(task: Task) -> FileResult:
    """Read one file and scan it, unless its content is what the cache already answered for."""
    from errscan.inputs import Skipped, display_name
    from errscan.readers import ReadError, not_a_document, read, sniff

    state = _STATE
    assert state is not None, "init() first"
    out = FileResult(task.name, "error", task.size, task.mtime, department=task.department)
    try:
        data = read_bytes(task.name)
        out.size = len(data)
        out.hash = hashlib.blake2b(data, digest_size=16).hexdigest()
        if task.cached_hash == out.hash and task.probe is None:
            out.status = "same"
            return out
        if task.in_directory:
            found = sniff(data, task.name)
            if not_a_document(found, data):
                raise Skipped(task.name)
        doc = read(data, task.name)
        del data
        if task.cached_hash == out.hash and task.probe is not None and not probe(state, doc, task.probe):
            out.status = "same"
            return out
        local = "://" not in task.name
        config = state.runner.config_for(task.name if local else None)
        lex = state.runner.scanners.get(config).lexicon
        lex.seen.clear()
        shown = display_name(task.name)  # what the outputs call it: a name that is not text, escaped
        checked = state.runner.check(doc, shown, config=config, scan=functools.partial(scan_document, state))
        out.hits = sorted({lex.entries[i].match for i in lex.seen})
        out.meta = document_meta(doc)
        if checked.failed:
            out.meta["failed"] = "1"
        if checked.hidden:
            out.meta["hidden"] = ",".join(f"{k}={n}" for k, n in sorted(checked.hidden.items()))
        render_into(out, [f.to_dict() for f in checked.shown], task.department)
        out.status = "scanned"
    except Skipped:
        out.status = "skipped"
    except ReadError as exc:
        out.error = str(exc)
    return out


def scan_files(tasks: list[Task]) -> list[FileResult]:
    """A batch (the process pool's unit of work); an unexpected failure costs only its own file."""
    results = []
    for task in tasks:
        try:
            results.append(scan_file(task))
        except Exception as exc:
            message = f"内部错误（{type(exc).__name__}），未检查"
            results.append(FileResult(task.name, "error", task.size, task.mtime, error=message))
    return results


def render_into(out: FileResult, findings: list[dict[str, object]], department: str) -> None:
    from errscan.audit.outputs import render

    out.department = department
    out.count = len(findings)
    jsonl, csv, report, out.ranks, out.stats = render(findings, department)
    out.jsonl, out.csv, out.report = (t.encode("utf-8") for t in (jsonl, csv, report))


def probe(state: _State, doc: Document, key: str) -> bool:
    """Does the text hold any of the added entries (as the scanner would see it: folded, squeezed)?"""
    from errscan.match import byte_hits
    from errscan.normalize import fold, squeeze

    text = doc.text
    text = squeeze(fold(text))[0]
    return bool(byte_hits(text.encode("utf-8", "surrogatepass"), state.probes[key]))


def document_meta(doc: Document) -> dict[str, str]:
    from errscan.docdate import find_date

    meta = {"kind": doc.kind, "chars": str(len(doc.text))}
    date = doc.metadata.get("date", "")
    if not date:
        found = find_date(doc.text)
        if found is not None:
            lo, hi = found
            date = lo.isoformat() if lo == hi else lo.isoformat()[:7] if lo.month == hi.month else ""
    if date:
        meta["date"] = date
    return meta


class _Shifted(Locator):
    """A chunk's offsets located in the whole document."""

    def __init__(self, doc: Document, base: int):  # no super().__init__: the chunk needs no line map
        self.doc, self.base = doc, base

    def locate(self, offset: int) -> tuple[int, int, dict[str, object]]:
        return self.doc.locate(self.base + offset)


def scan_document(state: _State, scanner: Scanner, doc: Document, name: str) -> list[Finding]:
    """The scanner's findings; a long text in overlapping chunks, each finding kept by the chunk it starts in."""
    size = state.settings.chunk_chars
    text = doc.text
    if len(text) <= size:
        return scanner.scan_document(doc, name)
    # The document's date is the whole text's, not a chunk's: fixed once for every chunk.
    date = scanner._document_date(doc)
    chunk_scanner = copy.copy(scanner)
    chunk_scanner._document_date = lambda _doc: date  # type: ignore[method-assign]
    pad = scanner.lexicon.max_bytes + PAD  # max_bytes (UTF-8) ≥ the longest entry in characters
    seen: set[tuple[int, int, str]] = set()
    findings: list[Finding] = []
    for own in range(0, len(text), size):
        lo, hi = max(0, own - pad), min(len(text), own + size + pad)
        chunk = Document(text[lo:hi], doc.kind, doc.metadata, _Shifted(doc, lo))
        for f in chunk_scanner.scan_document(chunk, name):
            at = lo + f.offset
            key = (at, f.length, f.rule)
            if own <= at < own + size and key not in seen:  # owned by this chunk; overlap repeats dropped
                seen.add(key)
                findings.append(replace(f, offset=at))
    findings.sort()
    return findings
