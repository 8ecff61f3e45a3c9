"""Builders for reader fixtures: .docx with footnotes and a text box, a minimal OLE .doc, zips."""

from __future__ import annotations

import io
import struct
import zipfile

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="{W_NS}">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:t>脚注：依据《中华人民</w:t></w:r>
<w:r><w:t>共合国宪法》</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""
TEXTBOX = (
    '<w:p xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:t>锚定段落</w:t></w:r><w:r><mc:AlternateContent>'
    '<mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>文本框里的再接</w:t></w:r>'
    "<w:r><w:t>再励</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
    "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框里的再接再励</w:t></w:r>"
    "</w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
)


def make_docx() -> bytes:
    """Body paragraphs (a word split across runs), a table with a merged and a nested cell, header, footer,
    a footnote (written as XML: python-docx cannot) and a text box (DrawingML with a VML fallback)."""
    import docx

    d = docx.Document()
    d.add_paragraph("第一段：总体要求。")
    p = d.add_paragraph("我们是中华人民")
    p.add_run("共合").bold = True
    p.add_run("国的公民。")
    t = d.add_table(rows=2, cols=3)
    t.cell(0, 0).text = "表头"
    t.cell(0, 1).merge(t.cell(0, 2)).text = "合并单元格"
    t.cell(1, 2).text = "表格里的再接再励"
    t.cell(1, 0).add_table(rows=1, cols=2).cell(0, 1).text = "嵌套表格里的笔划"
    d.add_paragraph("最后一段。")
    d.sections[0].header.paragraphs[0].text = "页眉：国务院办公厅"
    d.sections[0].footer.paragraphs[0].text = "页脚：第 1 页"
    buf = io.BytesIO()
    d.save(buf)
    return _add_parts(buf.getvalue())


def _add_parts(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"</Types>",
                    b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
                )
            elif info.filename == "word/_rels/document.xml.rels":
                body = body.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdFn1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/footnotes" Target="footnotes.xml"/></Relationships>',
                )
            elif info.filename == "word/document.xml":
                body = body.replace(b"<w:sectPr", TEXTBOX.encode("utf-8") + b"<w:sectPr", 1)
            z.writestr(info.filename, body)
        z.writestr("word/footnotes.xml", FOOTNOTES.encode("utf-8"))
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


# --- a minimal OLE compound file (CFB v3), enough for olefile -----------------------------------------------
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def ole(streams: dict[str, bytes]) -> bytes:
    """A compound file holding the given streams (each padded to 4096 bytes: no mini stream)."""
    names = list(streams)
    bodies = [streams[n].ljust(max(4096, -(-len(streams[n]) // 512) * 512), b"\0") for n in names]
    fat = [FATSECT, END]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for body in bodies:
        first = len(fat)
        count = len(body) // 512
        starts.append(first)
        fat.extend([*range(first + 1, first + count), END])
    assert len(fat) <= 128 and len(names) <= 3
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, END, 0, END, 0)
    difat = [0] + [FREE] * 108
    struct.pack_into("<109I", header, 76, *difat)
    fat_sector = struct.pack("<128I", *(fat + [FREE] * (128 - len(fat))))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        e = bytearray(128)
        e[0 : len(raw)] = raw
        struct.pack_into("<HBBIII", e, 64, len(raw), kind, 1, FREE, right, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    directory = entry("Root Entry", 5, 1, FREE, END, 0)
    for k, name in enumerate(names):
        right = k + 2 if k + 1 < len(names) else FREE
        directory += entry(name, 2, FREE, right, starts[k], len(bodies[k]))
    directory = directory.ljust(512, b"\0")
    return bytes(header) + fat_sector + directory + b"".join(bodies)


def make_doc(main: str, footnotes: str = "", ascii_tail: str = "", encrypted: bool = False) -> bytes:
    """A Word 97 .doc: `main` as a UTF-16 piece, `ascii_tail` (appended to the main text) as a cp1252 piece."""
    word = bytearray(0x800)
    struct.pack_into("<HH", word, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", word, 0x0A, 0x0200 | (0x0100 if encrypted else 0))
    utf16 = (main + footnotes).encode("utf-16-le")
    word += utf16
    tail_offset = len(word)
    word += ascii_tail.encode("cp1252")
    main_len = len(main) + len(ascii_tail)
    # story order is main, footnotes: put the cp1252 tail piece right after main's UTF-16 piece
    cps = [0, len(main), len(main) + len(ascii_tail), main_len + len(footnotes)]
    pcds = [
        (0x800, False),
        (tail_offset, True),
        (0x800 + 2 * len(main), False),
    ]
    plc = struct.pack(f"<{len(cps)}I", *cps)
    for fc, compressed in pcds:
        plc += struct.pack("<HIH", 0, (fc * 2) | 0x40000000 if compressed else fc, 0)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    table = bytes(clx)
    struct.pack_into("<II", word, 0x4C, main_len, len(footnotes))
    struct.pack_into("<II", word, 0x1A2, 0, len(clx))
    return ole({"WordDocument": bytes(word), "1Table": table})
