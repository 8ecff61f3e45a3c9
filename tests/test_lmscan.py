"""errscan/_lmscan.c: the compiled search of the language model gives exactly the pure-Python path's suspects."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest
from helpers import SHARED, needs_shared

from errscan import lm

pytestmark = pytest.mark.skipif(not lm.available(), reason="no model: run tools/build_lm.py")


def _both(monkeypatch: pytest.MonkeyPatch, text: str) -> tuple[list[lm.Suspect], list[lm.Suspect]]:
    pytest.importorskip("errscan._lmscan")
    fast = lm.detect(text)
    with monkeypatch.context() as m:
        m.setenv("ERRSCAN_PURE", "1")
        pure = lm.detect(text)
    return fast, pure


def test_built_where_a_compiler_is() -> None:
    """An install on a machine with a C compiler and Python's headers has the compiled search."""
    headers = Path(sysconfig.get_paths()["include"], "Python.h").is_file()
    if not (shutil.which("cc") or shutil.which("gcc")) or not headers:
        pytest.skip("no C compiler or no Python headers here: the pure-Python path is the one that runs")
    import errscan._lmscan  # noqa: F401


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("各地要加快发展大数局产业，推动数字经济和实体经济深度融合。", [(9, "局", "据")]),
        ("𠀀🙂第一条　Ｂ类。\n持续深化放管服改革，优化营商环竟。", [(25, "竟", "境")]),  # astral characters first
        ("及时化解矛盾纤纷", [(6, "纤", "纠")]),  # the dissimilar path: both bigrams unseen
        ("各有关淡味要高度重视安全生产工作。", [(3, "淡味", "单位")]),  # a same-sounding word
        ("县级以上地方人民征服应当加强领导。", [(8, "征服", "政府")]),  # … every bigram around it seen
        ("嘟到委员会组成人员的通知", []),  # a character outside the model's vocabulary in a pair
        ("二〇二四年12月加强财政资金统筹，提高资金使用效义。", [(24, "义", "益")]),  # digits beside Han
        ("", []),
        (  # one clause of 48,000 characters
            "加强财政资金统筹提高资金使用效义" * 3000 + "。各有关淡味要高度重视。",
            [(47_999, "义", "益"), (48_004, "淡味", "单位")],
        ),
        ("abc 123 ＡＢＣ", []),
        ("效义", []),  # shorter than a clause the model judges
    ],
)
def test_same_suspects_as_pure_python(monkeypatch: pytest.MonkeyPatch, text: str, expected: list) -> None:
    fast, pure = _both(monkeypatch, text)
    assert fast == pure
    assert [(s.start, s.text, s.suggestion) for s in fast] == expected


@needs_shared
def test_same_suspects_on_the_clean_corpus_and_the_dev_set(monkeypatch: pytest.MonkeyPatch) -> None:
    clean = sorted((SHARED / "corpus" / "clean").rglob("*.txt"))[:40]
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in clean)
    dev = [
        line.split("\t")[i]
        for line in (SHARED / "data" / "dev" / "ecspell_odw_train.tsv").read_text(encoding="utf-8").splitlines()
        if line.count("\t") >= 2
        for i in (1, 2)
    ]
    fast, pure = _both(monkeypatch, text + "\n".join(dev))
    assert len(text) > 200_000
    assert fast == pure
    assert len(fast) > 100  # the dev set's slips are among them: the comparison is not of two empty lists


def test_a_long_text_is_searched_on_another_thread_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("errscan._lmscan")
    import threading

    made: list[str] = []

    class Recorded(threading.Thread):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            made.append(self.name)

    monkeypatch.setattr(lm.threading, "Thread", Recorded)
    text = "持续深化放管服改革，优化营商环竟。各有关淡味要高度重视。" * 2000
    assert len(text) >= lm.BACKGROUND_FROM
    found = lm.start(text)()
    assert made == ["errscan-lm"]  # the search ran on a thread of its own
    assert found == lm.detect(text)
    assert [(s.text, s.suggestion) for s in found[:2]] == [("竟", "境"), ("淡味", "单位")]
    assert len(found) == 4000
    assert lm.start("各有关淡味要高度重视。")() == lm.detect("各有关淡味要高度重视。")  # short: no thread
    assert made == ["errscan-lm"]


def test_the_two_threads_share_the_search_in_pieces_cut_between_clauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """start() cuts the text after clauses into pieces both threads take in turn: every piece ends where a
    clause does, and the suspects are those of one search, even with pieces shorter than a clause."""
    pytest.importorskip("errscan._lmscan")
    text = "持续深化放管服改革，优化营商环竟。各有关淡味要高度重视。" * 40
    assert lm._pieces("优化营商环竟。各有关淡味", 3) == [(0, 6), (6, 12)]  # 6: after 竟, at the full stop
    assert lm._pieces("优化营商环竟。各有关淡味", 6) == [(0, 6), (6, 12)]
    assert lm._pieces("优化营商环竟。各有关淡味", 7) == [(0, 7), (7, 12)]
    assert lm._pieces("", 7) == []
    for size in (5, 23, 1000):
        pieces = lm._pieces(text, size)
        assert [lo for lo, _ in pieces] == [0] + [hi for _, hi in pieces[:-1]] and pieces[-1][1] == len(text)
        assert not any(lm._clause_re().fullmatch(text[hi - 1 : hi + 1]) for _, hi in pieces)  # no clause cut in two
    monkeypatch.setattr(lm, "BACKGROUND_FROM", 100)
    monkeypatch.setattr(lm, "PIECE", 23)
    found = lm.start(text)()
    assert found == lm.detect(text) and len(found) == 80
    assert [(s.start, s.text) for s in found[:2]] == [(15, "竟"), (20, "淡味")]


def test_a_check_over_its_time_limit_stops_both_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the service's time limit (errscan.deadline) neither thread takes another piece once it has passed,
    and the caller's wait ends in Overtime instead of a result missing pieces."""
    pytest.importorskip("errscan._lmscan")
    import threading
    import time
    from array import array

    from errscan import _lmscan, deadline

    text = "持续深化放管服改革，优化营商环竟。各有关淡味要高度重视。" * 40_000  # ~0.8 s of search on one core
    tables = lm.model().tables()
    pieces = lm._pieces(text, lm.PIECE)
    bounds, cursor = array("q", [lo for lo, _ in pieces] + [len(text)]), array("q", [0])
    got: list = [None, None]

    def search(slot: int, limit: float) -> None:
        got[slot] = _lmscan.scan(text, tables, lm.scan_params(), bounds, cursor, limit)

    threads = [threading.Thread(target=search, args=(k, time.monotonic() + 0.05)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pieces) == 35 and 1 <= cursor[0] < len(pieces) // 2  # 0.05 s of 35 pieces of ~25 ms each, then none
    taken = {s[6] for s in got[0] + got[1]}
    assert taken <= set(range(cursor[0]))  # only pieces taken before the limit passed are searched
    cursor[0] = 0
    assert _lmscan.scan(text, tables, lm.scan_params(), bounds, cursor, time.monotonic() - 1) == [] and cursor[0] == 0
    lm.detect(text[:1000])  # the model and its tables in memory: the limit is for the search
    with deadline.within(0.05), pytest.raises(deadline.Overtime):
        lm.start(text)()


def test_the_compiled_search_of_pieces_equals_one_search() -> None:
    """scan(…, bounds, cursor, limit): every piece, each suspect with its piece's index, the same suspects in the
    same order as one search of the whole; bounds and cursor go together and stay within the text."""
    pytest.importorskip("errscan._lmscan")
    from array import array

    from errscan import _lmscan

    text = "持续深化放管服改革，优化营商环竟。各有关淡味要高度重视。" * 40
    tables = lm.model().tables()
    whole = _lmscan.scan(text, tables, lm.scan_params())
    pieces = lm._pieces(text, 23)
    bounds, cursor = array("q", [lo for lo, _ in pieces] + [len(text)]), array("q", [0])
    got = _lmscan.scan(text, tables, lm.scan_params(), bounds, cursor, 0.0)
    assert [s[:6] for s in got] == whole and len(whole) == 80
    assert [s[6] for s in got] == [next(q for q, (lo, hi) in enumerate(pieces) if lo <= s[0] < hi) for s in got]
    assert cursor[0] == len(pieces) + 1  # each piece taken once, and one look past the last
    with pytest.raises(ValueError):
        _lmscan.scan(text, tables, lm.scan_params(), bounds)
    with pytest.raises(ValueError):
        _lmscan.scan(text, tables, lm.scan_params(), array("q", [0, len(text) + 1]), array("q", [0]), 0.0)
    for keep in (0, 17):  # the pairs kept for full scoring (PAIR_PRE_KEEP, the last but one setting): 1 to 16
        params = list(lm.scan_params())
        params[-2] = keep
        with pytest.raises(ValueError):
            _lmscan.scan(text, tables, tuple(params))


def test_bigram_tables_cached_in_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Made once and written to the cache folder, then mapped; a damaged file is made again; without a writable
    folder they are made in memory. The suspects are the same every way."""
    pytest.importorskip("errscan._lmscan")
    monkeypatch.setenv("ERRSCAN_CACHE_DIR", str(tmp_path / "cache"))
    text = "各有关淡味要高度重视安全生产工作。持续深化放管服改革，优化营商环竟。"
    want = lm.detect(text)

    def fresh() -> list[lm.Suspect]:
        return lm.Detector(lm.Model(lm.MODEL_PATH)).detect(text)

    assert fresh() == want
    (cached,) = (tmp_path / "cache").glob("lm-bigrams-*.bin")
    made = cached.stat().st_mtime_ns
    assert fresh() == want and cached.stat().st_mtime_ns == made  # mapped, not made again
    cached.write_bytes(b"garbage!" * 10)
    assert fresh() == want and cached.read_bytes()[:8] == lm.BITS_MAGIC  # damaged: made and written again
    monkeypatch.setenv("ERRSCAN_CACHE_DIR", str(cached))  # a file, not a folder: nothing can be written there
    assert fresh() == want
