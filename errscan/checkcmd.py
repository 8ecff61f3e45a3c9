"""The `check` command without the command-line library: its run from parsed options, the report and the exit.

`errscan check` is the command a clerk and a pre-commit hook run most, often on one short draft, where importing
typer and building its commands would cost more than the check itself. `errscan.quick` parses the arguments of
a plain `check` and calls `run_check` here; anything it does not recognise goes to the typer application
(errscan.cli), whose `check` calls the same `run_check`. Exit codes are raised as SystemExit.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE = 1, 2, 3
KINDS = ("text", "html", "docx", "pdf", "xlsx", "doc")  # what --type may name


def fail(message: str, code: int = EXIT_USAGE) -> SystemExit:
    """The command's end with a message on stderr: `raise fail(...)`."""
    sys.stderr.write(f"errscan: {message}\n")
    return SystemExit(code)


def run_check(
    paths: list[str] | None, *, lists: list[Path] | None = None, no_builtin: bool = False, fmt: str = "pretty",
    fail_on: str | None = None, min_severity: str | None = None, allow: list[str] | None = None,
    as_of: str | None = None, no_privacy: bool = False, show_pii: bool = False, no_cache: bool = False,
    color: bool | None = None, kind: str | None = None, output: Path | None = None, config_file: Path | None = None,
    stdin_filename: str | None = None, report_unused: bool = False, force_exclude: bool = False,
    annotate: bool = False,
) -> None:
    """`errscan check` with its options parsed; ends by raising SystemExit unless the report is clean (exit 0)."""
    from errscan.inputs import is_url
    from errscan.run import report_of

    started = time.perf_counter()
    args = paths or ["."]
    for arg in args:
        if arg != "-" and not is_url(arg) and not Path(arg).exists():
            raise fail(f"路径不存在：{arg}")
    with settings_errors():
        runner = runner_of(
            config_file, no_cache=no_cache, show_pii=show_pii, report_unused=report_unused, lists=lists,
            no_builtin=no_builtin, allow=allow, fail_on=fail_on, min_severity=min_severity, as_of=as_of,
            no_privacy=no_privacy,
        )
        results, errors, skipped = check_inputs(runner, args, stdin_filename, kind, force_exclude)
    if annotate:
        errors += annotate_copies(runner, results)
    report = report_of(results, errors, skipped, time.perf_counter() - started, runner.config_for(None))
    emit(report, fmt, color, output, report.failed)


def emit(report, fmt: str, color: bool | None, output: Path | None, failed: bool) -> None:  # type: ignore[no-untyped-def]
    """Render the report (to stdout, or atomically to --output) and exit: 3 unreadable input, 1 failed, else 0."""
    from errscan.reporters import render, write_report

    if output is None or str(output) == "-":
        render(fmt, report, sys.stdout, color)
    else:
        try:
            write_report(fmt, report, output)
        except OSError as exc:
            raise fail(f"无法写入 {output}：{exc.strerror or exc}") from None
        n = len(report.findings)
        sys.stderr.write(f"报告已写入 {output}（{report.files} 个文件，{n} 处问题）\n")
    if fmt != "pretty":
        for err in report.errors:
            sys.stderr.write(f"errscan: 无法检查 {err.path}：{err.message}\n")
    if report.errors:
        raise SystemExit(EXIT_UNREADABLE)
    if failed:
        raise SystemExit(EXIT_FINDINGS)


def annotate_copies(runner, results) -> list:  # type: ignore[no-untyped-def]
    """`check --annotate`: each Word or Excel file's annotated copy written beside it; what could not be."""
    from errscan.annotate import annotate_checked, annotated_path
    from errscan.fix import write_atomic
    from errscan.inputs import read_path
    from errscan.model import InputError
    from errscan.readers.text import ReadError

    errors = []
    for checked in results:
        path = Path(checked.path)
        if checked.metadata.get("kind") not in ("docx", "xlsx") or not path.is_file():
            continue
        target = annotated_path(path)
        try:
            data, outcome = annotate_checked(runner, checked, read_path(path))
            write_atomic(target, data, None)
        except (ReadError, OSError) as exc:
            why = getattr(exc, "strerror", None) or exc
            errors.append(InputError(checked.path, f"无法写审校稿 {target.name}：{why}"))
            continue
        said = f"批注 {outcome.comments} 条" + (f"，修订 {outcome.revisions} 处" if outcome.revisions else "")
        if outcome.skipped:
            said += f"；{len(outcome.skipped)} 处未能加批注"
        if outcome.lost:
            said += f"；注意：审校稿中没有原文件的{outcome.lost}"
        sys.stderr.write(f"已写审校稿 {target}（{said}）\n")
    return errors


def check_inputs(runner, args: list[str], stdin_filename: str | None, kind: str | None, force_exclude: bool):  # type: ignore[no-untyped-def]
    """Each input read and checked through the run layer: (results, unreadable inputs, skipped names)."""
    from errscan.inputs import Skipped, expand, is_url, load
    from errscan.model import InputError
    from errscan.readers.text import ReadError

    results, errors, skipped = [], [], []
    for source in expand(args, stdin_filename):
        url = is_url(source.name)
        named = Path(stdin_filename) if stdin_filename and source.path is None else source.path
        if source.path is not None and runner.skips(source.path, named=not source.in_directory,
                                                    force_exclude=force_exclude):
            continue
        try:
            if url:
                from errscan.fetch import load_url

                doc = load_url(source.name, kind)
            else:
                doc = load(source, kind=kind)
        except Skipped:
            skipped.append(source.name)
            continue
        except ReadError as exc:
            errors.append(InputError(source.name, str(exc)))
            continue
        try:
            results.append(runner.check(doc, source.name, None if url else named))
        except MemoryError:
            errors.append(InputError(source.name, "内存不足，未能完成检查"))
    return results, errors, skipped


def runner_of(config_file: Path | None, *, no_cache: bool = False, show_pii: bool = False, **options: object):
    """The run layer with the command line's options (None: not given, the config's value stands)."""
    from errscan.run import Runner

    given_ = given(**options)  # type: ignore[arg-type]
    return Runner(
        config_file, cache=not no_cache, show_pii=show_pii, report_unused=bool(options.get("report_unused")),
        **given_,
    )


def given(
    lists: list[Path] | None = None, no_builtin: bool = False, allow: list[str] | None = None,
    fail_on: object = None, min_severity: object = None, as_of: str | None = None,
    no_privacy: bool = False, report_unused: bool = False,
) -> dict[str, object]:
    """The settings keys the command line gives (see settings.KEYS); flags left alone are None."""
    return {
        "lists": lists, "builtin": False if no_builtin else None, "allow": allow,
        "fail_on": getattr(fail_on, "value", fail_on), "min_severity": getattr(min_severity, "value", min_severity),
        "as_of": as_of, "privacy": False if no_privacy else None,
    }


@contextmanager
def settings_errors() -> Iterator[None]:
    """Bad settings (an option, a config file, a list) end the command with exit 2 and what is wrong."""
    from errscan.config import ConfigError
    from errscan.lexicon import ListLoadError

    try:
        yield
    except ConfigError as exc:
        if exc.command_line:
            raise fail(exc.command_line) from None
        sys.stderr.write(f"{exc}\n")
        raise fail("配置文件有误，未执行检查") from None
    except ListLoadError as exc:
        for err in exc.errors:
            sys.stderr.write(f"{err}\n")
        raise fail(f"词表有 {len(exc.errors)} 处错误，未执行检查") from None
