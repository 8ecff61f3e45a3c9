"""One way through: every command checks a case folder the same way, and finds what its expected.tsv says.

A case is a folder under tests/cases/: `docs/` (a `.errscan.yaml`, drafts in text, Markdown and HTML with inline
directives, an office list, excluded files), `expected.tsv` (file, rule, severity, line, column, whether `fix`
changes it) and `verdict.tsv` (pass or fail, and the findings below min_severity that are counted, not listed).
`errscan check`, the plan of `errscan fix`, `errscan audit -j 1`, `audit --engine dask`, `errscan crawl` of the
folder served on 127.0.0.1 and the HTTP API started with that configuration must all agree with it.
"""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import TESTS

from errscan.run import Runner

CASES = sorted(p for p in (TESTS / "cases").iterdir() if (p / "docs").is_dir())
Found = set[tuple[str, str, str, int, int]]  # (file relative to docs/, rule, severity, line, column)


def expected(case: Path) -> tuple[Found, set[tuple[str, str, int, int]]]:
    """What every command must report, and the (file, rule, line, column) that `fix` changes."""
    found, fixed = set(), set()
    for line in (case / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            file, rule, severity, ln, col, fix = line.split("\t")
            found.add((file, rule, severity, int(ln), int(col)))
            if fix == "fix":
                fixed.add((file, rule, int(ln), int(col)))
    return found, fixed


def verdict(case: Path) -> tuple[bool, dict[str, int]]:
    rows = dict(line.split("\t", 1) for line in (case / "verdict.tsv").read_text(encoding="utf-8").splitlines())
    hidden = {k: int(n) for k, _, n in (p.partition("=") for p in rows["hidden"].split(",") if p)}
    return rows["verdict"] == "fail", hidden


def documents(case: Path) -> list[Path]:
    """The case's documents as the run layer walks them: excluded files and office lists left out."""
    from errscan.inputs import expand

    runner = Runner()
    return [s.path for s in expand([str(case / "docs")]) if s.path and not runner.skips(s.path, named=False)]


def rel(case: Path, path: str) -> str:
    path = path.removeprefix("./")
    docs = str((case / "docs").resolve())
    return path[len(docs) + 1 :] if path.startswith(docs + "/") else path


def found_of(case: Path, findings: list[dict]) -> Found:  # type: ignore[type-arg]
    return {(rel(case, f["path"]), f["rule"], f["severity"], f["line"], f["column"]) for f in findings}


# --- each command --------------------------------------------------------------------------------------------
def via_check(case: Path, tmp_path: Path) -> tuple[Found, bool, dict[str, int]]:
    proc = subprocess.run(
        [sys.executable, "-m", "errscan", "check", "-f", "json", "."], cwd=case / "docs", capture_output=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()
    body = json.loads(proc.stdout)
    return found_of(case, body["findings"]), proc.returncode == 1, body["summary"]["hidden"]


def via_audit(case: Path, tmp_path: Path, engine: str = "process") -> tuple[Found, bool, dict[str, int]]:
    from errscan.audit import AuditOptions, run_audit

    out = tmp_path / f"audit-{engine}"
    options = AuditOptions(out=out, jobs=1 if engine == "process" else 2, engine=engine, progress=False)
    import io

    code = run_audit([str(case / "docs")], options, stderr=io.StringIO())
    assert code in (0, 1)
    lines = (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return found_of(case, [json.loads(line) for line in lines]), code == 1, summary["hidden"]


def via_api(case: Path, tmp_path: Path) -> tuple[Found, bool, dict[str, int]]:
    pytest.importorskip("fastapi")
    from test_server import running, upload

    from errscan.server import create_app, runner_factory

    found: Found = set()
    failed, hidden = False, {}
    with running(create_app(runner_factory(case / "docs" / ".errscan.yaml"))) as port:
        for doc in documents(case):
            name = str(doc.relative_to(case / "docs"))
            answer = upload(port, name, doc.read_bytes())
            assert answer.status == 200, answer.json
            found |= found_of(case, answer.json["findings"])
            failed = failed or answer.json["verdict"] == "fail"
            for k, n in answer.json["summary"]["hidden"].items():
                hidden[k] = hidden.get(k, 0) + n
    return found, failed, hidden


@contextmanager
def site(case: Path) -> Iterator[str]:
    """The case's documents on 127.0.0.1, linked from a home page with nothing to report."""
    docs = documents(case)
    hrefs = [urllib.parse.quote(str(d.relative_to(case / "docs"))) for d in docs]
    links = "".join(f'<li><a href="{href}">稿件</a></li>' for href in hrefs)
    home = f'<html><head><meta charset="utf-8"><title>首页</title></head><body><ul>{links}</ul></body></html>'

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                body = home.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(case / "docs"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def via_crawl(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Found, bool, dict[str, int]]:
    from errscan.crawl import run_crawl

    monkeypatch.chdir(case / "docs")  # crawl takes the settings of the folder it runs in
    with site(case) as base:
        outcome = run_crawl(base, Runner(), depth=1, delay=0, timeout=10, respect_robots=False, progress=False)
    assert not outcome.errors, outcome.errors
    findings = [{**f.to_dict(), "path": urllib.parse.unquote(f.path.removeprefix(base))} for f in outcome.findings]
    return found_of(case, findings), outcome.failed, dict(outcome.hidden)


# --- the test ------------------------------------------------------------------------------------------------
COMMANDS = ("check", "audit", "audit-dask", "crawl", "api")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_agrees(case: Path, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    want, _ = expected(case)
    want_failed, want_hidden = verdict(case)
    if command == "check":
        got = via_check(case, tmp_path)
    elif command == "audit":
        got = via_audit(case, tmp_path)
    elif command == "audit-dask":
        pytest.importorskip("distributed")
        got = via_audit(case, tmp_path, "dask")
    elif command == "crawl":
        got = via_crawl(case, tmp_path, monkeypatch)
    else:
        got = via_api(case, tmp_path)
    found, failed, hidden = got
    assert sorted(found) == sorted(want)
    assert failed == want_failed
    assert hidden == want_hidden


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fix_plans_exactly_the_safe_fixes(case: Path) -> None:
    """The plan of `errscan fix` over the walk: the safe fixes of what the run layer reports, nothing else (no
    excluded file, no office list, no directive's own words)."""
    from errscan.fix import Unsupported, plan

    _, want = expected(case)
    runner = Runner()
    planned = set()
    for doc in documents(case):
        try:
            p = plan(doc.read_bytes(), runner, str(doc), doc)
        except Unsupported:
            continue
        planned |= {(rel(case, str(doc.resolve())), e.rule, e.line, e.column) for e in p.edits}
    assert sorted(planned) == sorted(want)


# --- paths, verdicts -----------------------------------------------------------------------------------------
OFFICE = TESTS / "cases" / "office" / "docs"


def run_cli(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "errscan", *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=120)


def test_an_explicitly_named_file_is_checked_even_where_excluded() -> None:
    out = run_cli("check", "-f", "json", "archive/old.txt", cwd=OFFICE)
    body = json.loads(out.stdout)
    assert out.returncode == 1 and body["summary"]["files"] == 1
    assert [(f["rule"], f["line"], f["column"]) for f in body["findings"]] == [
        ("typo/再接再励", 1, 1), ("本单位词表/本单位错词", 2, 1)
    ]
    forced = run_cli("check", "-f", "json", "--force-exclude", "archive/old.txt", cwd=OFFICE)  # the hook's case
    assert forced.returncode == 0 and json.loads(forced.stdout)["summary"]["files"] == 0


def test_a_configured_list_file_is_never_a_document() -> None:
    body = json.loads(run_cli("check", "-f", "json", ".", cwd=OFFICE).stdout)
    assert "./本单位词表.txt" not in body["documents"] and body["summary"]["files"] == 3
    named = json.loads(run_cli("check", "-f", "json", "本单位词表.txt", cwd=OFFICE).stdout)
    assert named["summary"]["files"] == 1  # named explicitly: the clerk asked for it


def test_audit_reuses_results_whatever_the_folder_is_called(tmp_path: Path) -> None:
    """`audit /abs/site` and `cd site && audit .` are one archive to the cache."""
    import io
    import shutil

    from errscan.audit import AuditOptions, run_audit

    site_dir = tmp_path / "site"
    shutil.copytree(OFFICE, site_dir)
    cache = tmp_path / "cache.sqlite"
    first = run_audit([str(site_dir)], AuditOptions(out=tmp_path / "a", cache=cache, jobs=1, progress=False),
                      stderr=io.StringIO())
    again = run_cli("audit", ".", "--out", "../b", "--cache", str(cache), "-j", "1", cwd=site_dir)
    summary = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    assert first == again.returncode == 1
    assert (summary["files"], summary["reused"], summary["rescanned"]) == (3, 3, 0)
    assert (tmp_path / "a" / "findings.jsonl").read_bytes() == (tmp_path / "b" / "findings.jsonl").read_bytes()


def test_editing_the_config_rechecks_the_files_under_it(tmp_path: Path) -> None:
    import io
    import shutil

    from errscan.audit import AuditOptions, run_audit

    site_dir = tmp_path / "site"
    shutil.copytree(OFFICE, site_dir)
    options = AuditOptions(out=tmp_path / "o", jobs=1, progress=False)
    run_audit([str(site_dir)], options, stderr=io.StringIO())
    config = site_dir / ".errscan.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("disable: [typo/布署]", "disable: []"),
                      encoding="utf-8")
    assert run_audit([str(site_dir)], options, stderr=io.StringIO()) == 1
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    rules = [json.loads(line)["rule"] for line in (tmp_path / "o" / "findings.jsonl").read_text("utf-8").splitlines()]
    assert summary["rescanned"] == 3 and "typo/布署" in rules


def test_service_discovers_its_working_folders_config_and_keeps_the_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    from test_server import check, running

    from errscan.server import create_app, runner_factory

    monkeypatch.chdir(OFFICE)
    with running(create_app(runner_factory())) as port:
        answer = check(port, text="做好布署，再接再励。", min_severity="error")
    assert answer.status == 200
    body = answer.json
    assert body["findings"] == [] and body["summary"]["hidden"] == {"warning": 1}  # 布署: disabled by the config
    assert body["verdict"] == "fail" and body["fail_on"] == "warning"  # a CMS must not publish it
