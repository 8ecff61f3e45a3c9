"""`--format github`: GitHub Actions workflow commands, shown as annotations on the changed files.

    ::error file=PATH,line=L,col=C,endColumn=E,title=RULE::MESSAGE

error → ::error, warning → ::warning, info → ::notice; endColumn is exclusive, in code points. A match that
spans lines gets endLine and no columns (GitHub drops annotations whose columns span lines). Escaping as the
Actions toolkit does it: % CR LF in the message; those and : , in properties. An unreadable input is an
::error on the file.
"""

from __future__ import annotations

from typing import IO

from errscan.model import Finding, Report, Severity, where_zh

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(name: str, props: list[tuple[str, object]], message: str) -> str:
    joined = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
    return f"::{name} {joined}::{escape_data(message)}"


def line(f: Finding) -> str:
    props: list[tuple[str, object]] = [("file", f.path), ("line", f.line)]
    if "\n" in f.text:
        props.append(("endLine", f.line + f.text.count("\n")))
    else:
        props += [("col", f.column), ("endColumn", f.column + f.length)]
    props.append(("title", f.rule))
    where = where_zh(f.location)  # a Word or PDF file's line is the reader's: say the page or paragraph too
    return command(COMMAND[f.severity], props, f"{where}：{f.message}" if where else f.message)


def render(report: Report, out: IO[str]) -> None:
    for f in report.findings:
        out.write(line(f) + "\n")
    for e in report.errors:
        out.write(command("error", [("file", e.path), ("title", "无法检查")], f"无法检查：{e.message}") + "\n")
