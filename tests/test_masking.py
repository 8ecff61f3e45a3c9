"""Personal data planted in the inputs never leaves errscan unmasked (issue 15): every output format of `check`,
`fix --diff`, `explain`, an audit's outputs and its cache, the service's answers, errors and logs — searched byte
by byte for each planted value."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

ID = "11010519491231002X"
PHONE = "13912345678"
CARD = "6222021234567890128"  # a Luhn-valid UnionPay card number, next to its keyword
TEXT = f"我们要再接再励。联系人身份证号{ID}，手机{PHONE}，银行卡号{CARD}。\n"
PLANTED = (ID, PHONE, CARD)


def _no_planted(data: bytes, where: str) -> None:
    for value in PLANTED:
        assert value.encode() not in data, f"{value} in {where}"


def _docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = f"联系电话{PHONE}"
    document.core_properties.author = f"身份证{ID}"
    document.add_paragraph(TEXT)
    document.save(str(path))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planted")
    (root / "draft.txt").write_text(TEXT, encoding="utf-8")
    (root / "page.html").write_text(
        f"<html><head><title>咨询电话{PHONE}</title></head><body><p>{TEXT}</p></body></html>", encoding="utf-8"
    )
    _docx(root / "notice.docx")
    return root


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "errscan", *args], cwd=cwd, capture_output=True, timeout=120)


def test_planted_values_are_found(inputs: Path) -> None:
    """The test means something only if errscan sees each value: each is reported (masked)."""
    out = run("check", "-f", "json", ".", cwd=inputs)
    rules = {f["rule"] for f in json.loads(out.stdout)["findings"]}
    assert {"privacy/id-card", "privacy/mobile", "privacy/bank-card"} <= rules


@pytest.mark.parametrize("fmt", ["pretty", "json", "jsonl", "sarif", "csv", "github"])
def test_check_in_every_format(inputs: Path, fmt: str) -> None:
    for extra in ([], ["--no-privacy"], ["--min-severity", "error"]):
        out = run("check", "-f", fmt, *extra, ".", cwd=inputs)
        assert out.returncode in (0, 1), out.stderr
        _no_planted(out.stdout + out.stderr, f"check -f {fmt} {extra}")


def test_fix_diff_and_explain(inputs: Path) -> None:
    out = run("fix", "--diff", "draft.txt", cwd=inputs)
    assert out.returncode == 1 and b"+" in out.stdout
    _no_planted(out.stdout + out.stderr, "fix --diff")
    out = run("explain", TEXT.strip(), cwd=inputs)
    _no_planted(out.stdout + out.stderr, "explain")


def test_audit_outputs_and_cache(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run("audit", str(inputs), "--out", str(out), cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    _no_planted(proc.stdout + proc.stderr, "audit's terminal output")
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files) and any(p.name == "report.html" for p in files)
    for path in files:
        _no_planted(path.read_bytes(), str(path.relative_to(out)))


def test_service_answers_errors_and_logs(inputs: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A real server on 127.0.0.1 (tests/test_server.py's), the built-in lists."""
    pytest.importorskip("uvicorn")
    from test_server import call, running, upload

    from errscan.server import create_app

    caplog.set_level(logging.DEBUG)
    docx_bytes = (inputs / "notice.docx").read_bytes()
    with running(create_app()) as port:
        answers = [
            call(port, "POST", "/v1/check", {"text": TEXT}),
            call(port, "POST", "/v1/check", {"text": TEXT, "lists": ["typo"]}),
            call(port, "POST", "/v1/check", {"text": TEXT, "lists": [f"x{ID}"]}),
            call(port, "POST", "/v1/check", {"text": TEXT, ID: PHONE}),
            call(port, "POST", "/v1/check", f'{{"text": "{PHONE}'.encode(), {"Content-Type": "application/json"}),
            upload(port, "notice.docx", docx_bytes, query="?with_text=true", lists="typo"),
            upload(port, f"{PHONE}.txt", TEXT.encode(), query="?with_text=true"),
            upload(port, f"{ID}.docx", b"PK\x03\x04 broken"),
        ]
    assert [a.status for a in answers] == [200, 200, 422, 422, 422, 200, 200, 422]
    for k, answer in enumerate(answers):
        _no_planted(answer.body, f"answer {k} ({answer.status})")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    _no_planted(logged.encode(), "the service's log")
