"""`errscan fix`: apply the one safe replacement of each finding to plain-text, Markdown, HTML and Word files.

Word files are edited in their runs (annotate.py): --write replaces the text keeping each run's formatting,
--tracked makes each fix a tracked change (修订) to accept or reject in Word or WPS.

Only findings with `finding.fix` set are applied (the entry has exactly one suggestion and its list allows
auto-fix). Edits are made on the file's bytes: everything outside the replaced spans, its encoding (UTF-8 with
or without BOM, UTF-16, GB18030, Big5) and its line endings included, stays byte for byte. A span is replaced
only where the matched text is found verbatim at its place in the source; where it is not (an HTML match that
spans tags or entities, a match across a line break, overlapping findings, a replacement the encoding cannot
represent) it is skipped, and the skip is reported. Files are written atomically (a temporary file in the same
directory, then os.replace), and not at all if they changed while being fixed.
"""

from __future__ import annotations

import codecs
import difflib
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from errscan.inputs import Source
    from errscan.run import Runner

from errscan.detectors.privacy import mask_text
from errscan.inputs import bounded_read, read_path
from errscan.model import Document, Finding
from errscan.posmap import LineMap
from errscan.readers import ReadError, read, sniff
from errscan.readers.text import looks_binary

EXIT_OK, EXIT_CHANGES, EXIT_USAGE, EXIT_UNREADABLE = 0, 1, 2, 3
KINDS = ("text", "html")  # Markdown is read as text


@dataclass(frozen=True)
class Edit:
    """One replacement in a file's bytes: data[start:end] == old becomes new."""

    start: int  # byte offsets
    end: int
    old: bytes
    new: bytes
    line: int  # 1-based, in the source
    column: int  # 1-based, in code points
    text: str
    fix: str
    rule: str


@dataclass(frozen=True)
class Skip:
    """A fixable finding that was not applied, and why (Chinese)."""

    line: int
    column: int
    text: str
    rule: str
    reason: str


@dataclass(frozen=True)
class Plan:
    kind: str
    encoding: str
    edits: tuple[Edit, ...]
    skipped: tuple[Skip, ...]
    unfixable: int  # findings without a safe replacement: left for a person


class Unsupported(Exception):
    """Not a kind of file `fix` edits (Word, PDF, Excel …)."""


# --- planning -------------------------------------------------------------------------------------------------


def _codec(data: bytes, encoding: str) -> tuple[str, int]:
    """(stateless codec, length of the BOM) for the encoding a reader reported."""
    if encoding == "utf-8-sig":
        return "utf-8", len(codecs.BOM_UTF8)
    if encoding == "utf-32":
        return ("utf-32-le" if data.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"), 4
    if encoding == "utf-16":
        return ("utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"), 2
    return encoding, 0


def _source_spans(doc: Document, source: str, findings: Sequence[Finding]) -> tuple[list, list[Skip]]:
    """(start, end, finding) in the decoded source for each fixable finding found verbatim there."""
    lines = LineMap(source) if doc.kind == "html" else None
    spans, skipped = [], []
    for f in findings:
        if lines is not None:  # line/column are in the page's source; the offset is in its visible text
            start = lines.starts[f.line - 1] + f.column - 1 if f.line <= len(lines.starts) else -1
        else:
            start = f.offset
        end = start + len(f.text)
        if "\n" in f.text or "\r" in f.text:
            skipped.append(Skip(f.line, f.column, f.text, f.rule, "跨越换行，未修改"))
        elif start < 0 or source[start:end] != f.text:
            why = "在网页源码中不是原样连续出现（跨越标签或含字符实体）" if lines is not None else "原文位置不符"
            skipped.append(Skip(f.line, f.column, f.text, f.rule, why + "，未修改"))
        else:
            spans.append((start, end, f))
    spans.sort(key=lambda s: (s[0], -s[1]))
    kept, last_end = [], -1
    for start, end, f in spans:
        if start < last_end:
            skipped.append(Skip(f.line, f.column, f.text, f.rule, "与另一处修改重叠，未修改"))
            continue
        kept.append((start, end, f))
        last_end = end
    return kept, skipped


def plan(data: bytes, runner: Runner, name: str = "-", path: Path | str | None = None) -> Plan:
    """The edits `fix` would make to one input: the safe fixes of what the run layer reports for it (the same
    findings `errscan check` shows, its config and inline directives applied). `path`: where its config is
    looked for. Raises ReadError (unreadable) or Unsupported."""
    kind = sniff(data, name)
    if kind not in KINDS:
        raise Unsupported(kind)
    doc = read(data, name, kind)
    encoding = doc.metadata.get("encoding", "utf-8")
    source = doc.text if kind == "text" else data.decode(encoding)
    findings = runner.check(doc, name, path, source=source if kind == "html" else None).shown
    fixable = [f for f in findings if f.fix is not None and f.fix != f.text]
    spans, skipped = _source_spans(doc, source, fixable)
    codec, at = _codec(data, encoding)
    edits, prev = [], 0
    for i, (start, end, f) in enumerate(spans):
        gap, old = source[prev:start].encode(codec), source[start:end].encode(codec)
        if data[at : at + len(gap)] != gap or data[at + len(gap) : at + len(gap) + len(old)] != old:
            # the decoding does not map back byte for byte here: nothing after this point is touched
            for _, _, g in spans[i:]:
                skipped.append(Skip(g.line, g.column, g.text, g.rule, f"按 {encoding} 无法逐字节还原原文，未修改"))
            break
        at += len(gap)
        fix = f.fix or ""
        try:
            new = fix.encode(codec)
        except UnicodeEncodeError:
            skipped.append(Skip(f.line, f.column, f.text, f.rule, f"“{fix}”无法用 {encoding} 编码表示，未修改"))
        else:
            edits.append(Edit(at, at + len(old), old, new, f.line, f.column, f.text, fix, f.rule))
        at += len(old)
        prev = end
    skipped.sort(key=lambda s: (s.line, s.column))
    return Plan(kind, encoding, tuple(edits), tuple(skipped), len(findings) - len(fixable))


def apply_edits(data: bytes, edits: Sequence[Edit]) -> bytes:
    """data with each edit made. Raises ValueError for overlapping edits or ones that do not match data."""
    parts, at = [], 0
    for e in sorted(edits, key=lambda e: e.start):
        if e.start < at:
            raise ValueError(f"overlapping edits at byte {e.start}")
        if data[e.start : e.end] != e.old:
            raise ValueError(f"edit at byte {e.start} does not match the data")
        parts += [data[at : e.start], e.new]
        at = e.end
    parts.append(data[at:])
    return b"".join(parts)


# --- output ---------------------------------------------------------------------------------------------------


def unified_diff(name: str, old: str, new: str) -> str:
    """A unified diff that `patch -p1` / `git apply` accept (a/ b/ prefixes for relative paths)."""
    a, b = (name, name) if name.startswith("/") or name == "-" else (f"a/{name}", f"b/{name}")
    lines = []
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), a, b):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def write_atomic(path: Path, data: bytes, expected: bytes | None) -> None:
    """Replace the file's content by data, if it still holds `expected`; a symlink's target is written.
    `expected` None: a file written anew whatever is there (an annotated copy, 通知.审校.docx)."""
    target = path.resolve()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".errscan-fix")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if expected is None:
            os.chmod(tmp, 0o666 & ~_umask())
        else:
            st = target.stat()
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass  # not ours to give away: the file keeps our ownership
            if target.read_bytes() != expected:
                raise OSError("文件在修改期间被其他程序改动，未写入")
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _describe(name: str, p: Plan, out: IO[str]) -> None:
    if p.edits:
        out.write(f"已修改 {name}（{len(p.edits)} 处）：\n")
        for e in p.edits:
            out.write(f"  {e.line}:{e.column}  “{e.text}” → “{e.fix}”  [{e.rule}]\n")


def _skips(name: str, p: Plan, err: IO[str]) -> None:
    for s in p.skipped:
        err.write(f"{name}:{s.line}:{s.column}: “{s.text}”{s.reason} [{s.rule}]\n")


def fix_paths(
    paths: Sequence[str],
    runner: Runner,
    mode: str,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Fix files (mode "write") or print what would change (mode "diff"). Returns the exit code.

    "-" reads standard input; the fixed text (--write) or the diff (--diff) goes to standard output, in the
    input's encoding for --write. Messages go to stdout for --write on files, else to stderr.
    """
    from errscan.inputs import expand

    err = stderr or sys.stderr
    if mode not in ("diff", "write", "tracked"):
        err.write("errscan: 请指定 --diff、--write 或 --tracked 之一\n")
        return EXIT_USAGE
    for arg in paths:
        if arg != "-" and not Path(arg).exists():
            err.write(f"errscan: 路径不存在：{arg}\n")
            return EXIT_USAGE
    run = _FixRun(runner, mode, stdin, stdout or sys.stdout, err)
    for source in expand(list(paths)):
        if source.path is not None and runner.skips(source.path, named=not source.in_directory):
            continue
        run.one(source)
    if mode in ("write", "tracked") and list(paths) != ["-"]:
        run.summary(run.out if "-" not in paths else err)
    if run.failed:
        return EXIT_UNREADABLE
    return EXIT_CHANGES if mode == "diff" and run.changes else EXIT_OK


class _FixRun:
    """One `errscan fix`: each input planned, then shown (--diff) or written (--write); the totals."""

    def __init__(self, runner: Runner, mode: str, stdin: IO[bytes] | None, out: IO[str], err: IO[str]):
        self.runner, self.mode, self.stdin, self.out, self.err = runner, mode, stdin, out, err
        self.failed, self.changed_files, self.changes, self.manual = False, 0, 0, 0

    def one(self, source: Source) -> None:
        err = self.err
        try:
            data = read_path(source.path) if source.path else bounded_read(self.stdin or sys.stdin.buffer)
            kind = sniff(data, source.name)
            if kind == "docx" and source.path is not None:
                self.word(source, data)
                return
            if source.in_directory and (looks_binary(data) or kind not in KINDS):
                return  # images, PDF files … met while walking a folder
            p = plan(data, self.runner, source.name, source.path)
        except Unsupported as exc:
            err.write(f"errscan: 跳过 {source.name}：只能修改纯文本、Markdown、HTML 和 Word（.docx）文件"
                      f"（此文件为 {exc}）\n")
            return
        except ReadError as exc:
            err.write(f"errscan: 无法读取 {source.name}：{exc}\n")
            self.failed = True
            return
        new = apply_edits(data, p.edits)
        _skips(source.name, p, err)
        self.manual += p.unfixable + len(p.skipped)
        if p.edits:
            self.changed_files, self.changes = self.changed_files + 1, self.changes + len(p.edits)
        if self.mode == "diff":
            if p.edits:
                codec, bom = _codec(data, p.encoding)
                diff = unified_diff(source.name, data[bom:].decode(codec), new[bom:].decode(codec))
                self.out.write(mask_text(diff))  # personal numbers in its lines masked: --write changes the file
        elif source.path is None:
            self.to_stdout(new, p)
            _describe(source.name, p, err)
        elif p.edits:
            try:
                write_atomic(source.path, new, data)
            except OSError as exc:
                err.write(f"errscan: 无法写入 {source.name}：{exc.strerror or exc}\n")
                self.failed = True
                self.changed_files, self.changes = self.changed_files - 1, self.changes - len(p.edits)
                return
            _describe(source.name, p, self.out)

    def word(self, source: Source, data: bytes) -> None:
        """A Word file: its safe fixes shown as a diff of its text, made in its runs (--write, formatting kept),
        or made as tracked changes (--tracked) that Word and WPS accept or reject one by one."""
        from errscan.annotate import fix_docx

        name, err = source.name, self.err
        try:
            doc = read(data, name, "docx")
            findings = self.runner.check(doc, name, source.path).shown
            new, outcome = fix_docx(data, findings, tracked=self.mode == "tracked")
        except ReadError as exc:
            err.write(f"errscan: 无法读取 {name}：{exc}\n")
            self.failed = True
            return
        for f, why in outcome.skipped:
            err.write(f"{name}:{f.line}:{f.column}: “{f.text}”{why} [{f.rule}]\n")
        fixable = sum(1 for f in findings if f.fix is not None and f.fix != f.text)
        self.manual += len(findings) - fixable + len(outcome.skipped)
        if not outcome.revisions:
            return
        self.changed_files, self.changes = self.changed_files + 1, self.changes + outcome.revisions
        if self.mode == "diff":
            self.out.write(mask_text(unified_diff(name, doc.text, read(new, name, "docx").text)))
            return
        try:
            write_atomic(source.path, new, data)  # type: ignore[arg-type]
        except OSError as exc:
            err.write(f"errscan: 无法写入 {name}：{exc.strerror or exc}\n")
            self.failed = True
            self.changed_files, self.changes = self.changed_files - 1, self.changes - outcome.revisions
            return
        how = "处修订" if self.mode == "tracked" else "处"
        self.out.write(f"已修改 {name}（{outcome.revisions} {how}）：\n")
        for f in sorted(findings):
            if f.fix is not None and f.fix != f.text and all(f is not g for g, _ in outcome.skipped):
                self.out.write(f"  {f.line}:{f.column}  “{f.text}” → “{f.fix}”  [{f.rule}]\n")

    def to_stdout(self, new: bytes, p: Plan) -> None:
        """The fixed standard input, in its own encoding where stdout takes bytes."""
        self.out.flush()
        binary = getattr(self.out, "buffer", None)
        if binary is not None:
            binary.write(new)
            binary.flush()
        else:
            codec, bom = _codec(new, p.encoding)
            self.out.write(new[bom:].decode(codec))

    def summary(self, out: IO[str]) -> None:
        text = f"共修改 {self.changed_files} 个文件 {self.changes} 处。" if self.changes else "没有可自动修改的问题。"
        if self.manual:
            text += f"另有 {self.manual} 处问题没有唯一的安全改法，请用 errscan check 查看后人工修改。"
        out.write(text + "\n")
