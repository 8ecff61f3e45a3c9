"""The JSON contract declared once (errscan.contract): the finding's fields, the pydantic model built from them,
and the `documents` entries, checked against real findings and the JSON reporter."""

from __future__ import annotations

import io
import json

import pytest

from errscan import Scanner
from errscan.contract import FINDING_FIELDS, FINDING_KEYS, document_dict, documents_dict, finding_model
from errscan.model import Report
from errscan.readers import read

TEXT = "我们要再接再励，联系电话13912345678。"
HTML = "<html><head><title>通知</title></head><body><p>我们要再接再励。</p></body></html>"


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


@pytest.fixture(scope="module")
def findings(scanner: Scanner) -> list:
    found = scanner.scan_text(TEXT)
    assert {f.category for f in found} >= {"typo", "privacy"}
    return found


def test_declaration_is_the_to_dict_keys(findings: list) -> None:
    for f in findings:
        assert tuple(f.to_dict()) == FINDING_KEYS
    assert all(spec.zh and spec.en for spec in FINDING_FIELDS)
    assert {spec.type for spec in FINDING_FIELDS} <= {"string", "string?", "integer", "string[]", "object"}


def test_model_fields_in_order(findings: list) -> None:
    pytest.importorskip("pydantic")
    model = finding_model()
    assert model is finding_model()  # built once
    assert model.__name__ == "FindingOut"
    assert list(model.model_fields) == list(findings[0].to_dict())


def test_model_validates_real_findings(findings: list) -> None:
    pytest.importorskip("pydantic")
    from pydantic import ValidationError

    model = finding_model()
    for f in findings:
        d = f.to_dict()
        assert model.model_validate(d).model_dump() == d
        assert model.model_validate_json(json.dumps(d, ensure_ascii=False)).model_dump(mode="json") == d
    with pytest.raises(ValidationError):
        model.model_validate({**findings[0].to_dict(), "severity": "fatal"})
    schema = model.model_json_schema()
    assert schema["properties"]["severity"]["enum"] == ["error", "warning", "info"]
    assert schema["properties"]["offset"]["description"].startswith("0 起的码位偏移")


def test_document_dict() -> None:
    assert document_dict("a.html", "html", {"title": "通知", "encoding": "utf-8"}) == {
        "a.html": {"kind": "html", "title": "通知", "encoding": "utf-8"}
    }
    assert list(document_dict("a", "pdf", {"kind": "text", "date": "2019-03-05"})["a"]) == ["kind", "date"]
    assert documents_dict([("a", {"kind": "html"}), ("b", {"kind": "text"})]) == (
        document_dict("a", "html", {}) | document_dict("b", "text", {})
    )


def test_json_reporter_documents_are_document_dict(scanner: Scanner) -> None:
    from errscan.reporters import render

    docs = {"a.txt": read(TEXT.encode("utf-8"), "a.txt"), "b.html": read(HTML.encode("utf-8"), "b.html")}
    findings = [f for name, doc in docs.items() for f in scanner.scan_document(doc, name)]
    report = Report(
        tuple(findings), files=2, documents=tuple((name, {"kind": d.kind, **d.metadata}) for name, d in docs.items())
    )
    out = io.StringIO()
    render("json", report, out)
    doc = json.loads(out.getvalue())
    want: dict[str, dict[str, str]] = {}
    for name, d in docs.items():
        want |= document_dict(name, d.kind, d.metadata)
    assert doc["documents"] == want
    assert doc["documents"]["b.html"]["kind"] == "html" and doc["documents"]["b.html"]["title"] == "通知"
    assert [tuple(f) for f in doc["findings"]] == [FINDING_KEYS] * len(findings)
