"""The command line in Chinese: help pages readable at 80 columns, usage errors in Chinese, shell completion."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from errscan import clihelp, textwidth
from errscan.cli import app


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "errscan", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, timeout=120)


def commands() -> list[tuple[str, ...]]:
    import typer.main

    group = typer.main.get_command(app)
    out: list[tuple[str, ...]] = [()]
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        out.append((name,))
        out += [(name, sub) for sub in getattr(cmd, "commands", {})]
    return out


def help_texts(path: tuple[str, ...]) -> list[str]:
    """Every option's and argument's own help text, as written in cli.py (typer's own options: in Chinese)."""
    import typer.main

    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return [clihelp.HELP_ZH.get(p.name, p.help) for p in cmd.params if getattr(p, "help", None) and not p.hidden]


@pytest.mark.parametrize("path", commands(), ids=lambda p: " ".join(p) or "errscan")
def test_every_help_page_fits_80_columns_and_says_everything(path: tuple[str, ...]) -> None:
    out = run(*path, "--help")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("用法：errscan")
    assert max(textwidth.width_of(line) for line in lines) <= 80
    english = {"Usage", "Options", "Arguments", "Commands", "Show this message", "[default", "[required]", "range>",
               "x>=", "<str>", "<int>", "<float>"}
    assert not [w for w in english if w in out.stdout]
    flat = re.sub(r"\s+", "", out.stdout)
    for text in help_texts(path):  # nothing cut off: each description whole, wherever the lines break
        assert re.sub(r"\s+", "", text) in flat, text
    for line in lines:  # no line starts with a closing mark
        assert not line.strip() or line.strip()[0] not in "，。、；：）”"


def test_check_help_at_80_columns_exactly() -> None:
    lines = run("check", "--help").stdout.splitlines()
    assert lines[0] == "用法：errscan check [选项] [路径]..."
    assert "参数：" in lines and "选项：" in lines
    i = next(n for n, line in enumerate(lines) if line.lstrip().startswith("--fail-on"))
    assert lines[i] == "  --fail-on <error|warning|info|never>"
    assert lines[i + 1].startswith(" " * 30 + "有此级别及以上的问题时退出码为 1")
    assert "  -h, --help                  显示此帮助并退出。" in lines
    assert any(line.endswith("输出格式。（默认：pretty）") for line in lines)
    crawl = re.sub(r"\s+", "", run("crawl", "--help").stdout)
    assert "--timeout<数字>连接和读取的超时时间（秒）。（默认：15；应不小于0.1）" in crawl


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "--fromat", "json", "x"), "错误：没有这个选项：--fromat（是不是要用 --format？）"),
        (("check", "--min-severity", "x", "a.txt"),
         "错误：--min-severity 的值无效：“x” 不是可选的值；可选：error、warning、info"),
        (("serve", "--port", "abc"), "错误：--port 的值无效：“abc” 不是有效的整数"),
        (("crawl", "http://127.0.0.1:9/", "--depth", "-1"),
         "错误：--depth 的值无效：“-1” 超出允许的范围（应不小于 0）"),
        (("explain",), "错误：缺少参数 词语"),
        (("chek",), "错误：没有这个命令：chek（是不是要用 check？）"),
        (("check", "-o"), "错误：选项 -o 后面需要给一个值"),
        (("config", "a", "b"), "错误：多余的参数：b"),
    ],
)
def test_usage_errors_in_chinese(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert lines[-1] == message
    if len(lines) > 1:  # the usage line and where help is
        assert lines[0].startswith("用法：errscan")
        assert lines[1].startswith("可用 errscan") and lines[1].endswith("查看帮助。")


def test_no_arguments_shows_the_command_list() -> None:
    out = run()
    assert out.returncode == 2
    assert out.stderr.startswith("用法：errscan [选项] 命令 [参数]...")
    assert "命令：" in out.stderr and "  check    检查文稿。" in out.stderr


def test_wrap_breaks_between_chinese_characters_and_never_before_a_closing_mark() -> None:
    text = "有此级别及以上的问题时退出码为 1（默认 warning；未显示的问题也算）。"
    assert textwidth.wrap(text, 20) == [
        "有此级别及以上的问题", "时退出码为 1（默认", "warning；未显示的问", "题也算）。"]
    assert textwidth.wrap("一二三四五六七八九，十", 18) == ["一二三四五六七八", "九，十"]  # 九， stay together
    assert textwidth.wrap("https://example.gov.cn/a/very/long/path", 12) == [
        "https://exam", "ple.gov.cn/a", "/very/long/p", "ath"]
    assert all(textwidth.width_of(line) <= 20 for line in textwidth.wrap(text * 3, 20))


def test_shell_completion(tmp_path: Path) -> None:
    shown = run("--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert shown.returncode == 0 and "_ERRSCAN_COMPLETE=complete_bash" in shown.stdout
    env = {"_ERRSCAN_COMPLETE": "complete_bash", "COMP_WORDS": "errscan check --format ", "COMP_CWORD": "3"}
    done = run(env=env)
    assert done.stdout.split() == ["pretty", "json", "jsonl", "sarif", "csv", "github"]
    env = {"_ERRSCAN_COMPLETE": "complete_bash", "COMP_WORDS": "errscan ch", "COMP_CWORD": "1"}
    assert run(env=env).stdout.split() == ["check"]
    installed = run("--install-completion", "bash",
                    env={"HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    script = tmp_path / ".bash_completions" / "errscan.sh"
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == f"已为 bash 安装命令补全：{script}\n重新打开终端后生效。\n"
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()
    assert "_ERRSCAN_COMPLETE" in script.read_text()
