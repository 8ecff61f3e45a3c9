"""`errscan` as a user runs it: a real process, real files, exit codes and every output format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CORE, REPO

DRAFT = "关于做好布署工作的通知\n我们要再接再励，\n热爱中华人民共合国。\n"


def run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "errscan", *args], cwd=cwd, input=stdin, capture_output=True, timeout=120,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    )


def core(*args: str) -> list[str]:
    return ["--no-builtin", "--list", str(CORE), *args]


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    path = tmp_path / "draft.txt"
    path.write_text(DRAFT, encoding="utf-8")
    return path


def test_json_contract_and_exit_1(tmp_path: Path, draft: Path) -> None:
    out = run("check", "--format", "json", "draft.txt", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert doc["version"] == 1
    found = [(f["rule"], f["line"], f["column"], f["offset"], f["length"], f["text"]) for f in doc["findings"]]
    assert found == [
        ("typo/布署", 1, 5, 4, 2, "布署"),
        ("typo/再接再励", 2, 4, 15, 4, "再接再励"),
        ("serious/中华人民共合国", 3, 3, 23, 7, "中华人民共合国"),
    ]
    assert set(doc["findings"][0]) == {
        "path", "line", "column", "offset", "length", "text", "suggestions", "rule", "list", "category",
        "severity", "message", "context", "location", "fix",
    }
    assert [f["fix"] for f in doc["findings"]] == ["部署", "再接再厉", "中华人民共和国"]
    assert doc["documents"] == {"draft.txt": {"kind": "text", "encoding": "utf-8"}}
    assert doc["summary"]["by_severity"] == {"error": 1, "warning": 2, "info": 0}
    assert doc["summary"]["files"] == 1 and doc["summary"]["errors"] == []


def test_jsonl_one_finding_a_line(tmp_path: Path, draft: Path) -> None:
    out = run("check", "-f", "jsonl", str(draft), cwd=tmp_path)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["布署", "再接再励", "中华人民共合国"]
    assert all(r["path"] == str(draft) for r in rows)


def test_pretty_report_in_chinese(tmp_path: Path, draft: Path) -> None:
    out = run("check", "--no-color", "draft.txt", cwd=tmp_path)
    assert out.returncode == 1
    assert "draft.txt" in out.stdout
    assert "3:3" in out.stdout and "中华人民共合国" in out.stdout and "→ 中华人民共和国" in out.stdout
    assert "汇总" in out.stdout
    assert "检查了 1 个文件，发现 3 处问题（错误 1，警告 2）" in out.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], 1),
        (["--fail-on", "info"], 1),
        (["--fail-on", "error"], 0),
        (["--fail-on", "never"], 0),
        (["--min-severity", "error", "--fail-on", "warning"], 1),  # the verdict follows fail_on only
        (["--min-severity", "error", "--fail-on", "error"], 0),
    ],
)
def test_fail_on_and_min_severity(tmp_path: Path, args: list[str], code: int) -> None:
    (tmp_path / "d.txt").write_text("做好布署工作", encoding="utf-8")
    out = run("check", "-f", "json", *args, "d.txt", cwd=tmp_path)
    assert out.returncode == code, out.stderr
    summary = json.loads(out.stdout)["summary"]
    assert summary["hidden"] == ({"warning": 1} if "--min-severity" in args else {})
    assert summary["findings"] == (0 if "--min-severity" in args else 1)


def test_hidden_findings_counted_in_the_report(tmp_path: Path) -> None:
    """echo 再接再励 | errscan check --min-severity error -: nothing listed, the warning counted, exit 1."""
    out = run("check", "--no-color", "--min-severity", "error", "-", cwd=tmp_path, stdin="再接再励\n".encode())
    assert out.returncode == 1
    assert "另有 1 处警告未显示" in out.stdout and "未发现问题" not in out.stdout


def test_clean_file_exit_0(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("各位代表：现在，我代表国务院，向大会报告工作。\n", encoding="utf-8")
    out = run("check", "--no-color", "ok.txt", cwd=tmp_path)
    assert out.returncode == 0
    assert "未发现问题" in out.stdout


def test_missing_path_exit_2(tmp_path: Path) -> None:
    out = run("check", "nope.txt", cwd=tmp_path)
    assert out.returncode == 2
    assert "路径不存在：nope.txt" in out.stderr


def test_bad_list_exit_2_names_file_and_line(tmp_path: Path, draft: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: b\ncategory: typo\nentries:\n  - [ok, 好]\n  - match: ''\n", encoding="utf-8")
    out = run("check", "--list", str(bad), str(draft), cwd=tmp_path)
    assert out.returncode == 2
    assert f"{bad}:5: match 为空" in out.stderr


def test_unreadable_input_is_never_clean(tmp_path: Path, draft: Path) -> None:
    (tmp_path / "image.txt").write_bytes(b"\x00\x01\x02\x03\x00\x00\x00\rIHDR\x00\xff\xfe")
    out = run("check", "-f", "json", "image.txt", "draft.txt", cwd=tmp_path)
    assert out.returncode == 3
    doc = json.loads(out.stdout)
    assert doc["summary"]["errors"] == [{"path": "image.txt", "message": "不是文本文件（含二进制内容），未检查"}]
    assert len(doc["findings"]) == 3  # the readable file is still scanned
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "ok.bin.txt").write_bytes(b"all\0\0clear\0 \0\0\1")  # NULs on both sides: no UTF-16, not guessed
    out = run("check", "--no-color", str(clean / "ok.bin.txt"), cwd=tmp_path)
    assert out.returncode == 3
    assert "✗ 1 个文件无法检查，结果不完整，检查了 0 个文件，用时" in out.stdout
    assert "未发现问题" not in out.stdout


def test_encodings_gbk_bom_utf16(tmp_path: Path) -> None:
    (tmp_path / "gbk.txt").write_bytes("第一行\n做好布署工作".encode("gbk"))
    (tmp_path / "bom.txt").write_bytes("\ufeff做好布署工作".encode())
    (tmp_path / "u16.txt").write_bytes("做好布署工作".encode("utf-16"))
    out = run("check", "-f", "json", "gbk.txt", "bom.txt", "u16.txt", cwd=tmp_path)
    rows = [(f["path"], f["line"], f["column"], f["offset"]) for f in json.loads(out.stdout)["findings"]]
    assert rows == [("gbk.txt", 2, 3, 6), ("bom.txt", 1, 3, 2), ("u16.txt", 1, 3, 2)]


def test_utf16_without_bom_in_a_folder_is_checked_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "u16.txt").write_bytes("第一行\r\n做好布署工作\r\n".encode("utf-16-le"))
    out = run("check", "-f", "json", "docs", cwd=tmp_path)
    report = json.loads(out.stdout)
    assert [(f["line"], f["column"], f["text"]) for f in report["findings"]] == [(2, 3, "布署")]
    assert report["summary"]["skipped"] == []


def test_directory_walk_skips_hidden_and_binary(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / ".git").mkdir()
    (site / "a.txt").write_text("布署", encoding="utf-8")
    (site / "sub" / "b.md").write_text("\n再接再励", encoding="utf-8")
    (site / ".hidden.txt").write_text("布署", encoding="utf-8")
    (site / ".git" / "x.txt").write_text("布署", encoding="utf-8")
    (site / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    out = run("check", "-f", "json", "site", cwd=tmp_path)
    doc = json.loads(out.stdout)
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("site/a.txt", 1), ("site/sub/b.md", 2)]
    assert doc["summary"]["skipped"] == ["site/logo.png"]
    assert out.returncode == 1


def test_stdin(tmp_path: Path) -> None:
    out = run("check", "-f", "jsonl", "-", cwd=tmp_path, stdin="请再接再励".encode())
    [row] = [json.loads(line) for line in out.stdout.splitlines()]
    assert (row["path"], row["column"], row["suggestions"]) == ("-", 2, ["再接再厉"])


def test_user_list_and_no_builtin(tmp_path: Path, draft: Path) -> None:
    out = run("check", "-f", "json", *core(), "draft.txt", cwd=tmp_path)
    assert [f["rule"] for f in json.loads(out.stdout)["findings"]] == ["core/再接再励", "core/中华人民共合国"]
    out = run("check", "--no-builtin", "draft.txt", cwd=tmp_path)
    assert out.returncode == 2 and "--no-builtin" in out.stderr


def test_lists_show_json(tmp_path: Path) -> None:
    mine = tmp_path / "mine.tsv"
    mine.write_text("再接再励\t再接再厉\n本单位错词\n", encoding="utf-8")
    out = run("lists", "show", "--format", "json", "--list", str(mine), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lists = json.loads(out.stdout)["lists"]
    assert {"id", "category", "severity", "entries", "source"} <= set(lists[0])
    assert lists[-1]["id"] == "mine" and lists[-1]["entries"] == 2 and lists[-1]["overrides"] == 1
    pretty = run("lists", "show", "--list", str(mine), cwd=tmp_path).stdout
    assert "覆盖内置条目 1 条" in pretty


def test_lists_test_catches_a_wrong_example(tmp_path: Path) -> None:
    ok = run("lists", "test", *core(), cwd=tmp_path)
    assert ok.returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: b\ncategory: typo\nentries:\n  - match: 既使\n    suggest: 即使\n"
        "    examples: {bad: [既使失败], good: [既使失败也不怕]}\n",
        encoding="utf-8",
    )
    out = run("lists", "test", "--no-builtin", "--list", str(bad), cwd=tmp_path)
    assert out.returncode == 1
    assert "b/既使（第 4 行）：正例被误报：“既使失败也不怕”" in out.stdout
    assert out.stdout.splitlines()[-1] == "✗ 检验了 2 个例句：1 个通过，1 个未通过。"


def test_installed_package_runs_from_elsewhere(tmp_path: Path) -> None:
    """The built-in lists come from the installed package, not from the current directory."""
    out = run("check", "-f", "json", str(REPO / "examples" / "draft.txt"), cwd=tmp_path)
    assert out.returncode == 1
    assert json.loads(out.stdout)["findings"]


# --- a terminal that behaves (issue 17) ---------------------------------------------------------------------


def _in_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str]:
    """stdout and stderr of errscan run with both on a pseudo-terminal, as a clerk's shell runs it."""
    import os
    import pty

    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "errscan", *args], cwd=cwd, stdout=out_slave, stderr=err_slave,
                            env={**os.environ, **env})
    os.close(out_slave)
    os.close(err_slave)
    got: dict[int, bytes] = {out_master: b"", err_master: b""}
    for fd in got:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got[fd] += chunk
        os.close(fd)
    proc.wait(120)
    return got[out_master].decode("utf-8"), got[err_master].decode("utf-8")


def test_without_colour_the_wrong_term_is_marked_and_no_color_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "稿.txt").write_text("我们要再接再励。\n", encoding="utf-8")
    piped = run("check", "稿.txt", cwd=tmp_path)
    assert "  1:4      警告 错别字  我们要【再接再励】。  → 再接再厉  [typo/再接再励]" in piped.stdout
    assert "\x1b[" not in piped.stdout
    coloured, _ = _in_a_terminal(["check", "稿.txt"], tmp_path, {})
    assert "\x1b[33m" in coloured and "【再接再励】" not in coloured  # a terminal: the colour marks it
    plain, _ = _in_a_terminal(["check", "稿.txt"], tmp_path, {"NO_COLOR": "1"})
    assert "\x1b[33m" not in plain and "【再接再励】" in plain
    forced, _ = _in_a_terminal(["check", "稿.txt", "--color"], tmp_path, {"NO_COLOR": "1"})
    assert "\x1b[33m" in forced  # the flag wins over the environment


def test_the_mark_is_on_the_occurrence_found_when_the_line_holds_the_text_twice(tmp_path: Path) -> None:
    """原国家海洋局 is excused, the second 国家海洋局 is the finding: the mark goes on the second, in a short line (the
    context is the whole line) and in a long one (the context starts 20 characters before the finding)."""
    long_line = "按照本省二〇二四年机构改革的总体部署和各项要求，原国家海洋局职责划转后由国家海洋局负责。"
    short_line = "原国家海洋局职责已经划转，现由国家海洋局负责。"
    (tmp_path / "稿.txt").write_text(short_line + "\n" + long_line + "\n", encoding="utf-8")
    out = run("check", "稿.txt", cwd=tmp_path).stdout
    assert "  1:16     提示 过时表述  原国家海洋局职责已经划转，现由【国家海洋局】负责。  → 自然资源部" in out
    column = long_line.index("由国家") + 2
    assert column == 37
    marked = "部署和各项要求，原国家海洋局职责划转后由【国家海洋局】负责。"
    assert f"  2:{column}     提示 过时表述  {marked}  → 自然资源部" in out
    assert "【原" not in out and out.count("【国家海洋局】") == 2


def test_a_first_run_says_it_is_compiling_the_lists(tmp_path: Path) -> None:
    (tmp_path / "稿.txt").write_text("再接再励\n", encoding="utf-8")
    cache = tmp_path / "cache"
    _, first = _in_a_terminal(["check", "稿.txt"], tmp_path, {"ERRSCAN_CACHE_DIR": str(cache)})
    assert "正在编译词表" in first
    _, second = _in_a_terminal(["check", "稿.txt"], tmp_path, {"ERRSCAN_CACHE_DIR": str(cache)})
    assert "正在编译词表" not in second


def test_each_finding_says_its_suggestion_once_and_one_severity_word(tmp_path: Path) -> None:
    (tmp_path / "稿.txt").write_text("中华人民共合国\n", encoding="utf-8")
    lines = run("check", "稿.txt", cwd=tmp_path).stdout.splitlines()
    assert lines[1].startswith("  1:1      错误 政治性差错  【中华人民共合国】  → 中华人民共和国")
    assert lines[2].strip().startswith("政治性差错：“中华人民共合国”。") and "建议改为" not in lines[2]


@pytest.mark.parametrize("given", ["2025-03-10", "2025/03/10", "2025.3.10", "2025年3月10日"])
def test_as_of_takes_the_ways_dates_are_written(tmp_path: Path, given: str) -> None:
    (tmp_path / "稿.txt").write_text("国务院总理李克强出席会议。\n", encoding="utf-8")
    got = run("check", "--as-of", given, "--format", "json", "稿.txt", cwd=tmp_path)
    assert [f["rule"] for f in json.loads(got.stdout)["findings"]] == ["posts/国务院总理/李克强"], got.stderr
    bad = run("check", "--as-of", "三月十日", "稿.txt", cwd=tmp_path)
    assert bad.returncode == 2 and "2025年3月10日" in bad.stderr


def test_version_output_and_port_messages(tmp_path: Path) -> None:
    import socket

    from errscan import __version__

    assert run("-V", cwd=tmp_path).stdout == f"errscan {__version__}\n"
    (tmp_path / "稿.txt").write_text("再接再励\n", encoding="utf-8")
    wrote = run("check", "稿.txt", "-o", "报告.json", "-f", "json", cwd=tmp_path)
    assert wrote.stderr == "报告已写入 报告.json（1 个文件，1 处问题）\n" and (tmp_path / "报告.json").exists()
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        busy = run("serve", "--port", str(port), cwd=tmp_path)
    assert busy.returncode == 2
    assert busy.stderr == f"errscan: 无法在 127.0.0.1:{port} 上启动：端口已被占用（可用 --port 换一个端口）\n"


def test_summary_rows_keep_one_order(tmp_path: Path) -> None:
    (tmp_path / "稿.txt").write_text("一但、布署、再接再励；笔划、联接；中华人民共合国\n", encoding="utf-8")
    tables = {run("check", "稿.txt", cwd=tmp_path).stdout.split("汇总")[1].split("✗")[0] for _ in range(3)}
    assert len(tables) == 1
    rows = [line.split("│")[1].strip() for line in next(iter(tables)).splitlines() if line.startswith("│")]
    assert rows[:3] == ["政治性差错", "错别字", "异形词"]
