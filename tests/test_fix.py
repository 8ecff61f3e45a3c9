"""`errscan fix`: real files fixed in place, compared byte for byte; --diff, stdin, HTML source positions."""

from __future__ import annotations

import codecs
import dataclasses
import io
import os
import subprocess
from pathlib import Path

import pytest

from errscan.fix import Edit, apply_edits, fix_paths, plan
from errscan.inputs import Source, load
from errscan.model import Document
from errscan.run import Runner

CRLF = "我们要再接再励。\r\n本通知由国家工商总局负责解释，国家质检总局另行通知。\r\n𠀀截止2023年底，布署工作。\r\n"
FIXED = "我们要再接再厉。\r\n本通知由国家工商总局负责解释，国家质检总局另行通知。\r\n𠀀截至2023年底，部署工作。\r\n"
HTML = (
    '<html><head><meta charset="gbk"><title>通知</title></head><body>\r\n'
    "<p>请再接再励</p>\r\n<p>布<b>署</b>工作</p>\r\n<p>既使&amp;困难，也要布署。</p></body></html>"
)


@pytest.fixture(scope="module")
def scanner() -> Runner:
    # A draft of today: undated, CRLF's two organs of 2018 would read as an old text's (pipeline._dated_by_names)
    return Runner(privacy=False, as_of="2026-01-01")


def run(scanner: Runner, paths: list[str], mode: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = fix_paths(paths, scanner, mode, stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def fixable(scanner: Runner, path: Path) -> list:
    doc = load(Source(str(path), path))
    return [f for f in scanner.check(doc, str(path), path).shown if f.fix is not None]


# --- encodings and line endings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("crlf.txt", lambda s: s.encode("utf-8")),
        ("bom.md", lambda s: codecs.BOM_UTF8 + s.encode("utf-8")),
        ("gb.txt", lambda s: s.encode("gb18030")),
        ("utf16.txt", lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le")),
    ],
)
def test_write_keeps_encoding_and_line_endings(tmp_path: Path, scanner: Runner, name: str, encode):
    path = tmp_path / name
    path.write_bytes(encode(CRLF))
    code, out, err = run(scanner, [str(path)], "write")
    assert code == 0, err
    assert path.read_bytes() == encode(FIXED)
    assert out.splitlines() == [
        f"已修改 {path}（3 处）：",
        "  1:4  “再接再励” → “再接再厉”  [typo/再接再励]",
        "  3:2  “截止” → “截至”  [typo/截止]",
        "  3:11  “布署” → “部署”  [typo/布署]",
        "共修改 1 个文件 3 处。另有 2 处问题没有唯一的安全改法，请用 errscan check 查看后人工修改。",
    ]
    assert fixable(scanner, path) == []  # check after --write: nothing left to fix
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left behind


def test_plan_reports_the_encoding(scanner: Runner):
    p = plan(CRLF.encode("gb18030"), scanner, "x.txt")
    assert (p.kind, p.encoding) == ("text", "gb18030")
    assert [(e.line, e.column, e.text, e.fix) for e in p.edits] == [
        (1, 4, "再接再励", "再接再厉"), (3, 2, "截止", "截至"), (3, 11, "布署", "部署"),
    ]
    assert p.unfixable == 2  # 国家工商总局 (autofix: false), 国家质检总局 (two suggestions)
    data = CRLF.encode("gb18030")
    assert all(data[e.start : e.end] == e.old == e.text.encode("gb18030") for e in p.edits)


def test_autofix_false_and_multi_suggestion_untouched(tmp_path: Path, scanner: Runner):
    text = "本通知由国家工商总局负责解释。\n国家质检总局另行通知。\n"
    path = tmp_path / "old.txt"
    path.write_text(text, encoding="utf-8")
    findings = scanner.check(Document(text), "old.txt").shown
    assert [(f.rule, len(f.suggestions), f.fix) for f in findings] == [
        ("outdated/国家工商总局", 1, None), ("outdated/国家质检总局", 2, None),
    ]
    code, out, _ = run(scanner, [str(path)], "write")
    assert code == 0
    assert out == "没有可自动修改的问题。另有 2 处问题没有唯一的安全改法，请用 errscan check 查看后人工修改。\n"
    assert path.read_text(encoding="utf-8") == text


# --- HTML ---------------------------------------------------------------------------------------------------------


def test_html_fixed_at_source_position(tmp_path: Path, scanner: Runner):
    path = tmp_path / "page.html"
    path.write_bytes(HTML.encode("gbk"))
    code, out, err = run(scanner, [str(path)], "write")
    assert code == 0
    expected = HTML.replace("再接再励", "再接再厉").replace("既使", "即使").replace("也要布署", "也要部署")
    assert path.read_bytes() == expected.encode("gbk")
    assert out.splitlines()[1:4] == [
        "  2:5  “再接再励” → “再接再厉”  [typo/再接再励]",
        "  4:4  “既使” → “即使”  [typo/既使]",
        "  4:16  “布署” → “部署”  [typo/布署]",
    ]
    assert err == f"{path}:3:4: “布署”在网页源码中不是原样连续出现（跨越标签或含字符实体），未修改 [typo/布署]\n"
    # the split match is still there for a person
    assert [(f.line, f.column, f.text) for f in fixable(scanner, path)] == [(3, 4, "布署")]


# --- overlaps and apply_edits -------------------------------------------------------------------------------------


class Doubled:
    """A run layer that also reports an overlapping fixable finding (the pipeline itself resolves overlaps)."""

    def __init__(self, runner: Runner):
        self.runner = runner

    def check(self, doc, name, path=None, **kwargs):
        checked = self.runner.check(doc, name, path, **kwargs)
        first = checked.findings[0]
        extra = dataclasses.replace(
            first, offset=first.offset + 2, column=first.column + 2, text=doc.text[first.offset + 2 : first.offset + 5],
            length=3, fix="XYZ", rule="test/overlap",
        )
        return dataclasses.replace(checked, findings=tuple(sorted([*checked.findings, extra])))


def test_overlapping_findings_skipped(scanner: Runner):
    data = "再接再励工作。".encode()
    p = plan(data, Doubled(scanner), "x.txt")  # type: ignore[arg-type]
    assert [(e.text, e.fix) for e in p.edits] == [("再接再励", "再接再厉")]
    assert [(s.line, s.column, s.text, s.reason) for s in p.skipped] == [(1, 3, "再励工", "与另一处修改重叠，未修改")]
    assert apply_edits(data, p.edits) == "再接再厉工作。".encode()


def test_apply_edits_refuses_overlap_and_mismatch():
    data = "再接再励".encode()
    a = Edit(0, 6, data[:6], b"X", 1, 1, "再接", "X", "r")
    b = Edit(3, 9, data[3:9], b"Y", 1, 2, "接再", "Y", "r")
    with pytest.raises(ValueError):
        apply_edits(data, [a, b])
    with pytest.raises(ValueError):
        apply_edits(data, [dataclasses.replace(a, old=b"nope!!")])
    assert apply_edits(data, [b]) == "再Y励".encode()


def test_fix_follows_config_and_directives(tmp_path: Path):
    """fix applies only what the run layer reports: a disabled rule and a directive's own words stay as written."""
    (tmp_path / ".errscan.yaml").write_text("disable: [typo/布署]\n", encoding="utf-8")
    draft = tmp_path / "稿.md"
    text = (
        "布署工作，再接再励。\n<!-- errscan-disable-next-line typo/再接再励 -- 引用原文 -->\n再接再励\n截止2023年底\n"
    )
    draft.write_text(text, encoding="utf-8")
    runner = Runner()
    p = plan(draft.read_bytes(), runner, str(draft), draft)
    edits = [(e.line, e.column, e.text, e.fix) for e in p.edits]
    assert edits == [(1, 6, "再接再励", "再接再厉"), (4, 1, "截止", "截至")]
    code, _, _ = run(runner, [str(draft)], "write")
    assert code == 0
    assert draft.read_text(encoding="utf-8") == text.replace("再接再励。", "再接再厉。").replace("截止2023", "截至2023")


def test_diff_changes_nothing(tmp_path: Path, scanner: Runner):
    path = tmp_path / "d.txt"
    path.write_bytes(CRLF.encode("gb18030"))
    before = path.stat()
    code, out, err = run(scanner, [str(path)], "diff")
    assert (code, err) == (1, "")
    assert path.read_bytes() == CRLF.encode("gb18030")
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert out == (
        f"--- {path}\n+++ {path}\n@@ -1,3 +1,3 @@\n"
        "-我们要再接再励。\r\n+我们要再接再厉。\r\n"
        " 本通知由国家工商总局负责解释，国家质检总局另行通知。\r\n"
        "-𠀀截止2023年底，布署工作。\r\n+𠀀截至2023年底，部署工作。\r\n"
    )


def test_diff_masks_personal_numbers_in_its_lines(tmp_path: Path, scanner: Runner):
    path = tmp_path / "d.txt"
    path.write_text("我们要再接再励，联系电话13912345678。\n", encoding="utf-8")
    code, out, _ = run(scanner, [str(path)], "diff")
    assert code == 1
    assert "13912345678" not in out
    assert "-我们要再接再励，联系电话139****5678。\n+我们要再接再厉，联系电话139****5678。\n" in out


def test_diff_applies_with_git(tmp_path: Path, scanner: Runner):
    (tmp_path / "稿.txt").write_text("再接再励\n末行无换行布署", encoding="utf-8")
    code, diff, _ = run_in(tmp_path, scanner, ["稿.txt"], "diff")
    assert code == 1
    assert diff.endswith("\\ No newline at end of file\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=diff.encode(), check=True)
    assert (tmp_path / "稿.txt").read_text(encoding="utf-8") == "再接再厉\n末行无换行部署"


def run_in(cwd: Path, scanner: Runner, paths: list[str], mode: str):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return run(scanner, paths, mode)
    finally:
        os.chdir(old)


def test_stdin_to_stdout(scanner: Runner):
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    err = io.StringIO()
    data = CRLF.encode("gb18030")
    code = fix_paths(["-"], scanner, "write", stdin=io.BytesIO(data), stdout=out, stderr=err)
    assert code == 0
    assert raw.getvalue() == FIXED.encode("gb18030")  # the input's own encoding, byte for byte
    assert err.getvalue().startswith("已修改 -（3 处）：\n")
    code, diff, _ = run(scanner, ["-"], "diff", stdin=data)
    assert code == 1 and diff.startswith("--- -\n+++ -\n")


def test_clean_input_and_exit_codes(tmp_path: Path, scanner: Runner):
    clean = tmp_path / "clean.txt"
    clean.write_text("没有问题的文稿。\n", encoding="utf-8")
    assert run(scanner, [str(clean)], "diff") == (0, "", "")
    assert run(scanner, [str(tmp_path / "missing.txt")], "write")[0] == 2
    assert run(scanner, [str(clean)], "both")[0] == 2
    binary = tmp_path / "bad.txt"
    binary.write_bytes(b"\x00\x01\x02")
    code, _, err = run(scanner, [str(binary), str(clean)], "write")
    assert code == 3 and "无法读取" in err


def test_directory_fixes_text_and_word_skips_old_word_given_explicitly(tmp_path: Path, scanner: Runner):
    from readers_fixtures import make_doc, make_docx

    from errscan.readers import read

    (tmp_path / "a.docx").write_bytes(make_docx())
    (tmp_path / "b.txt").write_text("再接再励", encoding="utf-8")
    (tmp_path / "c.doc").write_bytes(make_doc("一但发现问题"))
    code, out, err = run(scanner, [str(tmp_path)], "write")
    assert (code, err) == (0, "")
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "再接再厉"
    assert "表格里的再接再厉" in read((tmp_path / "a.docx").read_bytes(), "a.docx").text  # in its runs
    assert "共修改 2 个文件 6 处" in out
    code, _, err = run(scanner, [str(tmp_path / "c.doc")], "write")
    assert code == 0 and "只能修改纯文本、Markdown、HTML 和 Word（.docx）文件（此文件为 doc）" in err


def test_write_keeps_mode_and_symlink(tmp_path: Path, scanner: Runner):
    real = tmp_path / "real.txt"
    real.write_text("布署", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert run(scanner, [str(link)], "write")[0] == 0
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "部署"
    assert real.stat().st_mode & 0o777 == 0o640


def test_pre_commit_hooks_file():
    import yaml
    from helpers import REPO

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [(h["id"], h["entry"], h["language"], h["types_or"]) for h in hooks] == [
        ("errscan", "errscan check", "python", ["text", "markdown", "html"]),
        ("errscan-fix", "errscan fix --write", "python", ["text", "markdown", "html"]),
    ]
    assert all(h["name"] and h["description"] for h in hooks)
