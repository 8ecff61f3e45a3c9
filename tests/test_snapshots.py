"""The lists a service's workers share: a frozen Runner checks as the original did, without its files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from errscan.model import Document
from errscan.run import Runner
from errscan.snapshots import Snapshots

OFFICE = "id: office\ncategory: usage\nseverity: warning\nentries:\n  - [甲乙丙, 甲乙丁]\n"
OFFICE_NEW = "id: office\ncategory: usage\nseverity: warning\nentries:\n  - [甲乙丙, 甲乙戊]\n"
TEXT = "我们要再接再励，甲乙丙的电话是13912345678。"


def found(runner: Runner, text: str = TEXT) -> list[tuple[int, int, str, tuple[str, ...]]]:
    checked = runner.check(Document(text), "<text>")
    return [(f.offset, f.offset + f.length, f.text, f.suggestions) for f in checked.findings]


def test_a_thawed_runner_checks_the_same_without_reading_its_files(tmp_path: Path) -> None:
    office = tmp_path / "office.yaml"
    office.write_text(OFFICE, encoding="utf-8")
    runner = Runner(lists=[office], show_pii=False)
    before = found(runner)
    assert before == [(3, 7, "再接再励", ("再接再厉",)), (8, 11, "甲乙丙", ("甲乙丁",)), (15, 26, "139****5678", ())]
    frozen = runner.freeze()
    office.unlink()  # gone: the thawed Runner has all it needs
    thawed = Runner.thaw(frozen)
    assert found(thawed) == before
    assert thawed.scanners.show_pii is False  # masked, as before


def test_publish_numbers_generations_and_counts_the_workers_serving_them(tmp_path: Path) -> None:
    shared = Snapshots(tmp_path)
    assert shared.generation() == 0 and shared.latest() is None
    with shared.locked():
        assert shared.publish(b"one") == 1
        assert shared.publish(b"two") == 2
    assert shared.generation() == 2 and shared.latest() == (2, b"two")
    assert oct(os.stat(shared.file).st_mode & 0o777) == "0o600"
    shared.ack(2)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    shared.ack(2, pid=int(gone.stdout))  # a worker that died: not counted, and its record is dropped
    assert shared.serving(2) == 1 and shared.serving(3) == 0
    assert sorted(p.name for p in tmp_path.glob("ack-*")) == [f"ack-{os.getpid()}"]
    shared.file.write_bytes(b"not a snapshot")
    assert shared.generation() == 0 and shared.latest() is None


def test_a_follower_takes_what_the_reloader_validated_not_the_file(tmp_path: Path) -> None:
    """Two Holders on one folder, as two workers: the second thaws each generation the first publishes, even
    with the list file broken meanwhile; a broken reload publishes nothing."""
    pytest.importorskip("fastapi")
    from errscan.lexicon import ListLoadError
    from errscan.server import Holder, runner_factory

    office = tmp_path / "office.yaml"
    office.write_text(OFFICE, encoding="utf-8")
    folder = tmp_path / "shared"
    folder.mkdir()
    factory = runner_factory(lists=[office], builtin=False)
    first, second = Holder(factory, Snapshots(folder)), Holder(factory, Snapshots(folder))
    first.start()
    office.write_text("id: office\nentries: [[[", encoding="utf-8")
    second.start()  # thaws the first's lists: the broken file is not read
    assert second.generation == 1 and second.scanner is not None
    assert [s for *_, s in found(second.scanner, "甲乙丙")] == [("甲乙丁",)]
    with pytest.raises(ListLoadError):
        first.reload()
    assert Snapshots(folder).generation() == 1 and not second.catch_up()
    office.write_text(OFFICE_NEW, encoding="utf-8")
    first.reload()
    office.write_text("id: office\nentries: [[[", encoding="utf-8")
    assert second.catch_up() and second.generation == 2
    assert [s for *_, s in found(second.scanner, "甲乙丙")] == [("甲乙戊",)]
    assert not second.catch_up()  # nothing newer


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_freezing_again_and_again_holds_no_memory() -> None:
    """Every reload freezes the Runner: pickling pyahocorasick's automaton kept its size (5.6 MB for the built-in
    lists) in memory each time, so a service grew by that much per reload and worker."""
    runner = Runner(show_pii=False)
    Runner.thaw(runner.freeze())  # what one freeze and one thaw take, before counting
    before = _rss_mb()
    for _ in range(12):
        Runner.thaw(runner.freeze())
    assert _rss_mb() - before < 25  # leaking, it grew by 67 MB


def _rss_mb() -> float:
    import gc

    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
