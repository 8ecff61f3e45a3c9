"""The command's entry point: a plain `errscan check` runs without loading typer; everything else goes to it.

Importing typer and building errscan's commands takes longer than checking a short draft. `parse` reads the
arguments of `check` the way the typer application does, for the forms it recognises exactly: each option
spelled in full or by its short name, a value after it (or after `=`), flags, paths in any order. Anything
else — help, a value typer would reject, `--`, short options run together, an unknown option, another
command — returns None, and typer parses the command line and gives its own answer or message. Both ways call
errscan.checkcmd.run_check with the same values (tests/test_quick.py compares them on many command lines).
"""

from __future__ import annotations

import sys
from pathlib import Path

# option → (keyword of run_check, kind): "flag" sets True, "value" keeps the last, "many" collects
_OPTIONS: dict[str, tuple[str, str]] = {
    "--list": ("lists", "many"), "-l": ("lists", "many"),
    "--no-builtin": ("no_builtin", "flag"),
    "--format": ("fmt", "value"), "-f": ("fmt", "value"),
    "--fail-on": ("fail_on", "value"),
    "--min-severity": ("min_severity", "value"),
    "--allow": ("allow", "many"),
    "--as-of": ("as_of", "value"),
    "--no-privacy": ("no_privacy", "flag"),
    "--show-pii": ("show_pii", "flag"),
    "--no-cache": ("no_cache", "flag"),
    "--color": ("color", "flag"),
    "--no-color": ("color", "flag"),
    "--type": ("kind", "value"),
    "--output": ("output", "value"), "-o": ("output", "value"),
    "--config": ("config_file", "value"),
    "--stdin-filename": ("stdin_filename", "value"),
    "--report-unused-disables": ("report_unused", "flag"),
    "--force-exclude": ("force_exclude", "flag"),
    "--annotate": ("annotate", "flag"),
}
_PATHS = {"lists", "output", "config_file"}  # typer gives these as Path


def _choices() -> dict[str, tuple[str, ...]]:
    from errscan.checkcmd import KINDS
    from errscan.model import FAIL_ON, SHOWN
    from errscan.reporters import FORMATS

    return {"fmt": FORMATS, "fail_on": FAIL_ON, "min_severity": SHOWN, "kind": KINDS}


def parse(argv: list[str]) -> dict[str, object] | None:
    """run_check's keywords for a plain `check` command line, or None where typer must parse it."""
    if not argv or argv[0] != "check":
        return None
    got: dict[str, object] = {}
    paths: list[str] = []
    rest = argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        spec = _OPTIONS.get(name)
        if spec is None:
            return None  # --help, --, -fjson, an unknown option: typer's to answer
        key, kind = spec
        if kind == "flag":
            if eq:
                return None
            got[key] = name != "--no-color" if key == "color" else True
            continue
        if not eq:
            if i >= len(rest):
                return None  # the value is missing: typer says so
            value = rest[i]
            i += 1
        if not value or (value.startswith("-") and value != "-"):
            return None
        if kind == "many":
            got.setdefault(key, []).append(Path(value) if key in _PATHS else value)  # type: ignore[union-attr]
        else:
            got[key] = Path(value) if key in _PATHS else value
    choices = _choices()
    for key, allowed in choices.items():
        if key in got and got[key] not in allowed:
            return None  # typer names the choices
    got["paths"] = paths or None
    return got


def main(argv: list[str] | None = None) -> None:
    """`errscan`: a plain check runs here; any other command line is typer's. A reader that stops reading
    (`| head`) ends the command quietly with 1, as click does on typer's path."""
    try:
        _main(argv)
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit must not fail again
        raise SystemExit(1) from None


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else argv
    options = parse(args)
    if options is None:
        from errscan.cli import app

        app(args=args, prog_name="errscan")
        return
    from errscan.checkcmd import run_check

    paths = options.pop("paths")
    run_check(paths, **options)  # type: ignore[arg-type]
    raise SystemExit(0)
