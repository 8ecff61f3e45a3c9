"""Project configuration (.errscan.yaml): discovery, validation, merging, filters, `config --show`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from helpers import spans

from errscan.config import (
    Config,
    ConfigError,
    ConfigResolver,
    discover,
    load_config,
    merge,
    show,
    show_for,
)
from errscan.model import Document, Severity
from errscan.run import Runner, Scanners

TEXT = "我们要再接再励，做好布署。中华人民共和国\n村里百废具兴。\n中华人民共合国\n成文日期：2020年1月1日\n"  # dated
ALL = [
    ("typo/再接再励", 1, 4),
    ("typo/布署", 1, 11),
    ("variant/百废具兴", 2, 3),
    ("serious/中华人民共合国", 3, 1),
]


@pytest.fixture(scope="module")
def scanners() -> Scanners:
    return Runner().scanners


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(config: Config, scanners: Scanners, text: str = TEXT):
    """What the run layer shows for the text under `config` (its min_severity applied)."""
    runner = Runner()
    runner.scanners = scanners
    return runner.check(Document(text), "稿件.txt", config=config).shown


def cfg(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path / ".errscan.yaml", text))


def errors(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    path = write(tmp_path / ".errscan.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert all(f == str(path) for f, _, _ in info.value.errors)
    assert str(path) in str(info.value)
    return [(line, msg) for _, line, msg in info.value.errors]


# --- discovery ---------------------------------------------------------------------------------------------
def test_discover_closest_config_wins(tmp_path: Path):
    outer = write(tmp_path / "a" / ".errscan.yaml", "allow: [布署]\n")
    inner = write(tmp_path / "a" / "b" / "c" / ".errscan.yaml", "disable: [typo]\n")
    (tmp_path / "a" / "b" / "c" / "d").mkdir()
    doc = write(tmp_path / "a" / "b" / "稿件.txt", TEXT)
    cache: dict[str, Path | None] = {}
    assert discover(tmp_path / "a" / "b" / "c" / "d", cache) == inner
    assert discover(tmp_path / "a" / "b", cache) == outer
    assert discover(doc, cache) == outer  # a file: from its directory
    assert discover(tmp_path / "a", cache) == outer
    # every directory walked through is remembered
    assert cache[str(tmp_path / "a" / "b" / "c" / "d")] == inner
    assert cache[str(tmp_path / "a" / "b")] == outer


def test_discover_none_without_config(tmp_path: Path):
    assert discover(tmp_path, {}) is None


def test_resolver_per_input_and_explicit_override(tmp_path: Path, scanners: Scanners):
    write(tmp_path / "proj" / ".errscan.yaml", "disable: [typo]\n")
    write(tmp_path / "proj" / "sub" / ".errscan.yaml", "disable: [serious]\n")
    other = write(tmp_path / "other.yaml", "disable: [variant]\n")
    top, sub = tmp_path / "proj" / "a.txt", tmp_path / "proj" / "sub" / "b.txt"

    resolver = ConfigResolver()
    assert resolver.for_path(top).disable == ("typo",)
    assert resolver.for_path(sub).disable == ("serious",)
    assert resolver.for_path(sub) is resolver.for_path(tmp_path / "proj" / "sub" / "c.txt")  # loaded once
    assert spans(run(resolver.for_path(sub), scanners)) == ALL[:3]

    explicit = ConfigResolver(other)  # --config: one file for every input, no discovery
    assert explicit.for_path(top).path == explicit.for_path(sub).path == other
    assert spans(run(explicit.for_path(sub), scanners)) == [ALL[0], ALL[1], ALL[3]]


def test_bad_explicit_config_fails_at_once(tmp_path: Path):
    with pytest.raises(ConfigError):
        ConfigResolver(write(tmp_path / "bad.yaml", "nope: 1\n"))


# --- keys --------------------------------------------------------------------------------------------------
def test_lists_relative_to_config(tmp_path: Path, scanners: Scanners, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path / "proj" / "词表" / "本单位.tsv", "试点词\t示范词\n")
    config = cfg(tmp_path / "proj", "lists: [词表/本单位.tsv]\nbuiltin: false\n")
    monkeypatch.chdir(tmp_path)  # not the config's directory
    assert config.lists == (tmp_path / "proj" / "词表" / "本单位.tsv",)
    assert spans(run(config, scanners, "开展试点词工作，再接再励")) == [("本单位/试点词", 1, 3)]


def test_exclude_globs(tmp_path: Path):
    config = cfg(tmp_path, "exclude: ['archive/**', '*.min.html', /top.txt, drafts/, 'x?.txt']\n")
    yes = ["archive/a.txt", "archive/2019/b.html", "site/app.min.html", "app.min.html", "top.txt",
           "drafts/a.txt", "deep/drafts/a.txt", "x1.txt", "sub/x2.txt"]
    no = ["a.txt", "sub/top.txt", "site/app.html", "archives/a.txt", "x12.txt", "my-archive/a.txt"]
    for rel in yes:
        assert config.excluded(tmp_path / rel), rel
    for rel in no:
        assert not config.excluded(tmp_path / rel), rel
    assert not config.excluded(tmp_path.parent / "archive" / "a.txt")  # outside the project


def test_exclude_relative_input_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = cfg(tmp_path, "exclude: ['archive/**']\n")
    monkeypatch.chdir(tmp_path)
    assert config.excluded("archive/a.txt")
    assert config.excluded(Path("archive") / "b" / "c.txt")
    assert not config.excluded("a.txt")


def test_allow_terms_and_regex(tmp_path: Path, scanners: Scanners):
    config = cfg(tmp_path, "allow: [布署]\nallow_regex: ['再接再.', '中华.*']\n")
    assert spans(run(config, scanners)) == [ALL[2]]
    partial = cfg(tmp_path, "allow_regex: ['再接']\n")  # the whole finding must match
    assert spans(run(partial, scanners)) == ALL


def test_allow_term_inside_longer_word(tmp_path: Path, scanners: Scanners):
    config = cfg(tmp_path, "allow: [做好布署]\n")  # the Scanner's allowlist: a candidate inside it is dropped
    assert spans(run(config, scanners)) == [ALL[0], ALL[2], ALL[3]]


def test_disable_by_list_and_by_rule(tmp_path: Path, scanners: Scanners):
    assert spans(run(cfg(tmp_path, "disable: [typo]\n"), scanners)) == ALL[2:]
    assert spans(run(cfg(tmp_path, "disable: [typo/布署, serious/中华人民共合国]\n"), scanners)) == [ALL[0], ALL[2]]


def test_severity_override_and_fail_on(tmp_path: Path, scanners: Scanners):
    config = cfg(tmp_path, "severity: {typo: info, typo/布署: error, variant: warning}\nfail_on: error\n")
    found = run(config, scanners)
    assert [(f.rule, f.severity) for f in found] == [
        ("typo/再接再励", Severity.INFO), ("typo/布署", Severity.ERROR), ("variant/百废具兴", Severity.WARNING),
        ("serious/中华人民共合国", Severity.ERROR),
    ]
    assert config.fail_threshold == Severity.ERROR
    lowered = cfg(tmp_path, "severity: {typo: info, serious: warning}\nfail_on: error\n")
    assert not any(f.severity >= lowered.fail_threshold for f in run(lowered, scanners))
    assert cfg(tmp_path, "fail_on: never\n").fail_threshold > Severity.ERROR


def test_min_severity_after_overrides(tmp_path: Path, scanners: Scanners):
    assert spans(run(cfg(tmp_path, "min_severity: warning\n"), scanners)) == [ALL[0], ALL[1], ALL[3]]
    raised = cfg(tmp_path, "min_severity: warning\nseverity: {variant: error}\n")
    assert spans(run(raised, scanners)) == ALL


def test_privacy_off(tmp_path: Path, scanners: Scanners):
    text = "联系电话13812345678。"
    assert spans(run(cfg(tmp_path, "privacy: true\n"), scanners, text)) == [("privacy/mobile", 1, 5)]
    assert run(cfg(tmp_path, "privacy: false\n"), scanners, text) == []


def test_as_of(tmp_path: Path, scanners: Scanners):
    text = "本通知由国家工商总局负责解释。"
    undated = run(cfg(tmp_path, "severity: {outdated: error}\n"), scanners, text)
    assert [(f.rule, f.severity) for f in undated] == [("outdated/国家工商总局", Severity.INFO)]  # unsure: a hint
    assert run(cfg(tmp_path, "as_of: 2017-06-01\n"), scanners, text) == []
    late = run(cfg(tmp_path, "as_of: 2020\nseverity: {outdated: error}\n"), scanners, text)
    assert [(f.rule, f.severity) for f in late] == [("outdated/国家工商总局", Severity.ERROR)]
    assert cfg(tmp_path, "as_of: 2017-06\n").as_of.text == "2017-06"


def test_empty_config_is_defaults(tmp_path: Path):
    config = cfg(tmp_path, "# nothing yet\n")
    assert replace(config, path=None) == Config()
    assert config.path == tmp_path / ".errscan.yaml"


# --- validation --------------------------------------------------------------------------------------------
def test_unknown_key_names_line(tmp_path: Path):
    assert errors(tmp_path, "allow: [a]\n\ndisabel: [typo]\n") == [
        (3, "未知的配置项 'disabel'（可用：lists, builtin, allow, allow_regex, disable, severity, fail_on, "
            "min_severity, exclude, privacy, as_of, fuzzy, lm, posts, registers）")
    ]


def test_every_problem_with_its_line(tmp_path: Path):
    text = (
        "allow: 布署\n"  # 1: not a list
        "allow_regex:\n"
        "  - ok\n"
        "  - '(unclosed'\n"  # 4
        "severity:\n"
        "  typo: fatal\n"  # 6
        "  'bad id': error\n"  # 7
        "fail_on: sometimes\n"  # 8
        "min_severity: never\n"  # 9
        "privacy: 'no'\n"  # 10: a string, not a boolean
        "as_of: 2017-13\n"  # 11
        "lists: [missing.tsv]\n"  # 12
        "exclude: [1]\n"  # 13
        "disable: [typo]\n"
        "disable: [serious]\n"  # 15: duplicate
    )
    lines = [line for line, _ in errors(tmp_path, text)]
    assert lines == [1, 4, 6, 7, 8, 9, 10, 11, 12, 13, 15]


def test_yaml_syntax_error_line(tmp_path: Path):
    (line, msg), = errors(tmp_path, "allow: [a]\nfail_on: error\n  bad: indent\n")
    assert line == 3 and msg.startswith("YAML 格式错误")


def test_not_a_mapping(tmp_path: Path):
    assert errors(tmp_path, "- a\n- b\n") == [(1, "配置文件应为“键: 值”的映射")]


def test_no_lists_at_all(tmp_path: Path, scanners: Scanners):
    with pytest.raises(ConfigError, match="没有给出任何词表"):
        scanners.get(cfg(tmp_path, "builtin: false\n"))


# --- command line, cache, show -----------------------------------------------------------------------------
def test_merge_cli_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path / "l.tsv", "某词\n")
    base = cfg(tmp_path, "fail_on: error\nallow: [a]\nprivacy: false\nmin_severity: warning\n")
    monkeypatch.chdir(tmp_path)
    merged = merge(base, fail_on="info", allow=["b", "a"], privacy=None, min_severity=None, lists=[Path("l.tsv")],
                   as_of="2019", severity={"typo": "error"})
    assert merged.fail_on == "info" and merged.allow == ("a", "b") and merged.privacy is False
    assert merged.min_severity == Severity.WARNING and merged.as_of.text == "2019"
    assert merged.lists == (tmp_path / "l.tsv",) and merged.severity == (("typo", Severity.ERROR),)
    assert merge(base) is base
    with pytest.raises(TypeError):
        merge(base, colour=True)


def test_scanner_cache_compiles_each_list_set_once(tmp_path: Path, scanners: Scanners):
    a, b = cfg(tmp_path, "allow: [x]\n"), Config()
    assert scanners.get(a) is scanners.get(replace(a, disable=("typo",)))  # filters need no new scanner
    assert scanners.get(a) is not scanners.get(b)
    assert scanners.get(a).lexicon is scanners.get(b).lexicon


def test_show_round_trips(tmp_path: Path):
    write(tmp_path / "lists" / "mine.tsv", "某词\n")
    write(tmp_path / "elsewhere.tsv", "他词\n")
    text = (
        "lists: [lists/mine.tsv, ../" + tmp_path.name + "/elsewhere.tsv]\nbuiltin: false\nallow: [布署, 'a: b']\n"
        "allow_regex: ['\\d{4}年', '中华.*']\ndisable: [variant, typo/再接再励]\n"
        "severity: {typo: error, serious/中华人民共合国: info}\nfail_on: never\nmin_severity: warning\n"
        "exclude: ['archive/**', '*.min.html']\nprivacy: false\nas_of: 2017-06-01\n"
    )
    config = cfg(tmp_path, text)
    shown = show(config)
    assert shown.startswith(f"# 配置来自：{tmp_path / '.errscan.yaml'}")
    write(tmp_path / ".errscan.yaml", shown)
    assert load_config(tmp_path / ".errscan.yaml") == config
    defaults = show(Config())
    assert defaults.startswith("# 未找到 .errscan.yaml")
    assert replace(cfg(tmp_path, defaults), path=None) == Config()


def test_show_for_path_merges_cli(tmp_path: Path):
    write(tmp_path / "proj" / ".errscan.yaml", "disable: [typo]\n")
    (tmp_path / "proj" / "sub").mkdir()
    out = show_for(tmp_path / "proj" / "sub", fail_on="error")
    assert f"# 配置来自：{tmp_path / 'proj' / '.errscan.yaml'}" in out
    assert "disable:\n- typo\n" in out and "fail_on: error\n" in out


# --- the command line (runs once the lead has wired --config / config --show into cli.py) -----------------
def _wired() -> bool:
    import inspect

    from errscan import cli

    return "report_unused" in inspect.signature(cli.check).parameters and hasattr(cli, "config_cmd")


def cli(*args: str, cwd: Path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "errscan", *args], cwd=cwd, capture_output=True, timeout=120)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def rules(stdout: str) -> list[tuple[str, str, int, int, str]]:
    import json

    found = [json.loads(line) for line in stdout.splitlines()]
    return [(f["path"], f["rule"], f["line"], f["column"], f["severity"]) for f in found]


wired = pytest.mark.skipif(not _wired(), reason="--config / config --show not wired into cli.py yet")


@wired
def test_cli_project_configs(tmp_path: Path):
    write(tmp_path / ".errscan.yaml", "exclude: ['archive/**']\nseverity: {typo: info}\n")
    write(tmp_path / "a.txt", "要再接再励。\n")
    write(tmp_path / "archive" / "old.txt", "中华人民共合国\n")
    write(tmp_path / "sub" / ".errscan.yaml", "disable: [typo]\nfail_on: error\n")
    write(tmp_path / "sub" / "b.txt", "布署，中华人民共合国\n")
    code, out, err = cli("check", "--format", "jsonl", ".", cwd=tmp_path)
    assert code == 1, err  # sub/b.txt has an error; a.txt only a hint
    assert rules(out) == [
        ("./a.txt", "typo/再接再励", 1, 2, "info"), ("./sub/b.txt", "serious/中华人民共合国", 1, 4, "error"),
    ]
    assert cli("check", "--format", "jsonl", "a.txt", cwd=tmp_path)[0] == 0  # typo lowered to info
    assert cli("check", "--format", "jsonl", "--fail-on", "info", "a.txt", cwd=tmp_path)[0] == 1  # CLI wins
    other = write(tmp_path / "elsewhere" / "strict.yaml", "fail_on: info\n")
    code, out, _ = cli("check", "--format", "jsonl", "--config", str(other), "sub/b.txt", cwd=tmp_path)
    assert code == 1 and [r[1] for r in rules(out)] == ["typo/布署", "serious/中华人民共合国"]


@wired
def test_cli_html_suppressions_and_unused(tmp_path: Path):
    page = (
        '<html><head><meta charset="utf-8"></head><body>\n<!-- errscan-disable-next-line typo -->\n'
        "<p>再接再励</p>\n<!-- errscan-disable-next-line serious -->\n<p>布署</p>\n</body></html>\n"
    )
    write(tmp_path / "page.html", page)
    code, out, _ = cli("check", "--format", "jsonl", "page.html", cwd=tmp_path)
    assert code == 1 and rules(out) == [("page.html", "typo/布署", 5, 4, "warning")]
    _, out, _ = cli("check", "--format", "jsonl", "--report-unused-disables", "page.html", cwd=tmp_path)
    assert rules(out) == [
        ("page.html", "errscan/unused-disable", 4, 1, "warning"), ("page.html", "typo/布署", 5, 4, "warning"),
    ]


@wired
def test_cli_bad_config_and_show(tmp_path: Path):
    write(tmp_path / ".errscan.yaml", "allow: [a]\nseverity: {typo: fatal}\n")
    write(tmp_path / "a.txt", "布署\n")
    code, _, err = cli("check", "a.txt", cwd=tmp_path)
    assert code == 2 and f"{tmp_path / '.errscan.yaml'}:2: severity.typo" in err
    write(tmp_path / ".errscan.yaml", "allow: [a]\nseverity: {typo: error}\n")
    code, out, _ = cli("config", "--show", "a.txt", cwd=tmp_path)
    assert code == 0 and out.startswith(f"# 配置来自：{tmp_path / '.errscan.yaml'}")
    write(tmp_path / "copy" / ".errscan.yaml", out)
    assert replace(load_config(tmp_path / "copy" / ".errscan.yaml"), path=None) == replace(
        load_config(tmp_path / ".errscan.yaml"), path=None
    )
