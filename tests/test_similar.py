"""errscan.similar: the shipped sound/shape table."""

from __future__ import annotations

import pytest

from errscan import similar

# The 13 pairs of shared/data/glyphs/README.md that must come out shape-alike, and the slips of the fuzzy issue.
SHAPE = "政攻 社杜 党常 观现 第笫 己已 戊戍 候侯 台合 旱早 拨拔 健键 斌赋 彻切 膺鹰 换奂 砥抵 嘘虚 功工"
SOUND = "意义 家加 客克 工功 斧釜 忧优 抵砥 鹰膺 嘘虚 在再"


@pytest.mark.parametrize("pair", SHAPE.split())
def test_shape_pairs(pair: str) -> None:
    a, b = pair
    assert similar.relation(a, b) in ("shape", "both")
    assert similar.relation(b, a) in ("shape", "both")
    assert b in similar.alikes(a, "shape") and a in similar.alikes(b, "shape")


@pytest.mark.parametrize("pair", SOUND.split())
def test_sound_pairs(pair: str) -> None:
    a, b = pair
    assert similar.relation(a, b) in ("sound", "both")
    assert b in similar.alikes(a, "sound")


def test_both_and_none() -> None:
    assert similar.relation("换", "奂") == "both"
    assert similar.relation("人", "山") is None
    assert similar.relation("共", "大") is None
    assert similar.relation("党", "党") is None
    assert similar.relation("a", "党") is None
    assert similar.relation("党常", "党") is None


def test_alikes_kinds() -> None:
    anyk = similar.alikes("政")
    assert set(similar.alikes("政", "shape")) | set(similar.alikes("政", "sound")) == set(anyk)
    assert len(anyk) == len(set(anyk)) and "政" not in anyk
    first = [c for c in anyk[:3]]
    assert all(similar.relation("政", c) == "both" for c in first)  # both kinds come first
    assert similar.alikes("A") == ()
    with pytest.raises(ValueError):
        similar.alikes("政", "meaning")


def test_frequency_order() -> None:
    sound = similar.alikes("义", "sound")
    assert sound.index("意") < sound.index("呓")  # the frequent character first


def test_readings() -> None:
    assert "hang2" in similar.readings("行") and "xing2" in similar.readings("行")
    assert similar.known("党") and not similar.known("A")


def test_symmetric_sample() -> None:
    for ch in "中国共产党政府社会主义发展观":
        for other in similar.alikes(ch, "shape"):
            assert ch in similar.alikes(other, "shape"), (ch, other)


def test_table_covers_8105_and_has_header() -> None:
    with open(similar.TABLE, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header = [x for x in lines if x.startswith("#")]
    rows = [x for x in lines if not x.startswith("#")]
    assert len(rows) == 8105
    assert any("pypinyin" in h and "MIT" in h for h in header) and any("ECSpell" in h for h in header)



@pytest.mark.parametrize("looks", [0, 5, similar._Table.LOOKS_BEFORE_PARSE])
def test_rows_found_in_the_text_equal_the_split_table(looks: int) -> None:
    whole = similar._Table().rows
    table = similar._Table()
    table.LOOKS_BEFORE_PARSE = looks
    asked = [*list(whole)[:30], *list(whole)[-30:], "a", "#", "\t", "\n", "", "中国", "𠀀", "，"]
    for ch in asked:
        assert table.row(ch) == whole.get(ch), ch
    # 63 single characters searched for ("#", tab and newline are never rows): split past `looks` of them
    assert (table._rows is None) == (looks > 63)


def test_a_few_relations_leave_the_table_unsplit() -> None:
    table = similar._Table()
    assert [table.row(c)[1] for c in "党常"] == [whole[1] for whole in map(similar._Table().rows.get, "党常")]
    assert table._rows is None and set(table._some) == {"党", "常"}
    assert list(table.rows)[:3] == list(similar._Table().rows)[:3] and table._some == {}


def test_words_that_read_alike_tones_aside() -> None:
    from errscan.similar import read_alike

    assert read_alike("机智", "机制") and read_alike("主意", "主义") and read_alike("行", "杭")  # xing/hang: 行's
    assert not read_alike("机智", "机") and not read_alike("党", "常") and not read_alike("网络", "网速")
