"""`--format sarif`: SARIF 2.1.0, for code-scanning tools (GitHub code scanning, IDE viewers).

One run; one rule per rule id that occurs; columns in Unicode code points (`columnKind`), end column
exclusive. `charOffset`/`charLength` are given only for plain-text inputs, where the offset counts in the file
itself; for an HTML page line/column are in its source but offsets are in the visible text, so they are left
out, and for Word/PDF/Excel the region is in the extracted text (the page, paragraph or cell is in
`properties.location`). Unreadable inputs are tool execution notifications, and make the run unsuccessful.
Only what the pipeline already masked is shown: finding.text, context and message.
"""

from __future__ import annotations

import gc
import json
import re
from typing import IO
from urllib.parse import quote

from errscan.model import Finding, Report, Severity, category_zh, where_zh

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PRIVACY_ZH = {
    "id-card": "居民身份证号码",
    "id-card-15": "15位居民身份证号码",
    "mobile": "手机号码",
    "bank-card": "银行卡号",
    "uscc-check": "统一社会信用代码校验码",
}
_SAFE = "/:@!$&'()*+,;=-._~%?#[]"  # reserved and unreserved characters stay; spaces and non-ASCII are encoded
FIXABLE_KINDS = ("text", "html")  # kinds whose region is a span of the file itself


_ESCAPE = re.compile(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})")


def uri(path: str) -> str:
    """A URI reference for a path as given (relative stays relative) or a URL; non-ASCII percent-encoded. The
    escapes of a name that is not text (errscan.inputs.display_name: \\xff, \\u001b) become the bytes they stand
    for, percent-encoded as the file system has them."""
    if "://" in path:
        return quote(path, safe=_SAFE)
    if "\\x" in path or "\\u" in path:
        raw = bytearray()
        at = 0
        for m in _ESCAPE.finditer(path):
            raw += path[at : m.start()].replace("\\", "/").encode("utf-8")
            raw += bytes([int(m[1], 16)]) if m[1] else chr(int(m[2], 16)).encode("utf-8", "surrogatepass")
            at = m.end()
        raw += path[at:].replace("\\", "/").encode("utf-8")
        return quote(bytes(raw), safe="/:@!$&'()*+,;=-._~")
    return quote(path.replace("\\", "/"), safe="/:@!$&'()*+,;=-._~")


def end_position(f: Finding) -> tuple[int, int]:
    """(endLine, endColumn) of a finding, the column exclusive, from its start and its text."""
    if "\n" in f.text:
        return f.line + f.text.count("\n"), len(f.text) - f.text.rfind("\n")
    return f.line, f.column + f.length


def region(f: Finding, kind: str) -> dict[str, int]:
    end_line, end_column = end_position(f)
    reg = {"startLine": f.line, "startColumn": f.column, "endLine": end_line, "endColumn": end_column}
    if kind == "text":
        reg |= {"charOffset": f.offset, "charLength": f.length}
    return reg


def describe(f: Finding) -> str:
    """A rule's short description: its category and the listed form (never a personal value)."""
    head, _, name = f.rule.partition("/")
    if f.category == "privacy" or head == "privacy":
        return f"{category_zh('privacy')}：{PRIVACY_ZH.get(name, name or f.rule)}"
    text = f"{category_zh(f.category)}：{name or f.rule}"
    if f.suggestions:
        text += " → " + " / ".join(f.suggestions)
    return text


def _rules(report: Report) -> tuple[list[dict[str, object]], dict[str, int]]:
    first: dict[str, Finding] = {}
    level: dict[str, Severity] = {}
    for f in report.findings:
        first.setdefault(f.rule, f)
        level[f.rule] = max(level.get(f.rule, f.severity), f.severity)
    rules = []
    for rule_id, f in first.items():
        rules.append({
            "id": rule_id,
            "shortDescription": {"text": describe(f)},
            "defaultConfiguration": {"level": LEVEL[level[rule_id]]},
            "properties": {"category": f.category, "list": f.list_id},
        })
    return rules, {rule_id: i for i, rule_id in enumerate(first)}


def result(f: Finding, kind: str, rule_index: int) -> dict[str, object]:
    artifact = {"uri": uri(f.path)}
    reg = region(f, kind)
    res: dict[str, object] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": reg}}],
        "partialFingerprints": {"errscan/v1": f.fingerprint()},
    }
    if f.fix is not None and kind in FIXABLE_KINDS:
        res["fixes"] = [{
            "description": {"text": f"改为“{f.fix}”"},
            "artifactChanges": [{
                "artifactLocation": dict(artifact),
                "replacements": [{"deletedRegion": dict(reg), "insertedContent": {"text": f.fix}}],
            }],
        }]
    props: dict[str, object] = {"category": f.category, "suggestions": list(f.suggestions)}
    if f.location:
        props["location"] = dict(f.location)
        props["where"] = where_zh(f.location)  # 第3页第12行, 工作表“花名册”C2
    res["properties"] = props
    return res


def sarif(report: Report) -> dict[str, object]:
    """The SARIF log as a dict."""
    enabled = gc.isenabled()
    gc.disable()  # a burst of small dicts, none of them cyclic: 60,000 results built in 0.7 s instead of 2.7 s
    try:
        return _sarif(report)
    finally:
        if enabled:
            gc.enable()


def _sarif(report: Report) -> dict[str, object]:
    from errscan._version import __version__

    kinds = {path: meta.get("kind", "text") for path, meta in report.documents}
    rules, index = _rules(report)
    notifications = [
        {
            "level": "error",
            "message": {"text": f"无法检查：{e.message}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(e.path)}}}],
        }
        for e in report.errors
    ]
    run: dict[str, object] = {
        "tool": {"driver": {
            "name": "errscan",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "invocations": [{"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}],
        "columnKind": "unicodeCodePoints",
        "results": [result(f, kinds.get(f.path, "text"), index[f.rule]) for f in report.findings],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, out: IO[str]) -> None:
    """Indented, except that each result is one line: json's C encoder only runs without indent (60,000
    results: 3 s instead of 15 s, 40 MB instead of 100 MB), and a result a line still reads and greps well."""
    log = sarif(report)
    run = log["runs"][0]  # type: ignore[index]
    results, run["results"] = run["results"], []
    head, sep, tail = json.dumps(log, ensure_ascii=False, indent=2).rpartition('"results": []')
    if not sep:  # cannot happen (the key is never inside a string: its quotes would be escaped)
        run["results"] = results
        json.dump(log, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    indent = " " * (len(head) - head.rfind("\n") - 1)
    out.write(head)
    if results:
        out.write('"results": [\n')
        out.write(",\n".join(indent + "  " + json.dumps(r, ensure_ascii=False) for r in results))
        out.write("\n" + indent + "]")
    else:
        out.write(sep)
    out.write(tail + "\n")
