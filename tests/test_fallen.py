"""Fallen officials (errscan/fallen.py, errscan/data/register/fallen.tsv)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from errscan.docdate import parse_date
from errscan.fallen import FALLEN, _trie, find, load
from errscan.pipeline import Scanner

ROOT = Path(__file__).resolve().parent.parent


def said(text: str, date: str | None = None) -> list[tuple[int, int, str, tuple[str, ...], str]]:
    return [(s, e, text[s:e], sug, sev.name) for s, e, sug, _, sev, _ in find(text, parse_date(date) if date else None)]


def test_a_name_with_the_post_it_held_after_the_case_was_announced() -> None:
    text = "重庆市委书记孙政才出席会议。"
    assert said(text, "2020-01-01") == [(0, 9, "重庆市委书记孙政才", ("原重庆市委书记孙政才",), "ERROR")]
    assert said(text, "2016-01-01") == []  # before the case
    assert said(text) == [(0, 9, "重庆市委书记孙政才", ("原重庆市委书记孙政才",), "INFO")]  # undated: a hint
    assert said("原重庆市委书记孙政才", "2020-01-01") == []
    assert said("时任重庆市委书记孙政才", "2020-01-01") == []
    assert said("公安部副部长孙力军", "2020-05-01") == [
        (0, 9, "公安部副部长孙力军", ("原公安部副部长孙力军",), "ERROR")]
    message = find("国家粮食和物资储备局局长张务锋", parse_date("2024-01-01"))[0][5]
    assert "已于2023-01-08被公布接受审查调查或受到处分（新闻联播 2023-01-08）" in message


def test_a_bare_name_is_a_hint_unless_its_sentence_speaks_of_the_case() -> None:
    assert said("孙政才同志讲话。", "2020-01-01") == [(0, 3, "孙政才", (), "INFO")]
    assert said("孙政才严重违纪违法案警示教育。", "2020-01-01") == []
    assert said("以周本顺案为镜鉴。", "2020-01-01") == []
    assert said("王莉霞同志讲话。", "2026-03-01") == [(0, 3, "王莉霞", (), "INFO")]
    assert said("王莉霞同志讲话。", "2025-03-01") == []  # announced 2026-02-12


def test_the_list_has_a_source_on_every_row_and_rebuilds_the_same() -> None:
    with open(FALLEN, encoding="utf-8") as fh:
        rows = list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))
    assert len(rows) > 400
    assert all(r["name"] and r["posts"] and r["date"] and r["source"] for r in rows)
    assert {"孙政才", "周永康", "令计划", "张务锋", "周本顺"} <= {r["name"] for r in rows}
    shared = ROOT.parent / "shared" / "data" / "officials"
    if not shared.is_dir():
        pytest.skip("needs ../shared")
    before = FALLEN.read_bytes()
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_fallen.py")], check=True, capture_output=True)
    assert FALLEN.read_bytes() == before


def test_the_names_pattern_is_a_trie_of_them_all() -> None:
    import re

    words = ["王立", "王立军", "孙政才", "孙力军", "周本顺"]
    pattern = re.compile(_trie(sorted(words)))
    found = [m.group() for m in pattern.finditer("王立军、孙力军、王立、周本顺、孙政")]
    assert found == ["王立军", "孙力军", "王立", "周本顺"]
    by_name, names = load()
    assert all(names.fullmatch(n) for n in by_name)


def test_through_the_scanner() -> None:
    got = Scanner(as_of="2020-01-01").scan_text("重庆市委书记孙政才出席会议。")
    assert [(f.offset, f.text, f.rule, f.list_id, f.severity.name) for f in got] == [
        (0, "重庆市委书记孙政才", "fallen/孙政才", "posts", "ERROR")]
    assert Scanner(as_of="2020-01-01", posts=False).scan_text("重庆市委书记孙政才出席会议。") == []


def test_the_quick_name_search_knows_every_name_and_finds_the_same_as_the_pattern() -> None:
    from errscan.fallen import QUICK, _names

    by_name, _ = load()
    assert sorted(_names()) == sorted(by_name)
    name = sorted(by_name)[0]
    case = by_name[name][0]
    text = f"{case.posts[0]}{name}出席会议。" if case.posts else f"{name}出席会议。"
    short = find(text, parse_date("2024-01-01"))
    padded = find(text + "。" * QUICK, parse_date("2024-01-01"))  # long: the pattern alone, as before
    assert short == padded
    assert short and short[0][0] == 0
    assert find("各位代表：现在，我代表国务院，向大会报告政府工作。", None) == []


def test_after_the_first_texts_the_compiled_pattern_answers_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain-substring look at every name (quick for one draft, 2 ms a file for an archive) serves the first
    QUICK_LOOKS texts of a process; the next go to the compiled pattern, with the same findings."""
    import collections

    import errscan.fallen as fallen

    monkeypatch.setattr(fallen, "_quick_looks", collections.Counter())
    by_name, _ = load()
    name = sorted(by_name)[0]
    case = by_name[name][0]
    text = f"{case.posts[0]}{name}出席会议。" if case.posts else f"{name}出席会议。"
    clean = "各位代表：现在，我代表国务院，向大会报告政府工作。"
    first = [find(text, parse_date("2024-01-01")), find(clean, None)]
    assert first[0] and first[1] == []
    for _ in range(fallen.QUICK_LOOKS):
        find(clean, None)
    assert fallen._quick_looks[str(fallen.FALLEN)] == fallen.QUICK_LOOKS
    monkeypatch.setattr(fallen, "_names", lambda path: pytest.fail("looked name by name"))
    assert [find(text, parse_date("2024-01-01")), find(clean, None)] == first
