"""The command line's own words: help pages and usage errors in Chinese, wrapped by display width.

Typer's help (plain or rich) measures a Chinese character as one column and cannot break a line between two
of them, so at 80 columns it cuts descriptions off; its words (Usage, Options, Show this message and exit, No
such option) are English. `ZhGroup` and `ZhCommand` write the help page themselves from the parameters'
help records, and `ZhGroup.main` turns a usage error into Chinese from the exception's kind and fields.
A message this table does not know is shown as the library gives it, after 错误：, never dropped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from errscan.textwidth import width_of, wrap

METAVAR_ZH = {"<str>": "<文字>", "<path>": "<路径>", "<int range>": "<整数>", "<float range>": "<数字>",
              "<int>": "<整数>", "<float>": "<数字>", "[OPTIONS]": "[选项]",
              "COMMAND": "命令", "[ARGS]...": "[参数]..."}
HELP_ZH = {
    "help": "显示此帮助并退出。",
    "install_completion": "为当前的 shell 安装命令补全（Tab 补全命令和选项）。",
    "show_completion": "显示当前 shell 的补全脚本，可复制或自行安装。",
}


def _zh(text: str) -> str:
    for en, zh in METAVAR_ZH.items():
        text = text.replace(en, zh)
    return text


def _extras(text: str) -> str:
    text = re.sub(r"\s*\[default: ([^;\]]*); ([^\]]+)\]", lambda m: f"（默认：{m[1]}；{_range_zh(m[2])}）", text)
    text = re.sub(r"\s*\[default: (.*?)\]", r"（默认：\1）", text)
    text = re.sub(r"\s*\[env var: (.*?)\]", r"（环境变量：\1）", text)
    text = re.sub(r"\s*\[required\]", "（必填）", text)
    return re.sub(r"\s*\[(?:x>=|\d).*?\]$", "", text)  # typer's range note: the help says it in words


def _reflow(text: str) -> str:
    """A docstring's lines joined within each paragraph (blank lines part them): nothing between two Chinese
    characters, a space between two Latin words."""
    paras = []
    for para in re.split(r"\n\s*\n", text.strip()):
        out = ""
        for line in (ln.strip() for ln in para.splitlines()):
            if out and line and not (width_of(out[-1]) == 2 or width_of(line[0]) == 2):
                out += " "
            out += line
        paras.append(out)
    return "\n\n".join(paras)


class _Page:
    def __init__(self, width: int):
        self.width = width
        self.out: list[str] = []

    def para(self, text: str, indent: int = 2) -> None:
        self.out.extend(" " * indent + line if line else "" for line in wrap(_reflow(text), self.width - indent))

    def section(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        if not rows:
            return
        self.out += ["", f"{title}："]
        first = min(max(width_of(term) for term, _ in rows), 26)
        for term, text in rows:
            left = 2 + first + 2
            body = wrap(text, self.width - left) if text else [""]
            if width_of(term) > first:
                self.out.append("  " + term)
                self.out.extend(" " * left + line for line in body)
            else:
                pad = " " * (first - width_of(term) + 2)
                self.out.append(("  " + term + pad + body[0]).rstrip())
                self.out.extend(" " * left + line for line in body[1:])

    def text(self) -> str:
        return "\n".join(self.out) + "\n"


def _width() -> int:
    """The page's width: the terminal's (COLUMNS), between 40 and 100."""
    import shutil

    return min(max(shutil.get_terminal_size((80, 24)).columns, 40), 100)


def _usage(ctx: Any) -> str:
    """用法：errscan check [选项] [路径]... — options as one piece, then each argument (<…> when required,
    [...] when not, ... when it takes several), then 命令 for a group."""
    pieces = ["[选项]"]
    for param in ctx.command.get_params(ctx):
        if param.param_type_name != "argument":
            continue
        name = param.metavar or (param.name or "").upper()
        piece = f"<{name}>" if param.required else f"[{name}]"
        pieces.append(piece + ("..." if param.nargs == -1 else ""))
    if isinstance(ctx.command, TyperGroup):
        pieces += ["命令", "[参数]..."]
    return f"用法：{ctx.command_path} {' '.join(pieces)}"


def _param_rows(ctx: Any, params: Iterable[Any], kind: str) -> list[tuple[str, str]]:
    rows = []
    for param in params:
        if param.param_type_name != kind:
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        term, text = record
        text = HELP_ZH.get(param.name or "", text)
        rows.append((_zh(term), _extras(text)))
    return rows


def help_page(ctx: Any) -> str:
    command = ctx.command
    page = _Page(_width())
    page.out.append(_usage(ctx))
    if command.help:
        page.out.append("")
        page.para(command.help.split("\f")[0].strip())
    params = command.get_params(ctx)
    page.section("参数", _param_rows(ctx, params, "argument"))
    page.section("选项", _param_rows(ctx, params, "option"))
    if isinstance(command, TyperGroup):
        rows = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            text = (sub.short_help or sub.help or "").split("\f")[0].strip()
            rows.append((name, text.split("\n\n")[0].replace("\\[", "[")))
        page.section("命令", rows)
    if command.epilog:
        page.out.append("")
        page.para(command.epilog)
    return page.text()


class ZhCommand(TyperCommand):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(help_page(ctx))

    def get_usage(self, ctx: Any) -> str:
        return _usage(ctx)


TYPE_ZH = {"integer": "整数", "int": "整数", "float": "数字", "boolean": "是或否（true/false）", "UUID": "UUID"}

# (pattern of the library's message, the Chinese); named groups carry over
MESSAGES: tuple[tuple[str, str], ...] = (
    (r"No such option: (?P<name>.+)", "没有这个选项：{name}"),
    (r"No such command '(?P<name>.+)'\.", "没有这个命令：{name}"),
    (r"Missing command\.", "缺少命令"),
    (r"No such command '(?P<name>.+)'\. Did you mean '(?P<like>.+)'\?", "没有这个命令：{name}（是不是要用 {like}？）"),
    (r"Got unexpected extra arguments? ?\(s?\)? ?\((?P<args>.*)\)", "多余的参数：{args}"),
    (r"Option '(?P<name>.+)' requires (?:an argument|\d+ arguments)\.", "选项 {name} 后面需要给一个值"),
    (r"Option '(?P<name>.+)' does not take a value\.", "选项 {name} 不带值"),
    (r"(?P<value>.+) is not one of (?P<choices>.+)\.", "{value} 不是可选的值；可选：{choices}"),
    (r"(?P<value>.+) is not (?P<choice>'[^']*')\.", "{value} 不是可选的值；可选：{choice}"),
    (r"(?P<value>.+) is not a valid (?P<type>\w+)\.?", "{value} 不是有效的{type}"),
    (r"(?P<value>.+) is not in the range (?P<range>.+)\.", "{value} 超出允许的范围（{range}）"),
    (r"(?P<value>.+) is not a valid boolean\. Recognized values: (?P<states>.+)",
     "{value} 不是有效的是或否；可用：{states}"),
    (r"(?P<file>'.*'): (?P<reason>.+)", "{file}：{reason}"),
)


def _range_zh(text: str) -> str:
    """click's x>=0, x<=9, 0<=x<=9 (< for open ends) in words."""
    m = re.fullmatch(r"(?:(\S+?)(<=?))?x(?:(<=?)(\S+))?|x(>=?)(\S+)", text.strip())
    if not m:
        return text
    low, lop, hop, high, gop, floor = m.groups()
    if gop:
        return f"应{'不小于' if gop == '>=' else '大于'} {floor}"
    if low and high:
        return f"应在 {low} 到 {high} 之间"
    if high:
        return f"应{'不大于' if hop == '<=' else '小于'} {high}"
    return f"应{'不小于' if lop == '<=' else '大于'} {low}" if low else text


def message_zh(text: str) -> str:
    for pattern, zh in MESSAGES:
        m = re.fullmatch(pattern, text.strip(), re.S)
        if m:
            fields = m.groupdict()
            for key in ("value", "file"):
                if fields.get(key):
                    fields[key] = "“" + fields[key].strip("'") + "”"
            for key in ("choices", "choice", "states"):
                if fields.get(key):
                    fields[key] = "、".join(v.strip().strip("'") for v in fields[key].split(","))
            if fields.get("range"):
                fields["range"] = _range_zh(fields["range"])
            if "type" in fields:
                fields["type"] = TYPE_ZH.get(fields["type"], fields["type"])
            return zh.format(**fields)
    return text


def _hint(e: Any) -> str:
    from typer._click.exceptions import _join_param_hints  # the library's own joining of '--a' / '-a'

    if getattr(e, "param_hint", None) is not None:
        return _join_param_hints(e.param_hint).replace("'", "")
    if getattr(e, "param", None) is not None:
        return _join_param_hints(e.param.get_error_hint(e.ctx)).replace("'", "")
    return ""


def error_zh(e: Any) -> str:
    """The one line after 错误：, in Chinese."""
    from typer._click import exceptions as ex

    if isinstance(e, ex.MissingParameter):
        what = {"argument": "参数", "option": "选项"}.get(e.param_type or getattr(e.param, "param_type_name", ""), "值")
        hint = _hint(e)
        extra = ""
        if e.param is not None:
            choices = getattr(e.param.type, "choices", None)
            if choices:
                extra = "；可选：" + "、".join(str(getattr(c, "value", c)) for c in choices)
        return f"缺少{what} {hint}{extra}".replace("  ", " ").strip()
    if isinstance(e, ex.NoSuchOption):
        text = message_zh(e.message)
        if e.possibilities:
            text += f"（是不是要用 {'、'.join(sorted(e.possibilities))}？）"
        return text
    if isinstance(e, ex.BadParameter):
        hint = _hint(e)
        inner = message_zh(e.message)
        return f"{hint} 的值无效：{inner}" if hint else f"值无效：{inner}"
    if isinstance(e, ex.FileError):
        return f"无法打开文件“{e.ui_filename}”：{e.message}"
    return message_zh(e.format_message())


def show_error(e: Any) -> None:
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    err = sys.stderr
    if isinstance(e, NoArgsIsHelpError):
        err.write(e.format_message())
        return
    if isinstance(e, UsageError) and e.ctx is not None:
        err.write(_usage(e.ctx) + "\n")
        if e.ctx.command.get_help_option(e.ctx) is not None:
            err.write(f"可用 {e.ctx.command_path} {e.ctx.help_option_names[0]} 查看帮助。\n")
        err.write("\n")
    err.write(f"错误：{error_zh(e)}\n")


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def install_completion(ctx: Any, param: Any, value: Any) -> Any:
    """--install-completion, saying in Chinese what it did (typer's own installer writes the files)."""
    if not value or ctx.resilient_parsing:
        return value
    from typer._completion_shared import _get_shell_name, install

    shell = value if isinstance(value, str) else _get_shell_name()
    if shell not in SHELLS:
        sys.stderr.write(f"无法识别当前的 shell（{shell or '未知'}）：支持 bash、zsh、fish 和 PowerShell。"
                         "可用 errscan --show-completion 显示补全脚本，自行安装。\n")
        sys.exit(1)
    shell, path = install(shell=shell)
    sys.stdout.write(f"已为 {shell} 安装命令补全：{path}\n重新打开终端后生效。\n")
    sys.exit(0)


class ZhGroup(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        for param in params:  # typer appends its completion options after building the group
            if param.name == "install_completion":
                param.callback = install_completion
        return params

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(help_page(ctx))

    def get_usage(self, ctx: Any) -> str:
        return _usage(ctx)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from typer import Abort
        from typer._click.exceptions import ClickException

        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickException as e:
            show_error(e)
            sys.exit(e.exit_code)
        except Abort:
            sys.stderr.write("已中止。\n")
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def app(**kw: Any) -> typer.Typer:
    """A Typer whose pages and errors are these."""
    return typer.Typer(cls=ZhGroup, rich_markup_mode=None, **kw)
