"""Names and formulations judged with their context and the document's date (issue 16's first part): old names
written about the past, formulations that must not be altered, bans that start on a date."""

from __future__ import annotations

import pytest

from errscan.history import historical
from errscan.pipeline import Scanner


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


def found(scanner: Scanner, text: str, as_of: str | None = None) -> list[tuple[int, str, str, str]]:
    s = Scanner(as_of=as_of) if as_of else scanner
    return [(f.offset, f.text, f.rule, f.severity.name.lower()) for f in s.scan_text(text)]


@pytest.mark.parametrize(("text", "name", "since", "past"), [
    ("不再保留国务院法制办公室", "国务院法制办公室", 2018, True),
    ("将国务院法制办公室的职责整合，重新组建司法部。", "国务院法制办公室", 2018, True),
    ("国家计委改组为国家发展和改革委员会。", "国家计委", 2003, True),
    ("他1998年至2003年任国家计委副主任。", "国家计委", 2003, True),
    ("时任国家计委副主任的张某", "国家计委", 2003, True),
    ("原国家计委的职责", "国家计委", 2003, True),
    ("本通知由国家计委负责解释。", "国家计委", 2003, False),
    ("2025年，国家计委印发通知。", "国家计委", 2003, False),  # a year after the change
    ("1998年以来，国家计委持续推进改革。", "国家计委", 2003, False),  # a period up to now
    ("原则上由国家计委审批。", "国家计委", 2003, False),  # 原则, not 原
    ("我们将积极配合国家计委。", "国家计委", 2003, False),
    ("他2001年毕业。本通知由国家计委负责解释。", "国家计委", 2003, False),  # another sentence's year
])
def test_historical(text: str, name: str, since: int, past: bool) -> None:
    start = text.index(name)
    assert historical(text, start, start + len(name), since) is past


def test_outdated_names_written_about_the_past_are_not_reported(scanner: Scanner) -> None:
    assert found(scanner, "不再保留国务院法制办公室。") == []
    assert found(scanner, "他1998年至2003年任国家计委副主任。") == []
    assert found(scanner, "他1998年至2003年任国家计委副主任。", as_of="2025-03-10") == []
    assert found(scanner, "美国农业部发布供需报告。", as_of="2025-03-10") == []
    assert found(scanner, "本通知由国家计委负责解释。", as_of="2025-03-10") == [
        (4, "国家计委", "outdated/国家计委", "warning")]
    assert found(scanner, "本通知由国家计委负责解释。", as_of="2001-05-01") == []


def test_the_verbatim_form_of_official_speeches_is_no_error(scanner: Scanner) -> None:
    assert found(scanner, "为实现中华民族伟大复兴中国梦而奋斗。") == []
    assert found(scanner, "为实现中华民族伟大复兴的中国梦而奋斗。") == []
    assert found(scanner, "为实现中华民族伟大复心的中国梦而奋斗。")[0][:3] == (  # a slip is still one
        1, "实现中华民族伟大复心的中国梦", "fuzzy/实现中华民族伟大复兴的中国梦")


def test_a_title_inside_the_name_of_the_thought_is_a_serious_error(scanner: Scanner) -> None:
    text = "深入学习贯彻习近平总书记新时代中国特色社会主义思想。"
    got = scanner.scan_text(text)
    assert [(f.offset, f.text, f.suggestions, f.severity.name) for f in got] == [
        (6, "习近平总书记新时代中国特色社会主义思想", ("习近平新时代中国特色社会主义思想",), "ERROR")]
    assert "“习近平”与“新时代中国特色社会主义思想”之间不加“总书记”" in got[0].message
    assert found(scanner, "学习习近平同志法治思想。") == [
        (2, "习近平同志法治思想", "protected-formulations/习近平同志法治思想", "error")]
    for good in (
        "深入学习贯彻习近平新时代中国特色社会主义思想。",
        "习近平总书记关于新时代中国特色社会主义思想的重要论述",
        "学习习近平经济思想和习近平法治思想。",
        "习近平总书记强调，要坚持新时代中国特色社会主义思想。",
    ):
        assert found(scanner, good) == [], good


def test_belt_and_road_strategy_is_judged_by_the_date(scanner: Scanner) -> None:
    text = "推进“一带一路”战略。"
    assert found(scanner, text, as_of="2014-06-01") == []  # the term of 2013-2014
    assert found(scanner, text, as_of="2016-01-01") == [(2, "“一带一路”战略", "usage/“一带一路”战略", "error")]
    assert found(scanner, text) == [(2, "“一带一路”战略", "usage/“一带一路”战略", "info")]  # undated: a hint


def test_divisions_renamed_since_2000_are_judged_by_the_date(scanner: Scanner) -> None:
    text = "海门市人民政府办公室关于印发通知。"
    assert found(scanner, text, as_of="2021-01-01") == [(0, "海门市", "outdated-divisions/海门市", "warning")]
    assert found(scanner, text, as_of="2019-01-01") == []  # before 国函〔2020〕79号 (2020-06-05)
    assert found(scanner, text) == [(0, "海门市", "outdated-divisions/海门市", "info")]
    assert found(scanner, "撤销海门市，设立南通市海门区。", as_of="2021-01-01") == []  # the change itself
    assert found(scanner, "北京市大兴县人民政府", as_of="2005-01-01")[0][1:] == (
        "大兴县", "outdated-divisions/大兴县", "warning")
    got = Scanner(as_of="2021-01-01").scan_text(text)[0]
    assert got.suggestions == ("海门区",) and "2020年撤销（国函〔2020〕79号，江苏省），今属南通市海门区" in got.message


def test_the_divisions_list_rebuilds_the_same() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    if not (root.parent / "shared" / "data" / "division-changes").is_dir():
        pytest.skip("needs ../shared")
    target = root / "wordlists" / "outdated-divisions.yaml"
    before = target.read_bytes()
    subprocess.run([sys.executable, str(root / "tools" / "build_division_changes.py")], check=True, capture_output=True)
    assert target.read_bytes() == before


def test_an_undated_text_naming_organs_of_one_past_era_reads_as_a_text_of_that_era(scanner: Scanner) -> None:
    old = "国务院法制办、环境保护部牵头，工业和信息化部、国土资源部、农业部参与。"
    assert found(scanner, old) == []
    assert found(scanner, old, as_of="2026-01-01") == [
        (0, "国务院法制办", "outdated/国务院法制办", "warning"), (7, "环境保护部", "outdated/环境保护部", "warning"),
        (23, "国土资源部", "outdated/国土资源部", "warning"), (29, "农业部", "outdated/农业部", "warning"),
    ]
    # one old name among today's: the slip of a text written today stays a hint
    today = "财政部、生态环境部、农业农村部、银保监会指导。"
    assert found(scanner, today) == [(16, "银保监会", "outdated/银保监会", "info")]
    # two forms of one organ are one organ
    assert [f[1] for f in found(scanner, "中国银行保险监督管理委员会（以下简称银保监会）负责。")] == [
        "中国银行保险监督管理委员会", "银保监会"]
    # an old name beside the name that replaced it: a mixed text
    mixed = "环境保护部、国土资源部和自然资源部负责。"
    assert [f[:2] for f in found(scanner, mixed)] == [(0, "环境保护部"), (6, "国土资源部")]
    # organs that two reforms ended (2023, 2019): not one era
    eras = "商务部、银保监会、中国铁路总公司负责。"
    assert [f[:2] for f in found(scanner, eras)] == [(4, "银保监会"), (9, "中国铁路总公司")]
    # only names of organs: two non-standard forms (GF 1001 took effect in 2002) are no era
    assert [f[:3] for f in found(scanner, "笔划、联接")] == [(0, "笔划", "variant/笔划"), (3, "联接", "variant/联接")]
