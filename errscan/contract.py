"""The JSON contract, declared once: a finding's fields (what `Finding.to_dict()` gives, in its order) and a
`documents` entry. `check -f json`/`jsonl`, the audit's findings.jsonl and the server's answers all follow it;
the server's pydantic model (its OpenAPI schema) is built from the same declaration.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from errscan.model import Severity

SEVERITIES = tuple(s.label for s in sorted(Severity, reverse=True))  # error, warning, info


@dataclass(frozen=True)
class FieldSpec:
    """One field of a JSON object: its name, JSON type (string, integer, string[], object; string?: a string
    or null), what it means."""

    name: str
    type: str
    zh: str
    en: str
    choices: tuple[str, ...] = ()  # a string that takes only these values


FINDING_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("path", "string", "文件路径或网址（按给出的写法）", "the input's path or URL, as given"),
    FieldSpec("line", "integer", "行号，从 1 起；有源文件时（如网页的源码）为源文件中的行",
              "1-based line, in the source file where one exists (an HTML page's source)"),
    FieldSpec("column", "integer", "列号，从 1 起，按码位计", "1-based column, in code points"),
    FieldSpec("offset", "integer", "0 起的码位偏移（Unicode code points），在解码后的正文中",
              "0-based code-point offset in the decoded text"),
    FieldSpec("length", "integer", "问题文字的长度（码位数）", "length of the text found, in code points"),
    FieldSpec("text", "string", "问题文字（个人信息已打码）", "the text found (personal data masked)"),
    FieldSpec("suggestions", "string[]", "建议改为（可为空）", "suggested replacements (possibly none)"),
    FieldSpec("rule", "string", "规则编号：词表编号/词语，如 core/再接再励",
              "rule id: list id/term, e.g. core/再接再励"),
    FieldSpec("list", "string", "词表编号（个人信息检测为 privacy）",
              "the list's id (privacy for the personal-data detector)"),
    FieldSpec("category", "string", "类别，如 typo（错别字）、serious（严重错误）", "category, e.g. typo, serious"),
    FieldSpec("severity", "string", "级别", "severity", SEVERITIES),
    FieldSpec("message", "string", "说明", "explanation for the reader"),
    FieldSpec("context", "string", "上下文：问题文字前后的原文", "the surrounding text"),
    FieldSpec("location", "object", "在文档中的位置，如页、段、表格单元格；纯文本为空对象",
              "where in the document: page, paragraph, table cell …; {} for plain text"),
    FieldSpec("fix", "string?", "可放心自动替换的改法（errscan fix 与网页“全部采纳”所用），"
              "替换 offset 起 length 个码位；"
              "没有则为 null", "the safe replacement `errscan fix` applies to the length code points at offset; "
              "null when there is none"),
)
FINDING_KEYS = tuple(f.name for f in FINDING_FIELDS)


def document_dict(name: str, kind: str, metadata: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """One `documents` entry: {name: {"kind": kind, title, date, encoding …}} (the kind first, then the
    reader's metadata as it gives it). Entries merge with `|`."""
    return {name: {"kind": kind, **{k: v for k, v in metadata.items() if k != "kind"}}}


def documents_dict(documents: Iterable[tuple[str, Mapping[str, str]]]) -> dict[str, dict[str, str]]:
    """A report's `documents` from its (name, {"kind": …, **metadata}) pairs (`Report.documents`)."""
    out: dict[str, dict[str, str]] = {}
    for name, meta in documents:
        out.update(document_dict(name, meta.get("kind", "text"), meta))
    return out


@functools.cache
def finding_model() -> Any:
    """The finding as a pydantic model (the server's FindingOut), built once from FINDING_FIELDS."""
    from typing import Literal

    from pydantic import Field, create_model

    types: dict[str, Any] = {"string": str, "string?": str | None, "integer": int, "string[]": list[str],
                             "object": dict[str, object]}
    fields: dict[str, Any] = {}
    for spec in FINDING_FIELDS:
        kind = Literal[spec.choices] if spec.choices else types[spec.type]  # type: ignore[valid-type]
        fields[spec.name] = (kind, Field(description=spec.zh))
    return create_model("FindingOut", __doc__="一处问题（与 `errscan check --format json` 的 findings 相同）", **fields)
