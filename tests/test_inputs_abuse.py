"""Inputs that are no documents, or too large to hold: refused with a message and exit 3, never a hang or a
traceback (issue 15: FIFOs, devices, sparse giants, endless standard input)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from errscan import inputs
from errscan.readers import ReadError

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")


def run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "errscan", *args], cwd=cwd, input=stdin, capture_output=True, timeout=60,
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")  # nobody writes to it: reading would block for ever
    out = run("check", "--no-color", "pipe.txt", cwd=tmp_path)
    assert out.returncode == 3
    assert "无法检查 pipe.txt：是管道（FIFO），不是普通文件，未检查" in out.stdout + out.stderr


def test_a_fifo_inside_a_folder_is_reported_and_the_rest_checked(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    os.mkfifo(tmp_path / "docs" / "pipe")
    (tmp_path / "docs" / "a.txt").write_text("我们要再接再励。\n", encoding="utf-8")
    out = run("check", "-f", "json", "docs", cwd=tmp_path)
    assert out.returncode == 3
    report = __import__("json").loads(out.stdout)
    assert [f["text"] for f in report["findings"]] == ["再接再励"]
    assert [(e["path"], e["message"]) for e in report["summary"]["errors"]] == [
        (os.path.join("docs", "pipe"), "是管道（FIFO），不是普通文件，未检查"),
    ]


def test_a_device_is_refused(tmp_path: Path) -> None:
    out = run("check", "--no-color", "/dev/zero", cwd=tmp_path)
    assert out.returncode == 3
    assert "是设备文件，不是普通文件，未检查" in out.stdout + out.stderr
    assert "Traceback" not in out.stderr


def test_a_sparse_giant_is_refused_by_its_size_before_a_byte_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(4 * 1024**3)  # 4 GiB, no blocks on disk
    out = run("check", "--no-color", "big.txt", cwd=tmp_path)
    assert out.returncode == 3
    assert "文件过大（4096 MB，上限 200 MB），未检查" in out.stdout + out.stderr


def test_reads_stop_at_the_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import errscan.readers as readers

    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 1000)
    monkeypatch.setattr(readers, "MAX_INPUT_BYTES", 1000)
    assert inputs.bounded_read(io.BytesIO(b"x" * 1000)) == b"x" * 1000
    with pytest.raises(ReadError, match="文件过大（超过"):
        inputs.bounded_read(io.BytesIO(b"x" * 1001))
    (tmp_path / "a.txt").write_bytes(b"y" * 1001)
    with pytest.raises(ReadError, match="文件过大（0 MB，上限 0 MB）"):
        inputs.read_path(tmp_path / "a.txt")


def test_a_file_read_by_its_size_still_gets_what_its_size_did_not_tell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file is read by the size it was said to have, and a byte more: one that grew since is read whole, up to
    the limit; one that says 0 (as /proc's files do) is read too."""
    import errscan.readers as readers

    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 1000)
    monkeypatch.setattr(readers, "MAX_INPUT_BYTES", 1000)
    assert inputs.bounded_read(io.BytesIO(b"x" * 10), 10) == b"x" * 10
    assert inputs.bounded_read(io.BytesIO(b"x" * 8), 10) == b"x" * 8  # it shrank
    assert inputs.bounded_read(io.BytesIO(b"x" * 700), 10) == b"x" * 700  # it grew
    assert inputs.bounded_read(io.BytesIO(b"x" * 1000), 0) == b"x" * 1000
    with pytest.raises(ReadError, match="文件过大（超过"):
        inputs.bounded_read(io.BytesIO(b"x" * 1001), 10)
    with pytest.raises(ReadError, match="文件过大（超过"):
        inputs.bounded_read(io.BytesIO(b"x" * 1001), 1000)
    monkeypatch.undo()
    status = inputs.read_path("/proc/self/status")  # a regular file of size 0
    assert b"Pid:" in status


def test_standard_input_over_the_limit(tmp_path: Path) -> None:
    """200 MB and one byte through a pipe: refused once the limit is passed, not read into a MemoryError."""
    chunk = b"\0" * (1 << 20)
    proc = subprocess.Popen(
        [sys.executable, "-m", "errscan", "check", "--no-color", "-"], cwd=tmp_path, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        for _ in range(201):
            proc.stdin.write(chunk)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except BrokenPipeError:
        pass  # it stopped reading at the limit: what is wanted
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "文件过大（超过 200 MB），未检查" in (out + err).decode()


def test_file_names_that_are_no_text_are_escaped_in_every_format(tmp_path: Path) -> None:
    """A name that is not UTF-8 and one holding a terminal escape sequence: JSON and SARIF stay valid UTF-8,
    the pretty report carries no escape character, and each name is shown escaped."""
    (tmp_path / ".errscan.yaml").write_text("fuzzy: false\nlm: false\n", encoding="utf-8")
    raw = os.fsencode(tmp_path) + b"/\xff\xfe.txt"
    with open(raw, "wb") as fh:
        fh.write("我们要再接再励。".encode())
    (tmp_path / "\x1b[31mred.txt").write_text("我们要再接再励。", encoding="utf-8")
    for fmt in ("json", "sarif", "pretty"):
        proc = subprocess.run(
            [sys.executable, "-m", "errscan", "check", "-f", fmt, "--no-color", "."], cwd=tmp_path,
            capture_output=True, timeout=60,
        )
        assert proc.returncode == 1, (fmt, proc.stderr.decode(errors="replace"))
        assert b"\x1b" not in proc.stdout + proc.stderr
        text = proc.stdout.decode("utf-8")  # valid UTF-8, or this raises
        if fmt == "sarif":  # URIs: the file system's bytes, percent-encoded
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in __import__("json").loads(text)["runs"][0]["results"]}
            assert uris == {"./%FF%FE.txt", "./%1B%5B31mred.txt"}
            continue
        shown = text if fmt == "pretty" else text.replace("\\\\", "\\")  # JSON doubles the backslashes
        assert "\\xff\\xfe.txt" in shown
        assert "\\u001b[31mred.txt" in shown
        if fmt == "json":
            __import__("json").loads(text)


def test_explain_and_json_titles_never_echo_a_number_in_full(tmp_path: Path) -> None:
    phone = "13912345678"
    out = run("explain", f"请拨打{phone}咨询", cwd=tmp_path)
    assert out.returncode == 0 and phone not in out.stdout + out.stderr and "139****5678" in out.stdout
    (tmp_path / "page.html").write_text(
        f"<html><head><title>联系电话{phone}</title></head><body><p>我们要再接再励。</p></body></html>",
        encoding="utf-8",
    )
    out = run("check", "-f", "json", "--no-privacy", "page.html", cwd=tmp_path)
    assert phone not in out.stdout
    assert __import__("json").loads(out.stdout)["documents"]["page.html"]["title"] == "联系电话139****5678"
