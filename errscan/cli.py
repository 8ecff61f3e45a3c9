"""The command line: parse arguments, call the pipeline, pick a reporter, set the exit code. Thin."""

from __future__ import annotations

import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from errscan import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="errscan：检查中文文稿中的严重错误、敏感词、错别字和过时表述。",
    context_settings={"help_option_names": ["-h", "--help"]},
)
lists_app = typer.Typer(help="查看和测试词表。", no_args_is_help=True)
app.add_typer(lists_app, name="lists")

EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE = 1, 2, 3


class Format(str, Enum):
    pretty = "pretty"
    json = "json"
    jsonl = "jsonl"


class Kind(str, Enum):
    text = "text"
    html = "html"
    docx = "docx"
    pdf = "pdf"
    xlsx = "xlsx"
    doc = "doc"


class Shown(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


class Level(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


ListsOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--list", "-l", help="追加词表（YAML、TSV 或 TXT 文件，或其所在目录），可重复。"),
]
NoBuiltinOpt = Annotated[bool, typer.Option("--no-builtin", help="不使用内置词表，只用 --list 给出的。")]


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    sys.stderr.write(f"errscan: {message}\n")
    return typer.Exit(code)


def _lexicon(lists: list[Path] | None, no_builtin: bool, cache: bool = True):
    from errscan.lexicon import ListLoadError, load_lexicon

    if no_builtin and not lists:
        raise _fail("--no-builtin 需要至少一个 --list 词表")
    try:
        return load_lexicon(list(lists or []), builtin=not no_builtin, cache=cache)
    except ListLoadError as exc:
        for err in exc.errors:
            sys.stderr.write(f"{err}\n")
        raise _fail(f"词表有 {len(exc.errors)} 处错误，未执行检查") from None


def _version(value: bool) -> None:
    if value:
        print(f"errscan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本号。")
    ] = False,
) -> None:
    pass


@app.command()
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="文件、目录，或 - 表示标准输入；默认当前目录。")] = None,
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="输出格式。")] = Format.pretty,
    fail_on: Annotated[Level, typer.Option(help="有此级别及以上的问题时退出码为 1。")] = Level.warning,
    min_severity: Annotated[Shown, typer.Option(help="只显示此级别及以上的问题。")] = Shown.info,
    allow: Annotated[Optional[list[str]], typer.Option(help="不报告的词语（可重复）。")] = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="文稿日期（YYYY-MM-DD、YYYY-MM 或 YYYY），决定旧机构名称是否过时。")
    ] = None,
    no_privacy: Annotated[
        bool, typer.Option("--no-privacy", help="不检查身份证号、手机号、银行卡号等个人信息。")
    ] = False,
    show_pii: Annotated[
        bool, typer.Option("--show-pii", help="在报告中显示完整的个人信息（仅限授权人员）；默认打码显示。")
    ] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不使用词表编译缓存。")] = False,
    color: Annotated[Optional[bool], typer.Option("--color/--no-color", help="是否彩色输出（默认自动）。")] = None,
    kind: Annotated[
        Optional[Kind], typer.Option("--type", help="按此格式读取输入（默认按内容和扩展名判断）。")
    ] = None,
) -> None:
    """检查文稿。退出码：0 无问题；1 有达到 --fail-on 级别的问题；2 用法或词表错误；3 有文件无法读取。"""
    from errscan.inputs import Skipped, expand, load
    from errscan.model import InputError, Report, Severity
    from errscan.pipeline import Scanner
    from errscan.readers.text import ReadError
    from errscan.reporters import render

    started = time.perf_counter()
    args = paths or ["."]
    for arg in args:
        if arg != "-" and not Path(arg).exists():
            raise _fail(f"路径不存在：{arg}")
    shown = Severity.parse(min_severity.value)
    from errscan.docdate import parse_date

    try:
        doc_date = parse_date(as_of) if as_of else None
    except ValueError:
        raise _fail(f"--as-of 日期格式应为 YYYY-MM-DD、YYYY-MM 或 YYYY：{as_of}") from None
    scanner = Scanner(
        lexicon=_lexicon(lists, no_builtin, cache=not no_cache), allow=allow or (), min_severity=shown,
        as_of=doc_date, privacy=not no_privacy, show_pii=show_pii,
    )

    findings, errors, skipped, documents, files = [], [], [], [], 0
    for source in expand(args):
        try:
            doc = load(source, kind=kind.value if kind else None)
        except Skipped:
            skipped.append(source.name)
            continue
        except ReadError as exc:
            errors.append(InputError(source.name, str(exc)))
            continue
        files += 1
        documents.append((source.name, {"kind": doc.kind, **doc.metadata}))
        findings += scanner.scan_document(doc, source.name)

    threshold = Severity.ERROR + 1 if fail_on == Level.never else Severity.parse(fail_on.value)
    report = Report(
        findings=tuple(findings), errors=tuple(errors), files=files, skipped=tuple(skipped),
        elapsed=time.perf_counter() - started, fail_on=threshold, documents=tuple(documents),  # type: ignore[arg-type]
    )
    render(fmt.value, report, sys.stdout, color)
    if fmt != Format.pretty:
        for err in errors:
            sys.stderr.write(f"errscan: 无法检查 {err.path}：{err.message}\n")
    if errors:
        raise typer.Exit(EXIT_UNREADABLE)
    if report.failed:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def explain(
    term: Annotated[str, typer.Argument(help="要解释的词语。")],
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
) -> None:
    """说明一个词语为什么会（或不会）被报告：来自哪个词表、哪个规范名称和规则。"""
    from errscan.explain import explain as explain_term

    print(explain_term(_lexicon(lists, no_builtin), term))


@lists_app.command("show")
def lists_show(
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="pretty 或 json。")] = Format.pretty,
) -> None:
    """列出已加载的词表：编号、类别、级别、条目数和来源。"""
    from errscan.reporters import lists as lists_reporter

    lex = _lexicon(lists, no_builtin)
    if fmt == Format.pretty:
        lists_reporter.render_pretty(lex, sys.stdout)
    else:
        lists_reporter.render_json(lex, sys.stdout)


@lists_app.command("test")
def lists_test(lists: ListsOpt = None, no_builtin: NoBuiltinOpt = False) -> None:
    """用每个条目的正例和反例检验词表：反例必须报出该条目，正例不得报出。"""
    from errscan.lexicon.selftest import run_examples

    lex = _lexicon(lists, no_builtin)
    failures, checked = run_examples(lex)
    for failure in failures:
        print(failure)
    print(f"{checked - len(failures)} passed, {len(failures)} failed")
    if failures:
        raise typer.Exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    app()
