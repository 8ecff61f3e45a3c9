"""Text inside scans and pictures (errscan[ocr]): images drawn here with a Chinese font, holding a serious error
and an ID number, as an image file, a scanned PDF, a picture in a Word file and an image attachment of a site;
found, located and masked. Without the extra: the clear message and exit 3."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("rapidocr_onnxruntime", reason="errscan[ocr] is not installed")

AN_ID = "11010519491231002X"
LINES = ("关于做好安全生产工作的通知", "贯彻落实中华人民共合国安全生产法", f"联系人身份证号：{AN_ID}")


def cjk_font() -> str:
    out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    fonts = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
    sans = [f for f in fonts if "zenhei" in f.lower() or "sans" in f.lower()]
    assert sans or fonts, "no Chinese font (.ci/run installs fonts-wqy-zenhei)"
    return (sans or fonts)[0]


def scan(fmt: str = "PNG") -> bytes:
    """A page with three lines of text, as a scanner would give it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1240, 420), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(cjk_font(), 36)
    for n, line in enumerate(LINES):
        draw.text((60, 60 + 110 * n), line, fill="black", font=font)
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def check(path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "errscan", "check", str(path), "-f", "json", *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)


def found(out: subprocess.CompletedProcess[str]) -> list[tuple[str, dict]]:
    return [(f["rule"], f["location"]) for f in json.loads(out.stdout)["findings"]]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import docx

    root = tmp_path_factory.mktemp("ocr")
    png = root / "公示.png"
    png.write_bytes(scan())
    pdf = root / "扫描件.pdf"
    pdf.write_bytes(scan("PDF"))  # Pillow's PDF: one picture a page, no text layer
    document = docx.Document()
    document.add_paragraph("关于做好工作的通知")
    document.add_picture(str(png))
    document.add_paragraph("请各单位再接再励。")
    word = root / "通知.docx"
    document.save(str(word))
    return {"png": png, "pdf": pdf, "docx": word}


def test_an_image_file(files: dict[str, Path]) -> None:
    out = check(files["png"])
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    rules = found(out)
    assert [r for r, _ in rules] == ["serious/中华人民共合国", "privacy/id-card"]
    serious, private = doc["findings"]
    assert (serious["line"], serious["column"], serious["text"]) == (2, 5, "中华人民共合国")
    assert serious["location"]["line"] == 2 and serious["location"]["ocr"] is True
    x0, y0, x1, y1 = serious["location"]["box"]  # the recognised line's box, in the image's pixels
    assert 40 <= x0 <= 80 and 150 <= y0 <= 190 and x1 > 500 and y1 - y0 < 60
    assert private["text"] == "110105********002X" and AN_ID not in out.stdout
    assert doc["documents"][str(files["png"])] == {"kind": "image", "ocr": "rapidocr"}


def test_a_scanned_pdf(files: dict[str, Path]) -> None:
    out = check(files["pdf"])
    assert out.returncode == 1, out.stderr
    assert found(out)[0][0] == "serious/中华人民共合国"
    location = found(out)[0][1]
    assert (location["page"], location["line"], location["ocr"]) == (1, 2, True)
    pretty = subprocess.run([sys.executable, "-m", "errscan", "check", str(files["pdf"]), "--no-color"],
                            capture_output=True, text=True, timeout=300).stdout
    assert "第1页第2行" in pretty and AN_ID not in pretty


def test_a_picture_in_a_word_file(files: dict[str, Path]) -> None:
    out = check(files["docx"])
    assert [(r, loc.get("part"), loc.get("image"), loc.get("line")) for r, loc in found(out)] == [
        ("typo/再接再励", None, None, None),
        ("serious/中华人民共合国", "image", 1, 2),
        ("privacy/id-card", "image", 1, 3),
    ]


def test_without_the_extra_a_scan_is_unreadable_with_the_way_out(files: dict[str, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['rapidocr_onnxruntime'] = None\n")
    env = {"PYTHONPATH": str(blocker)}
    for key, what in (("pdf", "PDF 中没有可提取的文字（可能是扫描件或图片），"), ("png", "图片中的文字")):
        out = check(files[key], env=env)
        assert out.returncode == 3, out.stderr
        [error] = json.loads(out.stdout)["summary"]["errors"]
        assert error["message"] == f"{what}需要文字识别（OCR）才能检查，未检查；安装：pip install 'errscan[ocr]'"
    word = check(files["docx"], env=env)  # its text is read; the picture is not: nothing to say it was
    assert [r for r, _ in found(word)] == ["typo/再接再励"]
    folder = tmp_path / "稿件"
    folder.mkdir()
    (folder / "a.png").write_bytes(files["png"].read_bytes())
    (folder / "b.txt").write_text("再接再励", encoding="utf-8")
    walked = check(folder, env=env)  # inside a folder, a picture OCR cannot read is passed over
    assert walked.returncode == 1 and json.loads(walked.stdout)["summary"]["errors"] == []


def test_a_broken_or_huge_image_is_an_error(tmp_path: Path) -> None:
    from errscan.readers import ReadError, read

    with pytest.raises(ReadError, match="图片无法打开"):
        read(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "a.png")
    from PIL import Image

    big = io.BytesIO()
    Image.new("1", (8000, 6000)).save(big, "PNG")  # 48 megapixels: refused before it is decoded
    with pytest.raises(ReadError, match="图片过大"):
        read(big.getvalue(), "b.png")


def test_an_image_attachment_of_a_site(files: dict[str, Path]) -> None:
    import http.server
    import threading

    png = files["png"].read_bytes()
    index = ('<html><body><p>公示名单见附件。</p><a href="/files/gs.png">公示名单</a>'
             '<p><img src="/img/scan.png" alt="公示"><img src="/img/icon.png" width="16" height="16">'
             '<img src="/img/gone.png"></p></body></html>').encode()
    asked: list[str] = []

    class Site(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            body, kind = {"/": (index, "text/html; charset=utf-8"), "/files/gs.png": (png, "image/png"),
                          "/img/scan.png": (png, "image/png")}.get(self.path, (b"", ""))
            self.send_response(200 if body else 404)
            if kind:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        out = subprocess.run([sys.executable, "-m", "errscan", "crawl", base + "/", "--delay", "0", "-f", "json"],
                             capture_output=True, text=True, timeout=300)
    finally:
        httpd.shutdown()
        httpd.server_close()
    doc = json.loads(out.stdout)
    got = [(f["path"], f["rule"], f["location"].get("line")) for f in doc["findings"]]
    assert got == [  # the linked picture, then the one the page shows
        (base + "/files/gs.png", "serious/中华人民共合国", 2), (base + "/files/gs.png", "privacy/id-card", 3),
        (base + "/img/scan.png", "serious/中华人民共合国", 2), (base + "/img/scan.png", "privacy/id-card", 3)]
    assert AN_ID not in out.stdout
    assert "/img/icon.png" not in asked  # declared 16 px: an icon
    assert "/img/gone.png" in asked and doc["summary"]["errors"] == []  # a picture that does not come: passed over
