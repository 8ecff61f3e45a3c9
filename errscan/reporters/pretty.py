"""The report clerks read: per file, each finding in its context; then a summary table. In Chinese."""

from __future__ import annotations

from itertools import groupby
from typing import IO

from errscan.model import SOURCE_PARTS, Finding, Report, Severity, category_zh, where_zh

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _snippet(f: Finding, plain: bool = False):
    """The finding's context with its text highlighted; without colour (a pipe, -o, NO_COLOR) in 【】."""
    from rich.text import Text

    at = f.marked_at()
    snippet = Text()
    marked = f"【{f.text}】" if plain else f.text
    if at == -1:  # context normalised away a tab or CR inside the match: show the match alone
        snippet.append(marked, style=f"reverse {STYLE[f.severity]}")
        return snippet
    snippet.append(f.context[:at])
    snippet.append(marked, style=f"reverse {STYLE[f.severity]}")
    snippet.append(f.context[at + len(f.text) :])
    return snippet


def _where(f: Finding) -> str:
    """第3页第12行, 表1第2行第3列; a web page's title or attribute: 网页标题 1:30; else line:column."""
    where = where_zh(f.location)
    if dict(f.location).get("part") in SOURCE_PARTS:
        return f"{where} {f.line}:{f.column}"
    return where or f"{f.line}:{f.column}"


def _said(f: Finding) -> str:
    """The message, without the suggestion the line above already shows (“，建议改为“部署”” once is enough)."""
    if not f.suggestions:
        return f.message
    return f.message.replace("，建议改为" + "或".join(f"“{s}”" for s in f.suggestions), "", 1)


INDENT = " " * 10  # a finding's second and further lines


def _print_wrapped(console, line, keep: list[tuple[int, int]] | None = None) -> None:  # type: ignore[no-untyped-def]
    """On a terminal, a long line is broken where a reader expects (between Chinese characters, at spaces,
    never inside the marked term or the rule), and its further lines are indented; a pipe or a file gets one
    line per finding, for grep."""
    from rich.text import Text

    from errscan.textwidth import line_spans

    isatty = getattr(console.file, "isatty", None)
    if not (console.is_terminal or (isatty is not None and isatty())):  # --no-color on a terminal wraps too
        console.print(line)
        return
    spans = line_spans(line.plain, console.width, console.width - len(INDENT), keep or ())
    for i, piece in enumerate(line.divide([a for a, _ in spans[1:]] + [len(line.plain)])):
        if i >= len(spans):
            break
        piece.rstrip()
        console.print(Text.assemble(INDENT, piece) if i else piece)


def _plain_out(out: IO[str], color: bool | None) -> bool:
    """Whether rich would write `out` without colour or terminal codes: --no-color, or no terminal and no
    FORCE_COLOR / TTY_COMPATIBLE asking for them."""
    import os

    if color is not None:
        return not color
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE"):
        return False
    try:
        return not out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def render(report: Report, out: IO[str], color: bool | None = None) -> None:
    if not report.findings and not report.errors and _plain_out(out, color):
        out.write(_closing_text(report)[0] + "\n")  # nothing to lay out: the closing line without loading rich
        return
    from rich.cells import cell_len
    from rich.console import Console
    from rich.text import Text

    # --color/--no-color win; otherwise NO_COLOR (no-color.org) and whether `out` is a terminal decide
    console = Console(file=out, force_terminal=color, no_color=None if color is None else not color, highlight=False,
                      soft_wrap=True)
    plain = console.no_color or console.color_system is None
    for path, grouped in groupby(report.findings, key=lambda f: f.path):
        console.print(Text(path, style="bold underline"))
        group = list(grouped)
        # 第3页第12行, 工作表“花名册”C2, 表1第2行第3列; a text file: 行:列. Padded to the file's widest, in cells
        wheres = [_where(f) for f in group]
        width = min(max(8, *(cell_len(w) for w in wheres)), 16)
        for f, where in zip(group, wheres, strict=True):
            line = Text("  ")
            line.append(where + " " * max(1, width - cell_len(where) + 1), style="dim")
            line.append(f"{f.severity.zh} ", style=STYLE[f.severity])
            line.append(f"{category_zh(f.category)}  ")
            snippet = _snippet(f, plain)
            keep = [(len(line) + a.start, len(line) + a.end) for a in snippet.spans]  # the marked term whole
            line.append_text(snippet)
            if f.suggestions:
                line.append("  → ", style="dim")
                line.append(" / ".join(f.suggestions), style="green")
            keep.append((len(line) + 2, len(line) + 4 + len(f.rule)))
            line.append(f"  [{f.rule}]", style="dim")
            _print_wrapped(console, line, keep)
            _print_wrapped(console, Text(INDENT + _said(f), style="dim"))
        console.print()
    for err in report.errors:
        console.print(Text.assemble(("无法检查 ", "bold red"), (err.path, "bold"), f"：{err.message}"))
    if report.findings:
        console.print(_table(report))
    console.print(_closing(report))


def _table(report: Report):
    from rich.table import Table

    table = Table(title="汇总", title_justify="left", show_footer=True)
    levels = sorted(Severity, reverse=True)
    table.add_column("类别", footer="合计")
    counts: dict[tuple[str, Severity], int] = {}
    for f in report.findings:
        counts[(f.category, f.severity)] = counts.get((f.category, f.severity), 0) + 1
    def rank(c: str) -> tuple[int, int, str]:  # the gravest first, then the most frequent; the same every run
        return (-max(s for cc, s in counts if cc == c), -sum(n for (cc, _), n in counts.items() if cc == c), c)

    categories = sorted({c for c, _ in counts}, key=rank)
    for s in levels:
        total = sum(n for (_, sv), n in counts.items() if sv == s)
        table.add_column(s.zh, justify="right", style=STYLE[s], footer=str(total))
    table.add_column("小计", justify="right", footer=str(len(report.findings)))
    for c in categories:
        row = [counts.get((c, s), 0) for s in levels]
        table.add_row(category_zh(c), *(str(n) if n else "·" for n in row), str(sum(row)))
    return table


def _closing(report: Report):
    from rich.text import Text

    text, style = _closing_text(report)
    return Text(text, style=style)


def _closing_text(report: Report) -> tuple[str, str]:
    """The closing line and its style."""
    n = len(report.findings)
    parts = [f"{len(report.errors)} 个文件无法检查，结果不完整"] if report.errors else []
    parts.append(f"检查了 {report.files} 个文件")
    if report.skipped:
        parts.append(f"跳过 {len(report.skipped)} 个非文本文件")
    if n:
        levels = "，".join(
            f"{s.zh} {k}" for s in sorted(Severity, reverse=True)
            if (k := sum(1 for f in report.findings if f.severity == s))
        )
        parts.append(f"发现 {n} 处问题（{levels}）")
    elif not report.errors and not report.hidden:
        parts.append("未发现问题")
    if report.hidden:  # below --min-severity: not listed, but counted (and they still decide the exit code)
        hidden = "、".join(f"{k} 处{Severity.parse(label).zh}" for label, k in report.hidden if k)
        parts.append(f"另有 {hidden}未显示")
    parts.append(f"用时 {report.elapsed:.2f} 秒")
    style = "bold red" if report.errors or report.failed else ("bold yellow" if n else "bold green")
    mark = "✗" if report.errors or report.failed else "✓"
    return f"{mark} " + "，".join(parts) + "。", style
