"""The command line: parse arguments, call the pipeline, pick a reporter, set the exit code. Thin."""


import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from errscan import clihelp
from errscan._version import __version__
from errscan.checkcmd import EXIT_FINDINGS, EXIT_UNREADABLE, KINDS, run_check
from errscan.checkcmd import emit as _emit
from errscan.checkcmd import fail as _fail
from errscan.checkcmd import given as _given
from errscan.checkcmd import runner_of as _runner
from errscan.checkcmd import settings_errors as _settings_errors
from errscan.model import FAIL_ON, SHOWN
from errscan.reporters import FORMATS

app = clihelp.app(
    no_args_is_help=True,
    help="errscan：检查中文文稿中的严重错误、敏感词、错别字和过时表述。",
    context_settings={"help_option_names": ["-h", "--help"]},
)
lists_app = clihelp.app(help="查看和测试词表。", no_args_is_help=True)
app.add_typer(lists_app, name="lists")



Format = Enum("Format", {f: f for f in FORMATS}, type=str)  # type: ignore[misc]  # the reporters' registry


class ListFormat(str, Enum):
    pretty = "pretty"
    json = "json"


Kind = Enum("Kind", {k: k for k in KINDS}, type=str)  # type: ignore[misc]  # the readers' kinds, one list


Shown = Enum("Shown", {s: s for s in SHOWN}, type=str)  # type: ignore[misc]  # the vocabulary is model's
Level = Enum("Level", {s: s for s in FAIL_ON}, type=str)  # type: ignore[misc]


ListsOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--list", "-l", help="追加词表（YAML、TSV 或 TXT 文件，或其所在目录），可重复。"),
]
NoBuiltinOpt = Annotated[bool, typer.Option("--no-builtin", help="不使用内置词表，只用 --list 给出的。")]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="输出格式。")]
AllowOpt = Annotated[Optional[list[str]], typer.Option(help="不报告的词语（可重复）。")]
AsOfOpt = Annotated[
    Optional[str], typer.Option("--as-of", help="文稿日期（如 2025-03-10、2025年3月10日），决定旧名称是否过时。")
]
NoPrivacyOpt = Annotated[bool, typer.Option("--no-privacy", help="不检查身份证号、手机号、银行卡号等个人信息。")]
ShowPiiOpt = Annotated[
    bool, typer.Option("--show-pii", help="在报告中显示完整的个人信息（仅限授权人员）；默认打码显示。")
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="不使用词表编译缓存。")]
FailOnOpt = Annotated[
    Optional[Level], typer.Option(help="有此级别及以上的问题时退出码为 1（默认 warning；未显示的问题也算）。")
]
MinSeverityOpt = Annotated[
    Optional[Shown], typer.Option(help="只显示此级别及以上的问题（默认 info）；不影响退出码。")
]
ColorOpt = Annotated[Optional[bool], typer.Option("--color/--no-color", help="是否彩色输出（默认自动）。")]
# a site's crawl (crawl, inspect)
MaxPagesOpt = Annotated[int, typer.Option("--max-pages", min=1, help="最多请求的网址数（网页、附件和失效链接）。")]
DelayOpt = Annotated[float, typer.Option("--delay", min=0, help="对同一网站两次请求之间的间隔（秒）。")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=0.1, help="连接和读取的超时时间（秒）。")]
NoRobotsOpt = Annotated[bool, typer.Option("--no-robots", help="不遵守 robots.txt（仅限检查本单位网站）。")]
ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", help="使用此配置文件（不再查找 .errscan.yaml）；其中的相对路径相对于该文件。"),
]


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
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="显示版本号。")
    ] = False,
) -> None:
    pass


@app.command(cls=clihelp.ZhCommand)
def check(
    paths: Annotated[
        Optional[list[str]], typer.Argument(metavar="路径", help="文件、目录，或 - 表示标准输入；默认当前目录。")
    ] = None,
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    fmt: FormatOpt = Format.pretty,
    fail_on: FailOnOpt = None,
    min_severity: MinSeverityOpt = None,
    allow: AllowOpt = None,
    as_of: AsOfOpt = None,
    no_privacy: NoPrivacyOpt = False,
    show_pii: ShowPiiOpt = False,
    no_cache: NoCacheOpt = False,
    color: ColorOpt = None,
    kind: Annotated[
        Optional[Kind], typer.Option("--type", help="按此格式读取输入（默认按内容和扩展名判断）。")
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="把报告写入此文件（UTF-8，csv 带 BOM；写完才替换原文件）。"),
    ] = None,
    config_file: ConfigOpt = None,
    stdin_filename: Annotated[
        Optional[str],
        typer.Option("--stdin-filename", help="标准输入内容的文件名（决定读取格式、报告中的路径和适用的配置）。"),
    ] = None,
    report_unused: Annotated[
        bool, typer.Option("--report-unused-disables", help="把没有屏蔽任何问题的 errscan-disable 注释报告为警告。")
    ] = False,
    force_exclude: Annotated[
        bool, typer.Option("--force-exclude", help="明确给出的文件也按配置的 exclude 排除（用于提交前钩子）。")
    ] = False,
    annotate: Annotated[
        bool, typer.Option("--annotate", help="为 Word、Excel 文件另存一份审校稿（通知.审校.docx）：每处问题一条批注，"
                                              "可自动改正的同时作为修订；原文件不动。")
    ] = False,
) -> None:
    """检查文稿。退出码：0 无问题；1 有达到 --fail-on 级别的问题；2 用法、配置或词表错误；3 有文件无法读取。"""
    run_check(
        paths, lists=lists, no_builtin=no_builtin, fmt=fmt.value, fail_on=getattr(fail_on, "value", None),
        min_severity=getattr(min_severity, "value", None), allow=allow, as_of=as_of, no_privacy=no_privacy,
        show_pii=show_pii, no_cache=no_cache, color=color, kind=kind.value if kind else None, output=output,
        config_file=config_file, stdin_filename=stdin_filename, report_unused=report_unused,
        force_exclude=force_exclude, annotate=annotate,
    )


@app.command(cls=clihelp.ZhCommand)
def serve(
    host: Annotated[str, typer.Option(help="监听地址；默认只接受本机连接。")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口。")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="工作进程数；每个进程各自加载词表和分词词典（约 150 MB）。")] = 1,
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    allow: AllowOpt = None,
    max_body_mb: Annotated[float, typer.Option("--max-body-mb", help="请求体上限（MB），超过返回 413。")] = 20,
    time_limit: Annotated[float, typer.Option(help="每个请求的检查时限（秒），超时返回 503。")] = 10.0,
    reload_token: Annotated[
        Optional[str],
        typer.Option(envvar="ERRSCAN_RELOAD_TOKEN", help="POST /v1/reload 的令牌（Bearer）；不设则该接口不开放。"),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="访问日志（只记方法、路径和状态，不含文稿）。")
    ] = False,
    config_file: ConfigOpt = None,
) -> None:
    r"""启动检查服务：发布前检查接口 POST /v1/check 和网页 /。需要 pip install 'errscan\[server]'。"""
    try:
        from errscan.server import serve as run_server
    except ImportError as exc:
        raise _fail(f"errscan serve 需要服务组件：pip install 'errscan[server]'（缺少 {exc.name}）") from None
    given = _given(lists=lists, no_builtin=no_builtin, allow=allow)
    _port_free(host, port)
    with _settings_errors():  # broken settings or lists stop here (exit 2); the compiled cache speeds each worker
        runner = _runner(config_file, lists=lists, no_builtin=no_builtin, allow=allow)
        runner.scanners.get(runner.config_for(None))
    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "") else host)
    sys.stderr.write(f"errscan 检查服务已启动：网页 http://{shown}:{port}/ ，接口 POST http://{shown}:{port}/v1/check"
                     f"（文档 http://{shown}:{port}/docs）；按 Ctrl+C 停止。\n")
    run_server(
        host, port, workers, config=config_file, given={k: v for k, v in given.items() if v is not None},
        max_body=int(max_body_mb * 1024 * 1024), time_limit=time_limit, reload_token=reload_token,
        access_log=access_log, runner=runner,
    )


def _port_free(host: str, port: int) -> None:
    """A port another program holds is a usage error in Chinese (exit 2), not uvicorn's traceback."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise _fail(f"无法在 {host}:{port} 上启动：{'端口已被占用' if exc.errno in (98, 48) else exc.strerror}"
                        f"（可用 --port 换一个端口）") from None


@app.command("config", cls=clihelp.ZhCommand)
def config_cmd(
    path: Annotated[
        Optional[Path], typer.Argument(metavar="路径", help="文件或目录（默认当前目录）：显示对它生效的配置。")
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="显示合并后的配置（YAML，可复制到 .errscan.yaml）。")] = False,
    config_file: ConfigOpt = None,
) -> None:
    """查看项目配置（.errscan.yaml）：从文件所在目录逐级向上查找，最近的一个生效。"""
    from errscan.config import ConfigError, show_for

    if not show:
        raise _fail("请使用 errscan config --show [路径]")
    try:
        print(show_for(path, config_file), end="")
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        raise _fail("配置文件有误") from None


@app.command(cls=clihelp.ZhCommand)
def fix(
    paths: Annotated[
        list[str], typer.Argument(metavar="路径", help="文件、目录，或 - 表示标准输入（结果写到标准输出）。")
    ],
    diff: Annotated[
        bool, typer.Option("--diff", help="只显示将作的修改（unified diff，其中的个人信息以掩码显示），不改动文件。")
    ] = False,
    write: Annotated[
        bool, typer.Option("--write", help="直接改正文件（保留编码和换行符；Word 文件保留每段文字的格式；原子写入）。")
    ] = False,
    tracked: Annotated[
        bool, typer.Option("--tracked", help="Word 文件的改正写成修订，可在 Word、WPS 中逐条接受或拒绝"
                                             "（其他文件同 --write）。")
    ] = False,
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    allow: Annotated[Optional[list[str]], typer.Option(help="不改动的词语（可重复）。")] = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="文稿日期（如 2025-03-10、2025年3月10日、2025-03）。")
    ] = None,
    no_cache: NoCacheOpt = False,
    config_file: ConfigOpt = None,
) -> None:
    """自动改正只有唯一建议、且词表允许自动修改的问题（纯文本、Markdown、HTML、Word）。不加选项时只显示将作的修改。

    退出码：0 无需修改或已全部改正；1（显示修改时）有可改正之处；2 用法错误；3 有文件无法读取或写入。
    """
    from errscan.fix import fix_paths

    if diff + write + tracked > 1:
        raise _fail("--diff、--write、--tracked 只能选一个")
    with _settings_errors():
        runner = _runner(config_file, no_cache=no_cache, lists=lists, no_builtin=no_builtin, allow=allow, as_of=as_of)
        code = fix_paths(paths, runner, "write" if write else "tracked" if tracked else "diff")
    if code:
        raise typer.Exit(code)


class Engine(str, Enum):
    process = "process"
    dask = "dask"


@app.command(cls=clihelp.ZhCommand)
def audit(
    paths: Annotated[list[str], typer.Argument(metavar="路径", help="要审计的目录或文件（也可以是 fsspec 网址）。")],
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="并行进程数（默认：全部核心）。")] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="输出目录：findings.jsonl、summary.json、findings.csv、report.html。")
    ] = Path("errscan-audit"),
    cache: Annotated[
        Optional[Path], typer.Option("--cache", help="增量缓存文件（默认：输出目录下 audit-cache.sqlite）。")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="不复用上次结果，全部重新检查（缓存仍会更新）。")
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="按内容（哈希）判断文件是否改过，而不只看大小和修改时间；需读取每个文件。")
    ] = False,
    engine: Annotated[Engine, typer.Option("--engine", help="process：本机进程池；dask：Dask 集群。")] = Engine.process,
    scheduler: Annotated[
        Optional[str], typer.Option("--scheduler", help="Dask 调度器地址，如 tcp://HOST:8786；不给则在本机启动。")
    ] = None,
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    no_privacy: NoPrivacyOpt = False,
    as_of: AsOfOpt = None,
    fail_on: FailOnOpt = None,
    min_severity: MinSeverityOpt = None,
    allow: AllowOpt = None,
    show_pii: ShowPiiOpt = False,
    config_file: ConfigOpt = None,
) -> None:
    """审计整个归档：并行、可中断续查、增量（只查改过的文件），输出 HTML 报告。

    退出码：0 无问题；1 有问题；2 用法错误；3 有文件无法读取；130 已中断。
    """
    from errscan.audit import AuditOptions, run_audit

    given = _given(
        lists=lists, no_builtin=no_builtin, allow=allow, fail_on=fail_on, min_severity=min_severity, as_of=as_of,
        no_privacy=no_privacy,
    )
    code = run_audit(paths, AuditOptions(
        out=out, jobs=jobs, cache=cache, reuse=not no_cache, verify=verify, engine=engine.value, scheduler=scheduler,
        config=str(config_file) if config_file else None, show_pii=show_pii,
        **{k: tuple(map(str, v)) if isinstance(v, list) else v for k, v in given.items()},  # type: ignore[arg-type]
    ))
    if code:
        raise typer.Exit(code)


@app.command(cls=clihelp.ZhCommand)
def crawl(
    url: Annotated[str, typer.Argument(metavar="网址", help="起始网址（http:// 或 https://）。")],
    depth: Annotated[int, typer.Option("--depth", min=0, help="跟随链接的层数（0 表示只检查起始页）。")] = 2,
    max_pages: MaxPagesOpt = 200,
    delay: DelayOpt = 0.5,
    timeout: TimeoutOpt = 15,
    no_robots: NoRobotsOpt = False,
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    fmt: FormatOpt = Format.pretty,
    fail_on: FailOnOpt = None,
    min_severity: MinSeverityOpt = None,
    allow: AllowOpt = None,
    as_of: AsOfOpt = None,
    no_privacy: NoPrivacyOpt = False,
    show_pii: ShowPiiOpt = False,
    no_cache: NoCacheOpt = False,
    color: ColorOpt = None,
    config_file: ConfigOpt = None,
) -> None:
    """抓取并检查一个网站：同站网页和附件（Word、PDF、Excel），失效链接记为错误。退出码同 check。"""
    from errscan.crawl import run_crawl
    from errscan.fetch import is_url
    from errscan.model import Report

    started = time.perf_counter()
    if not is_url(url):
        raise _fail(f"不是网址（应以 http:// 或 https:// 开头）：{url}")
    with _settings_errors():
        runner = _runner(
            config_file, no_cache=no_cache, show_pii=show_pii, lists=lists, no_builtin=no_builtin, allow=allow,
            fail_on=fail_on, min_severity=min_severity, as_of=as_of, no_privacy=no_privacy,
        )
        outcome = run_crawl(
            url, runner, depth=depth, max_pages=max_pages, delay=delay, timeout=timeout,
            respect_robots=not no_robots,
        )
    report = Report(
        findings=tuple(outcome.findings), errors=tuple(outcome.errors), files=outcome.files,
        elapsed=time.perf_counter() - started, fail_on=runner.config_for(None).fail_threshold,
        documents=tuple(outcome.documents), hidden=outcome.hidden, verdict=outcome.failed,
    )
    result = outcome.result
    if result.skipped_robots:
        n = len(result.skipped_robots)
        sys.stderr.write(f"errscan: robots.txt 不允许抓取 {n} 个网址，未检查（--no-robots 可忽略）\n")
    if result.unvisited:
        sys.stderr.write(f"errscan: 已达 --max-pages {max_pages} 的上限，还有 {result.unvisited} 个链接未检查\n")
    _emit(report, fmt.value, color, None, report.failed)


@app.command("inspect", cls=clihelp.ZhCommand)
def inspect_site(
    url: Annotated[str, typer.Argument(metavar="网址", help="网站首页（http:// 或 https://）。")],
    depth: Annotated[int, typer.Option("--depth", min=0, help="跟随链接的层数。")] = 3,
    max_pages: MaxPagesOpt = 500,
    delay: DelayOpt = 0.5,
    timeout: TimeoutOpt = 15,
    no_robots: NoRobotsOpt = False,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", "-o", help="输出目录：inspection.json、report.html，以及作为证据的网页存档 evidence/。"),
    ] = None,
    since: Annotated[
        Optional[Path],
        typer.Option("--since", help="上次检查的输出目录（或其 inspection.json）：列出新出现和已解决的问题。"),
    ] = None,
    rejudge: Annotated[
        Optional[Path],
        typer.Option("--rejudge",
                     help="不重新抓取：按 --as-of 的日期重新判断已保存的检查结果（输出目录或其 inspection.json）。"),
    ] = None,
    probe: Annotated[
        Optional[int],
        typer.Option("--probe", min=1, max=10000,
                     help="只做可访问性探测：请求首页这么多次，统计超时未打开的比例（不抓取）。"),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0, max=86400, help="两次探测之间的间隔（秒）；每天 20 次约为 4320。")
    ] = 60.0,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="pretty 或 json。")] = ListFormat.pretty,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="按此日期判断是否更新（默认今天），如 2026-06-30。")
    ] = None,
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    color: ColorOpt = None,
    config_file: ConfigOpt = None,
) -> None:
    """按全国政府网站检查的指标检查一个网站：首页和栏目是否更新、空白栏目、无日期信息、不可用链接、隐藏外链、
    严重表述错误和个人信息，逐项给出要求、测得值、结论和证据。退出码：0 合格；1 不合格；2 用法错误；3 首页无法访问。"""
    import datetime as dt
    import json

    from errscan.docdate import parse_date
    from errscan.fetch import is_url
    from errscan.inspection import compare, render_html, render_pretty, run_inspection

    if not is_url(url):
        raise _fail(f"不是网址（应以 http:// 或 https:// 开头）：{url}")
    try:
        day = parse_date(as_of)[1] if as_of else dt.date.today()
    except ValueError:
        raise _fail(f"--as-of 不是日期：{as_of}（可写 2026-06-30、2026年6月30日）") from None
    if probe is not None:
        _probe_site(url, probe, interval, timeout, day, out, fmt, color)
        return
    def saved(where: Path) -> dict:  # type: ignore[type-arg]
        path = where / "inspection.json" if where.is_dir() else where
        try:
            return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except (OSError, ValueError) as exc:
            raise _fail(f"无法读取检查结果 {path}：{getattr(exc, 'strerror', None) or exc}") from None

    before = saved(since) if since is not None else None
    if rejudge is not None:
        from errscan.inspection import rejudge as judged_again

        old = saved(rejudge)
        if old.get("start") != url and old.get("start") != url.rstrip("/") + "/":
            raise _fail(f"{rejudge} 是 {old.get('start')} 的检查结果，不是 {url} 的")
        doc = judged_again(old, day)
    else:
        with _settings_errors():
            runner = _runner(config_file, lists=lists, no_builtin=no_builtin)
            inspection, _ = run_inspection(url, runner, day, depth=depth, max_pages=max_pages, delay=delay,
                                           timeout=timeout, respect_robots=not no_robots, out=out)
        doc = inspection.to_dict()
    if before is not None:
        doc["since"] = compare(doc, before)
    if out is not None:
        from errscan.fix import write_atomic

        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "inspection.json", json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"), None)
        write_atomic(out / "report.html", render_html(doc).encode("utf-8"), None)
        sys.stderr.write(f"检查结果已写入 {out}（inspection.json、report.html）\n")
    if fmt == ListFormat.json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        render_pretty(doc, sys.stdout, color)
    if any(i["id"] == "site_unreachable" and i["pass"] is False for i in doc["indicators"]):  # type: ignore[union-attr]
        raise typer.Exit(EXIT_UNREADABLE)
    if doc["verdict"] == "fail":
        raise typer.Exit(EXIT_FINDINGS)


def _probe_site(url: str, count: int, interval: float, limit: float, day, out: Path | None,  # type: ignore[no-untyped-def]
                fmt: ListFormat, color: bool | None) -> None:
    """inspect --probe: the home page requested `count` times, each to open within --timeout seconds (15 by
    default, the inspection's limit); exit 1 when 5% or more did not."""
    import json

    from errscan.inspection import render_pretty, run_probes

    def said(n: int, total: int, p) -> None:  # type: ignore[no-untyped-def]
        if sys.stderr.isatty():
            sys.stderr.write(f"\r探测 {n}/{total}：{'正常' if p.ok else p.error}（{p.seconds:.2f} 秒）   ")

    doc = run_probes(url, count, interval, limit, day, said)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    doc.update({"columns": [], "pages": 0, "attachments": 0})
    if out is not None:
        from errscan.fix import write_atomic

        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "probes.json", json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"), None)
        sys.stderr.write(f"探测结果已写入 {out / 'probes.json'}\n")
    if fmt == ListFormat.json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        render_pretty(doc, sys.stdout, color)
    if doc["verdict"] == "fail":
        raise typer.Exit(EXIT_FINDINGS)


@app.command(cls=clihelp.ZhCommand)
def explain(
    term: Annotated[str, typer.Argument(metavar="词语", help="要解释的词语。")],
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="文稿日期（如 2025-03-10、2025年3月10日）：按当时的职务核对姓名。")
    ] = None,
) -> None:
    """说明一个词语为什么会（或不会）被报告：来自哪个词表、哪个规范名称和规则，或职务登记。"""
    from errscan.detectors.privacy import mask_text
    from errscan.docdate import parse_date
    from errscan.explain import explain as explain_term

    if as_of is not None:
        try:
            parse_date(as_of)
        except ValueError:
            raise _fail(f"--as-of 不是日期：{as_of}（应为 2025-03-10、2025年3月10日 这样的日期）") from None
    print(mask_text(explain_term(_lexicon(lists, no_builtin), term, as_of)))  # the term is echoed: masked


@lists_app.command("show", cls=clihelp.ZhCommand)
def lists_show(
    lists: ListsOpt = None,
    no_builtin: NoBuiltinOpt = False,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="pretty 或 json。")] = ListFormat.pretty,
) -> None:
    """列出已加载的词表：编号、类别、级别、条目数和来源。"""
    from errscan.reporters import lists as lists_reporter

    lex = _lexicon(lists, no_builtin)
    if fmt == ListFormat.pretty:
        lists_reporter.render_pretty(lex, sys.stdout)
    else:
        lists_reporter.render_json(lex, sys.stdout)


@lists_app.command("test", cls=clihelp.ZhCommand)
def lists_test(lists: ListsOpt = None, no_builtin: NoBuiltinOpt = False, config_file: ConfigOpt = None) -> None:
    """用每个条目的正例和反例检验词表：反例必须报出该条目，正例不得报出。"""
    from errscan.run import test_examples

    with _settings_errors():
        failures, checked = test_examples(_runner(config_file, lists=lists, no_builtin=no_builtin))
    for failure in failures:
        print(failure)
    verdict = "✗" if failures else "✓"
    print(f"{verdict} 检验了 {checked} 个例句：{checked - len(failures)} 个通过，{len(failures)} 个未通过。")
    if failures:
        raise typer.Exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    app()
