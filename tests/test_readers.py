"""Readers: every string found in a Document is found again at the place locate() reports, in the source."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile

import pytest
from helpers import SHARED, needs_shared
from readers_fixtures import make_doc, make_docx, ole, zip_of

from errscan.readers import READERS, ReadError, read, sniff
from errscan.readers.text import decode

HTML_DIR = SHARED / "corpus" / "html"
PDF_DIR = SHARED / "corpus" / "pdf"
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


def source_at(source: str, line: int, column: int) -> str:
    return source.split("\n")[line - 1][column - 1 :]


def check_html_positions(doc, source: str, limit: int = 200) -> int:
    """Every character of the first `limit` runs of Chinese text sits at its reported source line:col
    (a character written as a reference, &#x4e2d;, at its "&")."""
    checked = 0
    for m in list(CJK_RUN.finditer(doc.text))[:limit]:
        for i in range(m.start(), m.end()):
            line, column, _ = doc.locate(i)
            assert source_at(source, line, column)[:1] in (doc.text[i], "&"), (m.group(), i, line, column)
            checked += 1
    return checked


# --- HTML -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted((HTML_DIR / "state_council").glob("*.html")), ids=lambda p: p.name)
def test_state_council_pages_locate_in_source(path):
    data = path.read_bytes()
    doc = read(data, path.name)
    assert doc.kind == "html"
    assert check_html_positions(doc, data.decode("utf-8")) > 100
    assert "<" not in doc.text and "&nbsp" not in doc.text
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", doc.metadata["date"])


@needs_shared
def test_state_council_page_content():
    doc = read((HTML_DIR / "state_council" / "5338761.html").read_bytes(), "5338761.html")
    assert doc.metadata["date"] == "2018-11-09"  # 发布日期 in one cell, the date in the next
    assert "国办函〔2018〕71号" in doc.text.split("\n")
    assert "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：" in doc.text


@needs_shared
@pytest.mark.parametrize("name", ["page_source_debug.html", "merged_cells_page_source.html"])
def test_nfra_pages_visible_text_only(name):
    data = (HTML_DIR / "nfra" / name).read_bytes()
    doc = read(data, name)
    source = data.decode("utf-8")
    check_html_positions(doc, source)
    assert doc.metadata["title"] == "国家金融监督管理总局"
    for hidden in ("机构概况悬浮派出机构", "副部长级干部", "之前机构概况悬浮", "注销", "function", "{{", "display"):
        assert hidden not in doc.text  # comments, ng-hide, script, style, templates
    assert "主要违法违规事实" in doc.text or "国家金融监督管理总局" in doc.text
    m = re.search(r"发布时间：(\d{4}-\d\d-\d\d)", doc.text)
    assert m and doc.metadata["date"] == m.group(1)


PAGE = """<!DOCTYPE html>
<html><head><title>关于&amp;测试的通知</title>
<meta name="PubDate" content="2019-01-03 10:00">
<script>var s = "中华人民共合国";</script><style>p { color: red }</style></head>
<body><div>我们是中华人民<b>共合</b>国的<span>公民</span></div><p>第二段</p><p>第三段&#x4e2d;&#20013;&amp;</p>
<!-- 注释里的共合国 --><template><p>模板里的共合国</p></template><noscript>无脚本共合国</noscript>
<div hidden><p>隐藏的共合国</p></div><div style="display: none"><b>不显示的共合国</b></div>
<span style="VISIBILITY:hidden">不可见共合国</span><p>中华人民
共和国 与 我们</p><ul><li>一<li>二</ul>行一<br>行二<td>格一</td><td>格二</td>
</body></html>"""


def test_html_visible_text_blocks_inline_and_entities():
    doc = read(PAGE.encode("utf-8"), "page.html")
    lines = doc.text.split("\n")
    assert lines[:3] == ["我们是中华人民共合国的公民", "第二段", "第三段中中&"]
    assert "中华人民共和国 与 我们" in lines  # a source line break between Chinese characters disappears
    assert {"一", "二", "行一", "行二", "格一", "格二"} <= set(lines)
    assert doc.text.count("共合国") == 1
    assert doc.metadata == {"title": "关于&测试的通知", "date": "2019-01-03", "encoding": "utf-8"}
    check_html_positions(doc, PAGE)
    i = doc.text.index("中中")
    assert source_at(PAGE, *doc.locate(i)[:2]).startswith("&#x4e2d;")
    assert source_at(PAGE, *doc.locate(i + 1)[:2]).startswith("&#20013;")
    assert source_at(PAGE, *doc.locate(doc.text.index("共合"))[:2]).startswith("共合</b>")


def test_html_date_from_text_and_unclosed_hidden_paragraph():
    page = "<html><body><p hidden>隐藏<div>看得见</div><p>发布时间：2020年3月5日</p></body></html>"
    doc = read(page.encode("utf-8"), "a.htm")
    assert "看得见" in doc.text and "隐藏" not in doc.text
    assert doc.metadata["date"] == "2020-03-05"


def test_html_deep_nesting_does_not_crash():
    page = "<html><body>" + "<div><span>" * 100_000 + "深处的文字" + "</span></div>" * 100_000 + "</body></html>"
    doc = read(page.encode("utf-8"), "deep.html")
    assert doc.text == "深处的文字"
    check_html_positions(doc, page)


@pytest.mark.parametrize(
    ("encoding", "meta"),
    [
        ("gbk", '<meta charset="gbk">'),
        ("gbk", ""),
        ("big5", '<meta http-equiv="Content-Type" content="text/html; charset=big5">'),
        ("big5", ""),
        ("gb18030", ""),
    ],
)
def test_html_legacy_encodings(encoding, meta):
    body = "中華民國政府資訊公開" if encoding == "big5" else "中华人民共和国国务院办公厅关于印发方案的通知"
    page = f"<html><head>{meta}<title>{body}</title></head><body><p>{body}</p></body></html>"
    doc = read(page.encode(encoding), "legacy.html")
    assert doc.text == f"{body}\n{body}" and doc.metadata["title"] == body  # the body, then the <title>
    assert doc.locate(len(body) + 1) == (1, page.index("<title>") + 8, {"part": "title"})
    check_html_positions(doc, page)


def test_html_declared_charset_wrong_falls_back_to_utf8():
    page = '<html><head><meta charset="gb2312"></head><body>国务院办公厅关于印发方案的通知</body></html>'
    assert read(page.encode("utf-8"), "a.html").text == "国务院办公厅关于印发方案的通知"


# --- text -----------------------------------------------------------------------------------------------------
TEXT = "国务院办公厅关于印发《政府网站集约化试点工作方案》的通知\n各省、自治区、直辖市人民政府："
TRAD = "中華民國政府資訊公開法規定，政府機關應主動公開施政計畫。"


@pytest.mark.parametrize(
    ("data", "expected", "encoding"),
    [
        (TEXT.encode("utf-8"), TEXT, "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT, "utf-8-sig"),
        (TEXT.encode("utf-16"), TEXT, "utf-16"),
        (TEXT.encode("utf-16-le"), TEXT, "utf-16-le"),  # no byte-order mark: told by where the NUL bytes are
        (TEXT.encode("utf-16-be"), TEXT, "utf-16-be"),
        (TEXT.encode("gbk"), TEXT, "gb18030"),
        (TRAD.encode("big5"), TRAD, "cp950"),
        ("資訊公開".encode("big5"), "資訊公開", "cp950"),
        ("国务院".encode("gbk"), "国务院", "gb18030"),
    ],
)
def test_text_encodings(data, expected, encoding):
    doc = read(data, "a.txt")
    assert (doc.kind, doc.text, doc.metadata["encoding"]) == ("text", expected, encoding)
    assert decode(data) == (expected, encoding)
    assert doc.locate(expected.index("\n") + 1 if "\n" in expected else 0)[:2] == (
        (2, 1) if "\n" in expected else (1, 1)
    )


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4,  # binary with a text extension
        "Café crème brûlée à la carte, naïve façade ".encode("latin-1") * 20,  # neither UTF-8 nor Chinese
        b"\xff\xfe" + b"\x00\xd8" * 3,  # UTF-16 BOM, broken surrogates
    ],
)
def test_text_refused(data):
    with pytest.raises(ReadError):
        read(data, "a.txt")


# --- docx -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return make_docx()


def docx_place_text(data: bytes, place: dict) -> str:
    """The text at a reported place, looked up independently (python-docx, or the XML for notes/boxes)."""
    import docx
    from lxml import etree

    d = docx.Document(io.BytesIO(data))
    part = place.get("part")
    if part is None and "table" in place:
        cell = d.tables[place["table"] - 1].cell(place["row"] - 1, place["cell"] - 1)
        for inner in place.get("nested", []):
            cell = cell.tables[inner["table"] - 1].cell(inner["row"] - 1, inner["cell"] - 1)
        return cell.text
    if part is None:
        return d.paragraphs[place["paragraph"] - 1].text
    if part in ("header", "footer"):
        section = d.sections[0]
        return getattr(section, part).paragraphs[place["paragraph"] - 1].text
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    if part == "footnotes":
        root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/footnotes.xml"))
        notes = [n for n in root if n.get(w + "type") is None]
        return "".join(t.text for t in notes[place["note"] - 1].iter(w + "t"))
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    box = list(root.iter(w + "txbxContent"))[place["textbox"] - 1]
    return "".join(t.text for t in box.iter(w + "t"))


@pytest.mark.parametrize(
    ("needle", "place"),
    [
        ("中华人民共合国", {"paragraph": 2}),  # split across three runs
        ("最后一段", {"paragraph": 3}),
        ("合并单元格", {"table": 1, "row": 1, "cell": 2}),
        ("再接再励", {"table": 1, "row": 2, "cell": 3}),
        ("笔划", {"table": 1, "row": 2, "cell": 1, "nested": [{"table": 1, "row": 1, "cell": 2}]}),
        ("国务院办公厅", {"part": "header", "header": 1, "paragraph": 1}),
        ("第 1 页", {"part": "footer", "footer": 1, "paragraph": 1}),
        ("中华人民共合国宪法", {"part": "footnotes", "note": 1}),
        ("文本框里的再接再励", {"part": "textbox", "textbox": 1, "anchor": {"paragraph": 4}}),
    ],
)
def test_docx_locations(docx_bytes, needle, place):
    doc = read(docx_bytes, "draft.docx")
    assert doc.kind == "docx"
    offset = doc.text.index(needle)
    line, column, where = doc.locate(offset)
    assert where == place
    assert doc.text.split("\n")[line - 1][column - 1 :].startswith(needle)
    assert needle in docx_place_text(docx_bytes, where)


def test_docx_text_box_read_once(docx_bytes):
    assert read(docx_bytes, "a.docx").text.count("文本框里的再接再励") == 1


# --- PDF ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pdf_2023():
    data = (PDF_DIR / "hongze_2023_zfxxgk_annual_report.pdf").read_bytes()
    from errscan.readers.pdf import page_texts

    return data, read(data, "report.pdf"), page_texts(data)[0]


def _squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


@needs_shared
def test_pdf_known_slip_located(pdf_2023):
    _, doc, pages = pdf_2023
    needle = "畅通依申请公开受理渠。"
    offset = doc.text.index(needle)  # the line break inside it (畅通 / 依申请) is joined
    _, _, where = doc.locate(offset)
    assert where == {"page": 1, "line": 20}
    assert doc.locate(offset + len(needle) - 1)[2] == {"page": 1, "line": 21}
    lines = pages[0].split("\n")
    assert _squeeze("".join(lines[19:21])).find(needle) >= 0
    assert doc.metadata["title"].startswith("洪泽区人民政府2023年")


@needs_shared
@pytest.mark.parametrize("name", ["hongze_2023_zfxxgk_annual_report.pdf", "hongze_2024_zfxxgk_annual_report.pdf"])
def test_pdf_every_run_on_its_page_and_line(name):
    from errscan.readers.pdf import page_texts

    data = (PDF_DIR / name).read_bytes()
    doc = read(data, name)
    pages = [p.split("\n") for p in page_texts(data)[0]]
    for m in CJK_RUN.finditer(doc.text):
        where = doc.locate(m.start())[2]
        lines = pages[where["page"] - 1]
        assert m.group()[0] in lines[where["line"] - 1]
        assert m.group() in _squeeze("".join(lines[where["line"] - 1 : where["line"] + 2]))


def test_pdf_encrypted_and_image_only_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    blank = io.BytesIO()
    writer.write(blank)
    with pytest.raises(ReadError, match="没有可提取的文字"):
        read(blank.getvalue(), "scan.pdf")
    writer.encrypt("secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(ReadError, match="加密"):
        read(locked.getvalue(), "locked.pdf")


def garbled_pdf(pages: list[bytes | None]) -> bytes:
    """The 2023 洪泽 report's first page, once per entry: its own content stream (None), or a text-showing
    operator with these bytes as character codes in the page's first font (what a damaged stream gives)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    source = PdfReader(PDF_DIR / "hongze_2023_zfxxgk_annual_report.pdf").pages[0]
    font = next(iter(source["/Resources"]["/Font"].keys())).encode()
    writer = PdfWriter()
    for junk in pages:
        page = writer.add_page(source)
        if junk is not None:
            stream = DecodedStreamObject()
            stream.set_data(b"BT " + font + b" 12 Tf 72 700 Td <" + junk.hex().encode() + b"> Tj ET")
            page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@needs_shared
def test_pdf_aes_encrypted_without_a_user_password_is_read():
    """Offices publish PDFs locked against editing only (an owner password, AES): they open, and are checked."""
    from pypdf import PdfReader, PdfWriter

    page = PdfReader(PDF_DIR / "hongze_2023_zfxxgk_annual_report.pdf").pages[0]
    for algorithm in ("AES-128", "AES-256"):
        writer = PdfWriter()
        writer.add_page(page)
        writer.encrypt(user_password="", owner_password="owner", algorithm=algorithm)
        out = io.BytesIO()
        writer.write(out)
        assert "政府信息公开工作年度" in read(out.getvalue(), "locked.pdf").text, algorithm
        writer = PdfWriter()
        writer.add_page(page)
        writer.encrypt(user_password="user", owner_password="owner", algorithm=algorithm)
        out = io.BytesIO()
        writer.write(out)
        with pytest.raises(ReadError, match="已加密（需要密码）"):
            read(out.getvalue(), "locked.pdf")


@needs_shared
def test_pdf_page_of_garbage_is_unreadable_not_clean():
    import random

    junk = random.Random(5).randbytes(5000)
    with pytest.raises(ReadError, match=r"PDF 第 2 页的文字无法正确提取（约 \d+% 为乱码），未检查"):
        read(garbled_pdf([None, junk]), "report.pdf")
    doc = read(garbled_pdf([None, None]), "report.pdf")  # the same pages, undamaged, read as before
    assert "政府信息公开" in doc.text


def _lying_docx(extra: int) -> bytes:
    """A .docx whose document.xml inflates to `extra` bytes more than both of its headers declare."""
    import struct
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(make_docx()))
    out = io.BytesIO()
    declared = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "word/document.xml":
                declared, body = len(body), body + b" " * extra
            z.writestr(info.filename, body)
    data = bytearray(out.getvalue())
    name = b"word/document.xml"
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        at = data.find(sig)
        while at >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if bytes(data[at + name_at : at + name_at + n]) == name:
                struct.pack_into("<I", data, at + size_at, declared)
            at = data.find(sig, at + 4)
    return bytes(data)


def test_docx_whose_headers_lie_about_sizes_is_refused_without_inflating_it():
    """64 MB of inflated data behind a declared few kilobytes: refused while inflating it 64 KiB at a time (a
    whole-member read would first take the 64 MB, and a 1 GB member the gigabyte)."""
    import tracemalloc

    data = _lying_docx(64 * 1024 * 1024)
    assert len(data) < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ReadError, match=r"部件大小与声明不符（word/document\.xml），疑为恶意文件"):
            read(data, "a.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024
    assert "再接再励" in read(_lying_docx(0), "a.docx").text  # the same file, honest: read as before


# --- xlsx -----------------------------------------------------------------------------------------------------
def make_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws["A1"] = "政府信息公开统计"
    ws["B7"] = "中华人民共合国"
    ws["C2"] = 3.0
    ws["D3"] = "=1+1"  # never calculated: no cached value
    wb.create_sheet("附表")["XFD1000"] = "远处单元格的再接再励"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("needle", "place"),
    [("共合国", {"sheet": "统计表", "cell": "B7"}), ("再接再励", {"sheet": "附表", "cell": "XFD1000"})],
)
def test_xlsx_locations(needle, place):
    import openpyxl

    data = make_xlsx()
    doc = read(data, "stats.xlsx")
    assert doc.kind == "xlsx" and doc.text.split("\n")[:2] == ["政府信息公开统计", "3"]
    where = doc.locate(doc.text.index(needle))[2]
    assert where == place
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert needle in wb[where["sheet"]][where["cell"]].value


# --- doc ------------------------------------------------------------------------------------------------------
def test_doc_piece_table():
    data = make_doc(
        '我们是中华人民共合国的公民。\r第二段\x13 HYPERLINK "x" \x14链接文字\x15。\r', "脚注文字\r", "ABC\r"
    )
    doc = read(data, "old.doc")
    assert doc.kind == "doc"
    assert doc.text.split("\n")[:4] == ["我们是中华人民共合国的公民。", "第二段链接文字。", "ABC", "脚注文字"]
    assert doc.locate(doc.text.index("共合国")) == (1, 8, {"paragraph": 1})
    assert doc.locate(doc.text.index("脚注"))[2] == {"part": "footnotes", "paragraph": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_doc("加密的文档\r", encrypted=True), "加密"),
        (ole({"EncryptedPackage": b"x" * 5000}), "加密"),
        (ole({"Workbook": b"x" * 5000}), "xls"),
        (ole({"Other": b"x" * 5000}), "不是 Word"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "损坏"),
    ],
)
def test_doc_refused(data, message):
    with pytest.raises(ReadError, match=message):
        read(data, "old.doc")


# --- sniffing and bad input -----------------------------------------------------------------------------------
def test_sniff_by_content_then_extension(docx_bytes):
    assert sniff(docx_bytes, "draft.txt") == "docx"
    assert sniff(make_xlsx(), "noname") == "xlsx"
    assert sniff(b"%PDF-1.7\n...", "a.txt") == "pdf"
    assert sniff(make_doc("x\r"), "a.wps") == "doc"
    assert sniff(b"<!DOCTYPE html><html>", "a.txt") == "html"
    assert sniff("通知".encode(), "a.htm") == "html"
    assert sniff("通知".encode(), "a") == "text"
    assert sniff(b"not a zip", "a.docx") == "docx"
    assert sniff(b"\x89PNG\r\n\x1a\n....", "a.txt") == "image"  # by content
    assert sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ", "noname") == "image"
    assert sniff(b"RIFF\x10\x00\x00\x00WAVEfmt ", "a.wav") == "text"  # a RIFF that is no picture
    assert sniff(b"", "scan.JPG") == "image"  # by extension
    assert set(READERS) == {"text", "html", "docx", "pdf", "xlsx", "doc", "image"}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.docx", b"PK\x03\x04 garbage", "损坏"),
        ("a.docx", b"not a zip at all", "损坏"),
        ("a.xlsx", zip_of({"xl/workbook.xml": b"<broken"}), "损坏"),
        ("a.docx", zip_of({"word/document.xml": b"<w:document/>"}), "损坏"),
        ("a.zip", zip_of({"readme.txt": b"hello"}), "压缩包"),
        ("a.pdf", b"%PDF-1.4\n garbage", "PDF"),
        ("a.pdf", b"", "PDF"),
    ],
)
def test_bad_input_refused(name, data, message):
    with pytest.raises(ReadError, match=message):
        read(data, name)


@needs_shared
def test_truncated_files_refused(docx_bytes):
    with pytest.raises(ReadError):
        read(docx_bytes[: len(docx_bytes) // 2], "a.docx")
    pdf = (PDF_DIR / "hongze_2023_zfxxgk_annual_report.pdf").read_bytes()
    with pytest.raises(ReadError, match="不完整"):
        read(pdf[: len(pdf) // 2], "a.pdf")


def test_zip_bomb_refused(monkeypatch, docx_bytes):
    bomb = zip_of({"word/document.xml": b"<" + b"\0" * 30_000_000})
    with pytest.raises(ReadError, match="压缩炸弹"):
        read(bomb, "bomb.docx")
    import errscan.readers.ziputil as ziputil

    monkeypatch.setattr(ziputil, "MAX_UNZIPPED", 10_000)
    with pytest.raises(ReadError, match="解压后过大"):
        read(docx_bytes, "big.docx")


def test_encrypted_zip_member_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", b"<x/>")
    data = bytearray(buf.getvalue())
    data[6] |= 1  # local header flag: encrypted
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 1  # central directory flag
    with pytest.raises(ReadError, match="加密"):
        read(bytes(data), "a.docx")


def test_oversized_input_refused(monkeypatch):
    import errscan.readers as readers

    monkeypatch.setattr(readers, "MAX_INPUT_BYTES", 100)
    with pytest.raises(ReadError, match="过大"):
        read(b"x" * 101, "a.txt")


def test_import_is_light():
    code = (
        "import sys, errscan.readers; "
        "print(sorted(m for m in ('docx', 'pypdf', 'openpyxl', 'olefile', 'lxml', 'charset_normalizer') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
