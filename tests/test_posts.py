"""The register of posts (errscan/data/register/posts.yaml) and its checks: posts with names, their dates, slips
in leaders' names, the Standing Committee's order."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import yaml
from helpers import SHARED, needs_shared

from errscan.docdate import parse_date
from errscan.model import Document
from errscan.pipeline import Scanner
from errscan.posts import LATEST, REGISTER, find, load
from errscan.run import Runner

TODAY = dt.date(2026, 12, 1)


def said(text: str, date: str | None = None) -> list[tuple[int, int, str, tuple[str, ...], str]]:
    return [(s.start, s.end, text[s.start:s.end], s.suggestions, s.severity.name)
            for s in find(text, parse_date(date) if date else None, today=TODAY)]


# --- the register ----------------------------------------------------------------------------------------------


def test_single_holder_posts_never_overlap_and_every_file_has_a_source() -> None:
    reg = load()
    raw = yaml.safe_load(REGISTER.read_text(encoding="utf-8"))
    assert raw["source"].strip() and raw["license"].strip()
    singles = [p for p in reg.posts.values() if p.single]
    assert {p.name for p in singles} >= {
        "中共中央总书记", "国家主席", "国务院总理", "全国人大常委会委员长", "全国政协主席"}
    for post in singles:
        holders = sorted(post.holders, key=lambda t: t.lo)
        for a, b in itertools.pairwise(holders):
            assert a.hi <= b.lo, (post.name, a, b)  # one hands over to the next, at most on the same day
        assert holders[-1].hi == LATEST, post.name  # someone holds it now
    for post in reg.posts.values():
        assert all(t.lo < t.hi for t in post.holders), post.name


def test_the_standing_committees_are_complete_and_follow_each_other() -> None:
    terms = load().standing
    assert [t.term for t in terms] == ["十六届", "十七届", "十八届", "十九届", "二十届"]
    assert [len(t.order) for t in terms] == [9, 9, 7, 7, 7]
    for a, b in itertools.pairwise(terms):
        assert a.hi == b.lo
    assert terms[-1].hi == LATEST
    for t in terms:
        assert len(set(t.order)) == len(t.order)
        assert t.order[0] in {p.name for p in load().posts["中共中央总书记"].at(t.lo, t.lo)}  # led by the 总书记


# --- a post with a name --------------------------------------------------------------------------------------


def test_a_post_with_a_name_that_did_not_hold_it_then() -> None:
    text = "2025年3月10日，国务院总理李克强在会上强调"
    assert said(text, "2025-03-10") == [
        (11, 19, "国务院总理李克强", ("国务院总理李强", "时任国务院总理李克强"), "ERROR")]
    assert said(text, "2020-03-10") == []  # he held it then
    assert said("国务院总理李强主持会议。", "2022-05-01") == [
        (0, 7, "国务院总理李强", ("国务院总理李克强", "时任国务院总理李强"), "ERROR")]  # not yet
    assert said("国务院总理李强主持会议。", "2023-03-11") == []  # the day he was chosen
    message = find(text, parse_date("2025-03-10"), today=TODAY)[0].message
    assert "2025-03-10的国务院总理为李强；李克强任国务院总理为2013-03-15至2023-03-11" in message


def test_former_and_dated_mentions_are_right() -> None:
    for text in ("原国务院总理李克强", "时任国务院总理李克强", "2015年，国务院总理李克强访问了巴西。",
                 "已故国务院总理李克强"):
        assert said(text, "2025-03-10") == [], text


def test_without_a_date_a_past_holder_is_a_hint_and_a_name_that_never_held_it_an_error() -> None:
    assert said("国务院总理李克强在会上强调") == [(0, 8, "国务院总理李克强", ("国务院总理李强",), "INFO")]
    assert said("国务院总理习近平出席会议") == [(0, 8, "国务院总理习近平", ("国务院总理李强",), "ERROR")]
    assert said("国务院总理李强出席会议") == []
    assert said("国务院总理李克强作政府工作报告，回顾2015年的工作。") == []  # the text speaks of his years


def test_a_signature_line_spaces_its_title_from_the_name() -> None:
    assert said("国务院总理　温家宝", "2025-01-01")[0][2:] == (
        "国务院总理\u3000温家宝", ("国务院总理李强", "时任国务院总理温家宝"), "ERROR")
    assert said("国务院总理　温家宝", "2010-03-05") == []


def test_the_titles_of_a_chain_are_each_checked() -> None:
    assert said("中共中央总书记、国家主席、中央军委主席习近平") == []
    assert said("中共中央总书记、国家主席、中央军委主席胡锦涛", "2025-01-01") == [
        (0, 22, "中共中央总书记、国家主席、中央军委主席胡锦涛", ("中共中央总书记习近平", "时任中共中央总书记胡锦涛"),
         "ERROR"),
        (8, 22, "国家主席、中央军委主席胡锦涛", ("国家主席习近平", "时任国家主席胡锦涛"), "ERROR"),
        (13, 22, "中央军委主席胡锦涛", ("中央军委主席习近平", "时任中央军委主席胡锦涛"), "ERROR"),
    ]


def test_a_short_title_after_the_name() -> None:
    assert said("2021年，李克强总理在会上强调。", "2021-05-01") == []
    assert said("李克强总理在会上强调。", "2025-05-01") == [(0, 5, "李克强总理", ("李强总理",), "INFO")]
    assert said("李强总理在会上强调。", "2020-05-01") == [(0, 4, "李强总理", ("李克强总理",), "WARNING")]  # not yet
    assert said("我们坚持执行周恩来总理一九六四年宣布的八项原则。", "1978-02-26") == []
    assert said("本届政府从1 9 9 3 年3 月就职。江泽民主席去年访美。") == []  # a PDF's spaced year
    assert said("江泽民主席去年访美。") == [(0, 5, "江泽民主席", ("习近平主席",), "INFO")]  # undated, no year: a hint
    assert said("某协会李强主席致辞。") == []  # a namesake's chair: not the register's business
    assert said("丁薛祥副总理出席。", "2024-01-01") == []


def test_a_leaders_name_one_character_off_next_to_its_post() -> None:
    assert said("会议由国务院总理李墙主持。") == [(8, 10, "李墙", ("李强",), "ERROR")]
    # in 2020 the premier was 李克强, but 李墙 is one character off 李强 only, a holder of the post all the same
    assert said("会议由国务院总理李墙主持。", "2020-01-01") == [(8, 10, "李墙", ("李强",), "ERROR")]
    assert said("国务院副总理何立锋出席。") == [(6, 9, "何立锋", ("何立峰",), "ERROR")]
    assert said("国务院总理办公会议。") == []
    assert said("国务院副总理和国务委员出席。") == []


def test_names_among_other_leaders_names() -> None:
    assert said("习近平、李墙、赵乐际出席。") == [(4, 6, "李墙", ("李强",), "ERROR")]
    assert said("王刚、李墙出席。") == []  # no leaders around it


def test_the_standing_committees_order() -> None:
    right = "习近平、李强、赵乐际、王沪宁、蔡奇、丁薛祥、李希出席大会。"
    assert said(right, "2024-01-01") == []
    assert said("出席会议的有习近平、赵乐际、李强、王沪宁。", "2024-01-01") == [
        (6, 20, "习近平、赵乐际、李强、王沪宁", ("习近平、李强、赵乐际、王沪宁",), "ERROR")]
    assert said("胡锦涛、吴邦国、温家宝、贾庆林等出席。") == []  # undated: the order of the term they served in
    assert said("胡锦涛、温家宝、吴邦国出席。", "2005-01-01") == [
        (0, 11, "胡锦涛、温家宝、吴邦国", ("胡锦涛、吴邦国、温家宝",), "ERROR")]
    assert said("习近平、李强出席。", "2024-01-01") == []  # two names: no order to check


# --- through the pipeline and the settings -------------------------------------------------------------------


def test_the_scanner_reports_posts_as_serious_errors() -> None:
    got = Scanner(as_of="2025-03-10").scan_text("2025年3月10日，国务院总理李克强在会上强调。")
    assert [(f.offset, f.text, f.rule, f.list_id, f.category, f.severity.name) for f in got] == [
        (11, "国务院总理李克强", "posts/国务院总理/李克强", "posts", "serious", "ERROR")]
    assert Scanner(as_of="2025-03-10", posts=False).scan_text("国务院总理李克强在会上强调。") == []


def test_an_office_adds_its_own_leaders(tmp_path: Path) -> None:
    (tmp_path / "本县领导.yaml").write_text(
        "source: 本县人民代表大会公告（2021-10、2024-01）\nposts:\n  县长:\n"
        "    titles: [城关县县长]\n    short: [县长]\n"
        "    single: true\n    holders:\n      - {name: 张三丰, from: 2021-10-20, to: 2024-01-10}\n"
        "      - {name: 李四海, from: 2024-01-10}\n", encoding="utf-8")
    (tmp_path / ".errscan.yaml").write_text("registers: [本县领导.yaml]\nas_of: 2025-06-01\n", encoding="utf-8")
    doc = tmp_path / "稿件.txt"
    doc.write_text("城关县县长张三丰主持召开会议。", encoding="utf-8")
    checked = Runner(show_pii=False).check(Document(doc.read_text(encoding="utf-8")), str(doc), doc)
    assert [(f.offset, f.text, f.suggestions[:1], f.severity.name) for f in checked.findings] == [
        (0, "城关县县长张三丰", ("城关县县长李四海",), "ERROR")]


def test_explain_says_why_who_held_the_post_then_and_the_source(tmp_path: Path) -> None:
    import subprocess
    import sys

    def explain(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "errscan", "explain", *args], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)

    dated = explain("国务院总理李克强", "--as-of", "2025-03-10")
    assert dated.returncode == 0, dated.stderr
    lines = dated.stdout.splitlines()
    assert lines[0].startswith("“国务院总理李克强”（文稿日期 2025-03-10）：严重错误：")
    assert "2025-03-10的国务院总理为李强；李克强任国务院总理为2013-03-15至2023-03-11" in lines[0]
    assert "建议：国务院总理李强、时任国务院总理李克强。规则 posts/国务院总理/李克强。" in lines[0]
    assert "李克强 2013-03-15至2023-03-11；李强 2023-03-11至今。" in lines[1]
    assert lines[2].startswith("登记来源：新华社公布的历次全国人民代表大会会议选举和决定任命结果")
    undated = explain("国务院总理李克强").stdout.splitlines()
    assert undated[0].startswith("“国务院总理李克强”（未给出文稿日期（--as-of），按今天核对）：疑似职务与姓名不符")
    assert explain("国务院总理李强", "--as-of", "2024").stdout.startswith(
        "“国务院总理李强”（文稿日期 2024）：职务与姓名相符，不会被报告。")
    bad = explain("国务院总理李强", "--as-of", "昨天")
    assert bad.returncode == 2 and "--as-of 不是日期：昨天" in bad.stderr


COUNTY = ("source: 本县人民代表大会公告\nposts:\n  县长:\n    titles: [城关县县长]\n    single: true\n    holders:\n"
          "      - {{name: {old}, from: 2021-10-20, to: 2024-01-10}}\n      - {{name: {new}, from: 2024-01-10}}\n")


def _county(tmp_path: Path, old: str = "张三丰", new: str = "李四海") -> Path:
    reg = tmp_path / "本县领导.yaml"
    reg.write_text(COUNTY.format(old=old, new=new), encoding="utf-8")
    (tmp_path / ".errscan.yaml").write_text("registers: [本县领导.yaml]\nas_of: 2025-06-01\n", encoding="utf-8")
    return reg


def test_a_broken_register_fails_the_run_and_an_edited_one_changes_the_key(tmp_path: Path) -> None:
    from errscan.config import ConfigError

    reg = _county(tmp_path)
    runner = Runner(show_pii=False)
    config = runner.config_for(tmp_path / "稿件.txt")
    before = config.key()
    runner.scanners.get(config)
    reg.write_text(COUNTY.format(old="张三丰", new="王五"), encoding="utf-8")
    import os

    os.utime(reg, ns=(1, 10**18))  # a different mtime, whatever the clock
    assert Runner(show_pii=False).config_for(tmp_path / "稿件.txt").key() != before  # the audit re-checks
    reg.write_text("posts: [[[", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Runner(show_pii=False).scanners.get(Runner(show_pii=False).config_for(tmp_path / "稿件.txt"))
    assert "职务登记文件无法读取" in str(caught.value) and "本县领导.yaml" in str(caught.value)


def test_a_frozen_runner_keeps_the_register_it_was_built_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = _county(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = Runner(show_pii=False)
    frozen = runner.freeze()
    reg.write_text(COUNTY.format(old="赵六", new="钱七"), encoding="utf-8")  # edited after the reload
    thawed = Runner.thaw(frozen)
    got = thawed.check(Document("城关县县长张三丰主持召开会议。"), "<text>")
    assert [(f.text, f.suggestions[:1]) for f in got.findings] == [("城关县县长张三丰", ("城关县县长李四海",))]
    fresh = Runner(show_pii=False).check(Document("城关县县长张三丰主持召开会议。"), "<text>")
    assert [f.text for f in fresh.findings] == []  # the edited register no longer knows him


ODD_YEARS = ["12015年", "2 0 1 5 年", "２０１５年", "一九六四年", "二〇二〇年二〇二一年", "年", "2015", "19年",
             "2015" + " " * 30 + "年", "1 9 9 8年3月", "x2019年", "〇2019年", "两千年", "2025年\n年", "2019\u3000年"]


@needs_shared
def test_the_years_of_a_passage_are_the_patterns() -> None:
    """posts._years finds each 年 and matches its year back from it: the same years as the pattern's search of
    every position, over every passage of the clean corpus (both ends clipped) and odd writings."""
    import re

    from errscan import posts

    every = re.compile(posts.YEAR + "年")  # the pattern searched at every position: the reference
    texts = [p.read_text("utf-8") for p in sorted((SHARED / "corpus" / "clean").rglob("*.txt"))]
    windows = [(t, lo, min(len(t), lo + 2 * posts.AROUND)) for t in texts for lo in range(0, len(t), 2999)]
    windows += [(t, 0, len(t)) for t in ODD_YEARS] + [(t, 1, len(t)) for t in ODD_YEARS]
    for text, lo, hi in windows:
        assert posts._years(text, lo, hi) == {posts._year(m) for m in every.finditer(text, lo, hi)}
    assert posts._years("2015" + " " * 30 + "年，一九六四年", 0, 50) == {2015, 1964}
