"""Reader throughput (MB/s of input) on the shared corpus and on generated large .docx/.xlsx/.doc files.

python bench/bench_readers.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from errscan.readers import read  # noqa: E402

PARAGRAPH = (
    "为贯彻落实党中央、国务院关于加强全国网络安全和信息化工作有关部署，推进政府网站互联互通融合发展，现就开展试点工作。"
)


def big_docx(paragraphs: int = 5000) -> bytes:
    import docx

    d = docx.Document()
    for k in range(paragraphs):
        p = d.add_paragraph(PARAGRAPH[:30])
        p.add_run(PARAGRAPH[30:]).bold = k % 2 == 0
    table = d.add_table(rows=200, cols=5)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"第{r}行第{c}列：{PARAGRAPH[:20]}"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def big_xlsx(rows: int = 20000, cols: int = 8) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    for r in range(rows):
        ws.append([f"{PARAGRAPH[: 10 + c]}{r}" if c % 2 == 0 else r * c for c in range(cols)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def big_doc(paragraphs: int = 400) -> bytes:  # the test OLE writer holds up to 64 KB
    from readers_fixtures import make_doc

    return make_doc("\r".join([PARAGRAPH] * paragraphs) + "\r")


def inputs() -> dict[str, list[tuple[str, bytes]]]:
    corpus = SHARED / "corpus"
    text_files = sorted((corpus / "clean" / "national_reports").glob("*"))[:20]
    gbk = [(p.name + " (GBK)", p.read_bytes().decode("utf-8").encode("gb18030")) for p in text_files[:10]]
    return {
        "text": [(p.name, p.read_bytes()) for p in text_files] + gbk,
        "html": [(p.name, p.read_bytes()) for p in sorted((corpus / "html").glob("*/*.html"))],
        "pdf": [(p.name, p.read_bytes()) for p in sorted((corpus / "pdf").glob("*.pdf"))],
        "docx": [("generated.docx", big_docx())],
        "xlsx": [("generated.xlsx", big_xlsx())],
        "doc": [("generated.doc", big_doc())],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'reader':6} {'files':>5} {'input MB':>9} {'chars':>10} {'best s':>8} {'MB/s':>7} {'Mchar/s':>8}")
    for kind, files in inputs().items():
        size = sum(len(data) for _, data in files)
        best = float("inf")
        chars = 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            chars = sum(len(read(data, name).text) for name, data in files)
            best = min(best, time.perf_counter() - start)
        print(
            f"{kind:6} {len(files):5} {size / 1e6:9.2f} {chars:10} {best:8.3f} {size / 1e6 / best:7.2f}"
            f" {chars / 1e6 / best:8.2f}"
        )


if __name__ == "__main__":
    main()
