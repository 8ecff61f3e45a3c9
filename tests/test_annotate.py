"""Findings written back into Word and Excel files (errscan/annotate.py): `check --annotate`, `fix` on .docx.

The annotated files are read three ways: python-docx, the XML parts parsed here directly, and LibreOffice
(installed by .ci/run), which must open them and keep every comment and tracked change."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from readers_fixtures import make_docx

from errscan.readers import read

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SOFFICE = shutil.which("soffice")


def make_notice() -> bytes:
    """A clerk's notice: a slip split across runs of different formatting, one inside a single run, one in a
    table cell, one with no safe fix, one in the header; clean paragraphs around them."""
    d = docx.Document()
    p = d.add_paragraph()
    p.add_run("关于做好安全生产工作").bold = True
    p.add_run("布").italic = True
    p.add_run("署的通知")
    d.add_paragraph("各乡镇人民政府：")
    d.add_paragraph("请认真贯切落实，国名不得写作中华人民共合国。")
    d.add_table(rows=1, cols=2).cell(0, 1).text = "一但发现问题及时报告。"
    d.add_paragraph("特此通知。")
    d.sections[0].header.paragraphs[0].text = "县人民政府办公室再接再励"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def errscan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "errscan", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd)


def part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def anchors(data: bytes) -> dict[str, tuple[str, str, str]]:
    """comment id → (text deleted, text inserted, plain text) between its range start and end, read from
    word/document.xml in document order."""
    root = part(data, "word/document.xml")
    open_ids: dict[str, list[list[str]]] = {}
    done: dict[str, tuple[str, str, str]] = {}
    for el in root.iter():
        if el.tag == W + "commentRangeStart":
            open_ids[el.get(W + "id")] = [[], [], []]
        elif el.tag == W + "commentRangeEnd":
            got = open_ids.pop(el.get(W + "id"))
            done[el.get(W + "id")] = ("".join(got[0]), "".join(got[1]), "".join(got[2]))
        elif el.tag in (W + "t", W + "delText") and el.text:
            inserted = any(a.tag == W + "ins" for a in el.iterancestors())
            for got in open_ids.values():
                got[0 if el.tag == W + "delText" else 1 if inserted else 2].append(el.text)
    assert not open_ids
    return done


def comments(data: bytes) -> dict[str, str]:
    root = part(data, "word/comments.xml")
    return {c.get(W + "id"): "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in c.iter(W + "p"))
            for c in root.iter(W + "comment")}


def resolved(data: bytes, accept: bool) -> bytes:
    """The file with every tracked change accepted (or rejected), as Word's 接受所有修订 does."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            blob = src.read(item.filename)
            if item.filename.startswith("word/") and item.filename.endswith(".xml"):  # body, headers, notes
                root = etree.fromstring(blob)
                gone, kept = (W + "del", W + "ins") if accept else (W + "ins", W + "del")
                for el in list(root.iter(gone)):
                    el.getparent().remove(el)
                for el in list(root.iter(kept)):
                    for t in el.iter(W + "delText"):
                        t.tag = W + "t"
                    parent, at = el.getparent(), el.getparent().index(el)
                    for child in reversed(list(el)):
                        parent.insert(at, child)
                    parent.remove(el)
                blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            z.writestr(item, blob)
    return out.getvalue()


def formatting(data: bytes) -> list[list[tuple[str, str]]]:
    """Each body paragraph as (character, its run's formatting) pairs: runs split or merged do not change it."""
    root = part(data, "word/document.xml")
    out = []
    for p in root.iter(W + "p"):
        chars = []
        for r in p.iter(W + "r"):
            rpr = r.find(W + "rPr")
            fmt = etree.tostring(rpr).decode() if rpr is not None else ""
            for t in r.iter(W + "t"):
                chars += [(c, fmt) for c in t.text or ""]
        out.append(chars)
    return out


@pytest.fixture
def notice(tmp_path: Path) -> Path:
    path = tmp_path / "通知.docx"
    path.write_bytes(make_notice())
    return path


def test_check_annotate_writes_a_copy_with_one_comment_per_finding_on_exactly_its_text(notice: Path) -> None:
    before = notice.read_bytes()
    got = errscan("check", str(notice), "--annotate", "--format", "json")
    assert got.returncode == 1, got.stderr
    findings = json.loads(got.stdout)["findings"]
    target = notice.with_name("通知.审校.docx")
    assert f"已写审校稿 {target}（批注 5 条，修订 4 处）" in got.stderr
    assert notice.read_bytes() == before  # the original untouched
    data = target.read_bytes()
    body = [f for f in findings if f["location"].get("part") != "header"]
    assert [(f["text"], f["rule"]) for f in findings] == [
        ("布署", "typo/布署"), ("贯切落实", "fuzzy/贯彻落实"), ("中华人民共合国", "serious/中华人民共合国"),
        ("一但", "typo/一但"), ("再接再励", "typo/再接再励")]
    said = comments(data)
    anchored = anchors(data)
    assert len(said) == len(anchored) == len(body) + 1  # the header's finding: in a comment at the start
    by_text = {}
    for cid, (deleted, inserted, plain) in anchored.items():
        by_text[deleted or plain] = (inserted, said[cid])
    assert by_text["布署"][0] == "部署"  # the safe fix as a tracked change, inside the comment's range
    assert by_text["中华人民共合国"][0] == "中华人民共和国"
    assert by_text["一但"][0] == "一旦"
    assert by_text["贯切落实"][0] == ""  # no safe fix: a comment only
    assert by_text["贯切落实"][1].startswith("【错别字·提示】“贯切落实”疑似“贯彻落实”之误")
    assert "规则：typo/布署（来源：《咬文嚼字》编辑部" in by_text["布署"][1]
    assert by_text["关"][1].startswith("以下问题在页眉、页脚、脚注或图片中")  # the first character of the body
    assert "页眉“再接再励”：【错别字·警告】" in by_text["关"][1]
    # python-docx opens it and sees the same comments, by errscan
    opened = docx.Document(io.BytesIO(data))
    assert len(opened.comments) == 5 and {c.author for c in opened.comments} == {"errscan"}


def test_accepting_all_changes_gives_the_fixed_text_and_rejecting_them_the_original(notice: Path) -> None:
    errscan("check", str(notice), "--annotate")
    data = notice.with_name("通知.审校.docx").read_bytes()
    original = read(notice.read_bytes(), "通知.docx").text
    accepted = read(resolved(data, accept=True), "a.docx").text
    assert accepted == (original.replace("布署", "部署").replace("中华人民共合国", "中华人民共和国")
                        .replace("一但", "一旦").replace("再接再励", "再接再厉"))
    rejected = resolved(data, accept=False)
    assert read(rejected, "r.docx").text == original
    # every character keeps its formatting: 布 italic, the title bold, the rest plain
    assert formatting(rejected) == formatting(notice.read_bytes())
    title = formatting(resolved(data, accept=True))[0]
    assert "".join(c for c, _ in title) == "关于做好安全生产工作部署的通知"
    assert [fmt for c, fmt in title if c in "部署"] == [formatting(notice.read_bytes())[0][10][1]] * 2


def test_a_word_split_across_runs_inside_text_boxes_tables_and_notes(tmp_path: Path) -> None:
    """The reader's fixture: 中华人民|共合(bold)|国 across runs, a nested table, a footnote, a text box."""
    path = tmp_path / "m.docx"
    path.write_bytes(make_docx())
    assert errscan("check", str(path), "--annotate").returncode == 1
    data = (tmp_path / "m.审校.docx").read_bytes()
    plain = {deleted or text for deleted, _, text in anchors(data).values()}
    assert {"中华人民共合国", "笔划", "再接再励"} <= plain
    assert sum(1 for d, _, t in anchors(data).values() if (d or t) == "再接再励") == 2  # table and text box
    fixed = read(resolved(data, accept=True), "a.docx").text
    assert "中华人民共和国的公民" in fixed and "文本框里的再接再厉" in fixed and "表格里的再接再厉" in fixed
    assert "《中华人民共和国宪法》" in fixed  # the footnote's fix, made in its own part
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b"Fallback" not in z.read("word/document.xml")  # the edited text box's stale VML copy is gone


def test_existing_comments_and_ids_are_kept(tmp_path: Path) -> None:
    d = docx.Document()
    p = d.add_paragraph("已有批注的段落。")
    d.add_comment(p.runs, text="审核人的意见", author="张三")
    d.add_paragraph("一但发现问题。")
    path = tmp_path / "a.docx"
    d.save(path)
    errscan("check", str(path), "--annotate")
    said = comments((tmp_path / "a.审校.docx").read_bytes())
    assert said["0"] == "审核人的意见" and len(said) == 2
    assert said["1"].startswith("【错别字·警告】“一但”")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is installed by .ci/run (libreoffice-writer-nogui)")
def test_libreoffice_opens_the_annotated_file_with_every_comment_and_change(notice: Path, tmp_path: Path) -> None:
    errscan("check", str(notice), "--annotate")
    target = notice.with_name("通知.审校.docx")
    for fmt in ("odt", "pdf"):
        done = subprocess.run([SOFFICE, "--headless", "--convert-to", fmt, "--outdir", str(tmp_path / fmt),
                               str(target)], capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "odt" / "通知.审校.odt") as z:
        content = z.read("content.xml").decode("utf-8")
    assert content.count("<office:annotation ") + content.count("<office:annotation>") == 5
    assert content.count("<text:deletion>") == content.count("<text:insertion>") == 3  # the body's changes
    pdf = (tmp_path / "pdf" / "通知.审校.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    from pypdf import PdfReader

    shown = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "部署" in shown and "各乡镇人民政府" in shown


def test_excel_cells_get_one_comment_each_and_the_values_stay(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet["A1"], sheet["B2"], sheet["C3"] = "姓名", "工作布署", "一但发现问题，再接再励"
    book.create_sheet("说明")["B7"] = "中华人民共合国"
    path = tmp_path / "花名册.xlsx"
    book.save(path)
    got = errscan("check", str(path), "--annotate")
    assert got.returncode == 1 and "批注 4 条" in got.stderr, got.stderr
    out = openpyxl.load_workbook(tmp_path / "花名册.审校.xlsx")
    sheet = out["花名册"]
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.comment] == ["B2", "C3"]
    assert sheet["C3"].comment.author == "errscan"
    assert sheet["C3"].comment.text.startswith("“一但”【错别字·警告】")
    assert "“再接再励”【错别字·警告】" in sheet["C3"].comment.text
    assert (sheet["B2"].value, sheet["C3"].value) == ("工作布署", "一但发现问题，再接再励")
    assert "规则：serious/中华人民共合国" in out["说明"]["B7"].comment.text


def test_fix_on_word_shows_a_diff_writes_in_the_runs_or_as_tracked_changes(notice: Path) -> None:
    before = notice.read_bytes()
    shown = errscan("fix", str(notice))
    assert shown.returncode == 1 and notice.read_bytes() == before  # no flag: the diff only
    assert "-关于做好安全生产工作布署的通知\n+关于做好安全生产工作部署的通知\n" in shown.stdout
    copy = notice.with_name("副本.docx")
    copy.write_bytes(before)
    written = errscan("fix", "--write", str(copy))
    assert written.returncode == 0, written.stderr
    assert "已修改" in written.stdout and "共修改 1 个文件 4 处" in written.stdout
    text = read(copy.read_bytes(), "副本.docx").text
    assert "部署的通知" in text and "中华人民共和国" in text and "一旦" in text and "再接再厉" in text
    assert "贯切落实" in text  # no safe fix: left for a person
    assert [c for c, _ in formatting(copy.read_bytes())[0]] == list("关于做好安全生产工作部署的通知")
    assert formatting(copy.read_bytes())[0][:10] == formatting(before)[0][:10]  # bold title kept
    left = json.loads(errscan("check", str(copy), "--format", "json").stdout)["findings"]
    assert [f["text"] for f in left] == ["贯切落实"]
    tracked = errscan("fix", "--tracked", str(notice))
    assert tracked.returncode == 0 and "（4 处修订）" in tracked.stdout, tracked.stdout
    data = notice.read_bytes()
    assert read(resolved(data, accept=False), "r.docx").text == read(before, "o.docx").text
    assert read(resolved(data, accept=True), "a.docx").text == text
    assert "没有可自动修改的问题" in errscan("fix", "--tracked", str(notice)).stdout  # made once
