"""Formulations written in quotation marks (errscan/quoted.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from errscan.pipeline import Scanner
from errscan.quoted import FORMULATIONS, find

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def bare(text: str) -> list[tuple[int, int, str]]:
    return [(s, e, text[s:e]) for s, e, *_ in find(text)]


def test_a_bare_formulation_is_a_warning_with_its_quotes_suggested() -> None:
    text = "要增强四个意识、坚定四个自信、做到两个维护。"
    assert bare(text) == [(3, 7, "四个意识"), (10, 14, "四个自信"), (17, 21, "两个维护")]
    _, _, suggestions, rule, severity, message = find(text)[0]
    assert (suggestions, rule, severity.label) == (("“四个意识”",), "quoted/四个意识", "warning")
    assert message == "固有表述“四个意识”（政治意识、大局意识、核心意识、看齐意识）应加引号。"
    assert bare("四个意识") == [(0, 4, "四个意识")]  # the whole text: nothing before or after it
    assert bare("共建一带一路，推进十四五规划。") == [(2, 6, "一带一路"), (9, 12, "十四五")]


@pytest.mark.parametrize("text", [
    "增强“四个意识”、坚定“四个自信”、做到“两个维护”。",
    "深刻领悟‘两个确立’的决定性意义",
    '推进"一带一路"建设',
    "「三个代表」重要思想",
    "『十四五』规划",
    "“增强四个意识、坚定四个自信”是政治要求。",  # a longer quotation of the sentence encloses them
    "他说：“要做到两个维护，这是根本。”",
])
def test_quoted_in_any_marks_or_inside_a_longer_quotation_is_fine(text: str) -> None:
    assert bare(text) == []


@pytest.mark.parametrize("text", [
    "十四五岁的孩子", "十三五个人", "第三农场", "三农户家庭", "四风险点", "六保险种", "三个代表团",
    "这两个确立了方向", "二十四五年", "六稳定",
])
def test_part_of_another_word_is_not_the_formulation(text: str) -> None:
    assert bare(text) == []


def test_a_quotation_closed_before_it_does_not_cover_it() -> None:
    text = "“两学一做”之后，坚持四个全面。"
    assert bare(text) == [(11, 15, "四个全面")]
    assert bare("“学习”，增强四个意识") == [(7, 11, "四个意识")]  # the quotation ended before it
    assert bare("“要增强四个意识") == [(4, 8, "四个意识")]  # opened, never closed in the sentence


def test_every_formulation_is_quoted_in_the_official_texts_of_shared() -> None:
    """The premise of the list: official texts quote each of them every time; and where quoted the check is
    silent. (20.7 million characters: the clean corpus and the language model's corpus.)"""
    paths = sorted((SHARED / "corpus" / "clean").rglob("*.txt")) + sorted((SHARED / "data" / "lm-corpus").glob("*.txt"))
    if not paths:
        pytest.skip("../shared is not here")
    seen: dict[str, int] = dict.fromkeys(FORMULATIONS, 0)
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert find(text) == [], path
        for name in FORMULATIONS:
            seen[name] += text.count(name)
    assert all(n >= 2 for n in seen.values()), seen


def test_the_scanner_reports_it_as_usage_and_posts_false_turns_it_off() -> None:
    text = "各级党组织要增强四个意识。"
    found = Scanner().scan_text(text)
    assert [(f.column, f.text, f.category, f.severity.label, f.suggestions) for f in found] == [
        (9, "四个意识", "usage", "warning", ("“四个意识”",))]
    assert Scanner(posts=False).scan_text(text) == []
    assert Scanner().scan_text("各级党组织要增强“四个意识”。") == []


def test_check_and_explain_from_the_command_line(tmp_path: Path) -> None:
    draft = tmp_path / "稿.txt"
    draft.write_text("第一行\n坚定不移推进一带一路建设。\n", encoding="utf-8")
    got = subprocess.run([sys.executable, "-m", "errscan", "check", str(draft), "--format", "json"],
                         capture_output=True, text=True, encoding="utf-8")
    assert got.returncode == 1, got.stderr
    findings = json.loads(got.stdout)["findings"]
    assert [(f["line"], f["column"], f["text"], f["rule"]) for f in findings] == [(2, 7, "一带一路", "quoted/一带一路")]
    said = subprocess.run([sys.executable, "-m", "errscan", "explain", "三严三实"], capture_output=True, text=True,
                          encoding="utf-8")
    assert "固有表述“三严三实”" in said.stdout and "quoted/三严三实" in said.stdout
