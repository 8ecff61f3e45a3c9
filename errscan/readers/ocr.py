"""Text inside images: image files, the pages of a scanned PDF, the pictures of a Word file.

With the optional extra `errscan[ocr]` (rapidocr-onnxruntime, Apache-2.0: its PP-OCRv4 models are inside the
wheel, so nothing is downloaded at run time) each image's text lines are recognised, top to bottom, and each
line keeps its place: {"line": n, "box": [x0, y0, x1, y1]} in the image's pixels (with the page of a PDF,
the picture's number in a Word file). Lines the recogniser is unsure of (score below MIN_SCORE) are left out;
a finding in recognised text says so (its location has "ocr": true). Without the extra, an image to be read is
a ReadError that says how to install it: never a clean report for text nobody read.
"""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Iterable

from errscan.model import Document
from errscan.readers.segments import Builder
from errscan.readers.text import ReadError

INSTALL = "pip install 'errscan[ocr]'"
MIN_SCORE = 0.5
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MIN_SIDE = 16  # smaller pictures (icons, rules) hold no text worth reading
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


def available() -> bool:
    """Is the OCR extra installed?"""
    try:
        return importlib.util.find_spec("rapidocr_onnxruntime") is not None
    except (ValueError, ImportError):  # blocked (sys.modules entry None) or broken
        return False


def is_image(data: bytes) -> bool:
    return data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def missing(what: str) -> ReadError:
    return ReadError(f"{what}需要文字识别（OCR）才能检查，未检查；安装：{INSTALL}")


@functools.cache
def _engine():  # type: ignore[no-untyped-def]
    import logging

    from rapidocr_onnxruntime import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # its progress lines are not the clerk's
    return RapidOCR()


def recognise(data: bytes) -> list[tuple[str, list[int], float]]:
    """(text, [x0, y0, x1, y1], score) of each line recognised in an image, top to bottom, left to right."""
    import warnings

    import numpy as np
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ReadError(f"图片过大（{image.width}×{image.height} 像素），未检查")
            image.load()
    except ReadError:
        raise
    except Exception as exc:  # PIL's UnidentifiedImageError, a truncated file, a bomb
        raise ReadError(f"图片无法打开（{type(exc).__name__}），未检查") from None
    if min(image.width, image.height) < MIN_SIDE:
        return []
    found, _ = _engine()(np.asarray(image.convert("RGB")))
    lines = []
    for box, text, score in found or ():
        if float(score) < MIN_SCORE or not str(text).strip():
            continue
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        lines.append((str(text).strip(), [round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys))],
                      float(score)))
    lines.sort(key=lambda t: (t[1][1] // 10, t[1][0]))  # rows first (10 px tolerance), then left to right
    return lines


def add_lines(out: Builder, lines: Iterable[tuple[str, list[int], float]], where: dict[str, object]) -> int:
    """Each recognised line into `out`, located; the number of lines added."""
    n = 0
    for n, (text, box, _) in enumerate(lines, 1):
        out.add(text, {**where, "line": n, "box": box, "ocr": True}, end="\n")
    return n


def read(data: bytes) -> Document:
    """An image file (PNG, JPEG, GIF, BMP, TIFF, WebP): the text recognised in it."""
    if not available():
        raise missing("图片中的文字")
    out = Builder()
    add_lines(out, recognise(data), {})
    text, locator = out.build()
    return Document(text, "image", {"ocr": "rapidocr"}, locator)
