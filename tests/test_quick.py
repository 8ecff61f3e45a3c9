"""The entry point's own parser of `check` (errscan.quick): the same run as typer's `check`, or typer's answer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from errscan import quick
from errscan.cli import app

DRAFT = "我们要再接再励，继续前进。联系电话13812345678。\n"
CLEAN = "各位代表：现在，我代表国务院，向大会报告政府工作。\n"
OFFICE = "id: office\ncategory: usage\nseverity: warning\nentries:\n  - [继续前进, 奋勇前进]\n"


def _same_elapsed(text: str) -> str:
    text = re.sub(r"用时 [\d.]+ 秒", "用时 N 秒", text)
    return re.sub(r'"elapsed": [\d.e-]+', '"elapsed": N', text)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], through_typer: bool) -> tuple[int, str, str]:
    try:
        if through_typer:
            app(args=argv, prog_name="errscan")
        else:
            quick.main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, _same_elapsed(out), _same_elapsed(err)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "draft.txt").write_text(DRAFT, encoding="utf-8")
    (tmp_path / "clean.txt").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "office.yaml").write_text(OFFICE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


PARSED = [
    ["check", "draft.txt"],
    ["check", "clean.txt"],
    ["check", "draft.txt", "clean.txt", "-f", "json"],
    ["check", "--format=jsonl", "draft.txt"],
    ["check", "draft.txt", "--fail-on", "error", "-f", "csv"],
    ["check", "--fail-on=never", "draft.txt"],
    ["check", "--min-severity", "error", "draft.txt", "--no-color"],
    ["check", "-l", "office.yaml", "draft.txt", "-f", "json"],
    ["check", "--no-builtin", "--list", "office.yaml", "--list=office.yaml", "draft.txt"],
    ["check", "--allow", "再接再励", "--allow=继续前进", "draft.txt", "-f", "json"],
    ["check", "--as-of", "2020-01-01", "--no-privacy", "draft.txt"],
    ["check", "--show-pii", "--no-cache", "-f", "json", "draft.txt"],
    ["check", "--type", "html", "draft.txt", "-f", "json"],
    ["check", "."],
    ["check"],
    ["check", "-f", "json", "-f", "sarif", "draft.txt"],  # the last value stands
    ["check", "missing.txt"],  # exit 2, the same message
    ["check", "--no-builtin", "draft.txt"],  # no list: exit 2
    ["check", "--report-unused-disables", "--force-exclude", "draft.txt"],
    ["check", "--config", "office.yaml", "draft.txt"],  # not a configuration: exit 2
]


@pytest.mark.parametrize("argv", PARSED, ids=[" ".join(a) for a in PARSED])
def test_a_plain_check_runs_as_typer_runs_it(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert quick.parse(argv) is not None, "this command line is the quick parser's"
    by_typer = _run(argv, capsys, through_typer=True)
    by_quick = _run(argv, capsys, through_typer=False)
    assert by_quick == by_typer


def test_the_parser_reads_values_as_typer_gives_them() -> None:
    got = quick.parse(["check", "a.txt", "-l", "x.yaml", "--list=y", "-f", "json", "--no-color", "b", "-o", "-",
                       "--allow", "甲", "--as-of=2025年3月10日"])
    assert got == {
        "paths": ["a.txt", "b"], "lists": [Path("x.yaml"), Path("y")], "fmt": "json", "color": False,
        "output": Path("-"), "allow": ["甲"], "as_of": "2025年3月10日",
    }
    assert quick.parse(["check", "--color", "-"]) == {"color": True, "paths": ["-"]}


TYPERS = [
    ["check", "--help"], ["check", "-h"], ["--version"], ["lists", "show"], ["check", "-fjson", "draft.txt"],
    ["check", "--", "draft.txt"], ["check", "--format", "bogus", "draft.txt"], ["check", "--fail-on", "Error"],
    ["check", "--format"], ["check", "--as-of=", "draft.txt"], ["check", "--annotate=yes"], ["check", "--colour"],
    ["check", "-o", "--no-cache", "draft.txt"], ["check", "--type", "odt", "draft.txt"], [],
]


@pytest.mark.parametrize("argv", TYPERS, ids=[" ".join(a) or "(none)" for a in TYPERS])
def test_anything_else_is_typers_to_answer(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert quick.parse(argv) is None
    assert _run(argv, capsys, through_typer=False) == _run(argv, capsys, through_typer=True)


def test_a_plain_check_does_not_load_typer_or_rich(folder: Path) -> None:
    probe = ("import sys\nfrom errscan.quick import main\ntry:\n    main(['check', 'clean.txt'])\n"
             "except SystemExit as exc:\n    code = exc.code\n"
             "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'click'}))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(quick.__file__).parent.parent)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=folder,
                         timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stderr
    help_page = subprocess.run([sys.executable, "-m", "errscan", "check", "--help"], capture_output=True, text=True,
                               env=env, cwd=folder, timeout=120)
    assert help_page.returncode == 0 and "用法：errscan check" in help_page.stdout


@pytest.mark.parametrize("fmt", [["-f", "jsonl"], ["-fjsonl"]])  # the quick path, and typer's (click's handling)
def test_a_reader_that_stops_reading_ends_the_check_quietly(folder: Path, fmt: list[str]) -> None:
    """`errscan check big.txt | head -1`: the pipe closes early; the command stops with 1 and no traceback."""
    (folder / "big.txt").write_text("我们要再接再励。\n" * 3_000, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(quick.__file__).parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "errscan", "check", *fmt, "big.txt"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=folder)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert b'"text": "\xe5\x86\x8d\xe6\x8e\xa5\xe5\x86\x8d\xe5\x8a\xb1"' in first  # 再接再励, line 1
    assert err == "", err
