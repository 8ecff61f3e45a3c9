"""`--format json` (one document) and `--format jsonl` (one finding a line), as errscan.contract declares them."""

from __future__ import annotations

import json
from typing import IO

from errscan.contract import documents_dict
from errscan.model import Report

VERSION = 1


def render(report: Report, out: IO[str]) -> None:
    doc = {
        "version": VERSION,
        "findings": [f.to_dict() for f in report.findings],
        "summary": report.summary(),
        "documents": documents_dict(report.documents),
    }
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")


def render_lines(report: Report, out: IO[str]) -> None:
    for f in report.findings:
        out.write(json.dumps(f.to_dict(), ensure_ascii=False))
        out.write("\n")
