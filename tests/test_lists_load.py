"""Loading and validating lists: every problem named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CORE

from errscan import Scanner
from errscan.lexicon import ListLoadError, compile_lists
from errscan.lexicon.load import load_list

HEADER = "id: t\ncategory: typo\nseverity: warning\nentries:\n"


def write(tmp_path: Path, body: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def errors_of(path: Path, builtin: bool = False) -> list[str]:
    with pytest.raises(ListLoadError) as info:
        load_list(path, builtin=builtin)
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(
    ("body", "line", "text"),
    [
        (HEADER + "  - [再接再励, 再接再厉]\n  - match: ''\n", 6, "match 为空"),
        (HEADER + "  - [布署, 部署]\n  - [布署, 部署]\n", 6, "'布署' 已在第 5 行列出"),
        (HEADER + "  - match: 布署\n    sugest: 部署\n", 5, "条目中有未知的键 'sugest'（可用：autofix、boundary、"),
        (HEADER + "  - [部署, 部署]\n", 5, "match '部署' 与它的建议相同"),
        (HEADER + "  - match: 既使\n    unless: [即使]\n", 5, "`unless` 的上下文 '即使' 必须包含 '既使' 且比它长"),
        (HEADER + "  - match: 截止\n    followed_by: '(\\d'\n", 5, "`followed_by`：正则表达式有误"),
        (HEADER + "  - match: 国土资源部\n    since: 2018年\n", 5,
         "`since` 应是日期 YYYY-MM 或 YYYY-MM-DD，不是 '2018年'"),
        (HEADER + "  - match: a\n    severity: fatal\n", 5, "未知的级别 'fatal'（可用：error、warning、info）"),
        (HEADER + "  - match: a\n    boundary: token\n", 5, "未知的 boundary 'token'（可用：default、word、any）"),
        (HEADER + "  - [a, b\n", 6, "YAML 格式错误："),
        ("id: t\ncategory: typo\ncolour: red\nentries: []\n", 3, "表头中有未知的键 'colour'"),
    ],
)
def test_validation_names_file_and_line(tmp_path: Path, body: str, line: int, text: str) -> None:
    path = write(tmp_path, body)
    errors = errors_of(path)
    assert any(e.startswith(f"{path}:{line}: ") and text in e for e in errors), errors


def test_compact_and_full_forms_are_the_same_entry(tmp_path: Path) -> None:
    compact = load_list(write(tmp_path, HEADER + "  - [布署, 部署, 安排]\n", "a.yaml")).entries[0]
    full_yaml = HEADER + "  - match: 布署\n    suggest: [部署]\n    note: 安排\n"
    full = load_list(write(tmp_path, full_yaml, "b.yaml")).entries[0]
    assert (compact.match, compact.suggest, compact.note) == (full.match, full.suggest, full.note) == (
        "布署", ("部署",), "安排")


def test_quick_tsv_and_txt_lists(tmp_path: Path) -> None:
    tsv = write(tmp_path, "# 本单位词表\n布署\t部署\n再接再励\t再接再厉|再接再砺\t笔误\n\n", "office.tsv")
    txt = write(tmp_path, "某某违规词\n", "words.txt")
    scanner = Scanner([tsv, txt], builtin=False)
    found = [(f.rule, f.suggestions, f.category) for f in scanner.scan_text("做好布署，再接再励，某某违规词")]
    assert found == [  # the category of a quick list is its file's name
        ("office/布署", ("部署",), "office"),
        ("office/再接再励", ("再接再厉", "再接再砺"), "office"),
        ("words/某某违规词", (), "words"),
    ]


def test_quick_list_category_and_severity_lines(tmp_path: Path) -> None:
    named = write(tmp_path, "某某违规词\n", "本单位禁用词.txt")
    said = write(tmp_path, "# 本单位的词表\n# 类别：领导姓名\n# 级别：错误\n张三丰\t张三\n# category: x\n", "a.tsv")
    builtin = write(tmp_path, "# category: 错别字\n# severity: info\n布署\t部署\n", "b.txt")
    scanner = Scanner([named, said, builtin], builtin=False)
    found = [(f.rule, f.category, f.severity.label)
             for f in scanner.scan_text("某某违规词，张三丰，布署")]
    assert found == [  # a category line after the first entry is a comment like any other
        ("本单位禁用词/某某违规词", "本单位禁用词", "warning"), ("a/张三丰", "领导姓名", "error"),
        ("b/布署", "typo", "info"),  # a built-in category named in Chinese is that category
    ]
    bad = write(tmp_path, "# 级别：严重\n布署\n", "c.txt")
    with pytest.raises(ListLoadError) as info:
        load_list(bad)
    assert [str(e) for e in info.value.errors] == [f"{bad}:1: 未知的级别 '严重'（可用：error、warning、info）"]


def test_conflicting_builtin_entries_fail(tmp_path: Path) -> None:
    a = load_list(write(tmp_path, HEADER.replace("id: t", "id: a") + "  - [布署, 部署]\n", "a.yaml"), builtin=True)
    b = load_list(write(tmp_path, HEADER.replace("id: t", "id: b") + "  - [布署, 布置]\n", "b.yaml"), builtin=True)
    with pytest.raises(ListLoadError) as info:
        compile_lists([a, b])
    expected = f"{tmp_path / 'b.yaml'}:5: '布署' 与 {tmp_path / 'a.yaml'}:5 冲突（那里建议 部署）"
    assert str(info.value.errors[0]) == expected


def test_user_list_overrides_builtin(tmp_path: Path) -> None:
    builtin = load_list(CORE, builtin=True)
    user = load_list(write(tmp_path, "布署\t布置\n再接再励\t加油\n", "mine.tsv"))
    lex = compile_lists([builtin, user])
    assert [i.overrides for i in lex.lists] == [0, 1]
    [f] = Scanner(lexicon=lex).scan_text("再接再励")
    assert (f.rule, f.suggestions) == ("mine/再接再励", ("加油",))


def test_traditional_entries_match_folded_text(tmp_path: Path) -> None:
    """Texts are folded to simplified before matching; a user's traditional entry is folded too."""
    mine = write(tmp_path, "國土資源部\t自然资源部\n", "hk.tsv")
    scanner = Scanner([mine], builtin=False)
    assert [(f.text, f.offset) for f in scanner.scan_text("由國土資源部和国土资源部负责")] == [
        ("國土資源部", 1), ("国土资源部", 7)
    ]


def test_an_entry_that_flags_a_variant_character_keeps_it_unfolded(tmp_path: Path) -> None:
    """水菓 → 水果: folding 菓 in the text would hide the very slip the entry flags."""
    mine = write(tmp_path, "水菓\t水果\n", "variant.tsv")
    scanner = Scanner([mine], builtin=False)
    assert [(f.text, f.offset) for f in scanner.scan_text("水菓和水果")] == [("水菓", 0)]
    assert scanner.lexicon.keep == frozenset("菓")
