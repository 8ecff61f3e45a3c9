"""The document date's searches: the line-restricted search gives the whole text's matches, exactly."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from errscan import docdate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PIECES = [
    "2019年3月5日", "二〇一九年一月三日", "1 9 9 8 年3 月5 日", "2020-01-02", "2020.1.2", "２０２０年１月２日", "\n",
    "\r\n", "\n\n", "  ", "\u3000", "\u2028", "\t", "（", "）", "(", ")", "年", "月", "日", "一", "十", "3", "-", "/",
    ".", "成文日期：", "发布日期：", "国办发〔2016〕32号", "正文内容，", "abc",
]


def texts() -> list[str]:
    rng = random.Random(20261206)
    out = ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(4000)]
    files = sorted(CORPUS.rglob("*.txt"))[:40] if CORPUS.is_dir() else []
    for path in files:  # real documents, their dated closing lines among them, cut anywhere
        text = path.read_text(encoding="utf-8", errors="replace")
        out.append(text)
        for _ in range(5):
            i = rng.randrange(len(text) + 1)
            out.append(text[i : i + rng.randint(10, 3000)])
    return out


def test_whitespace_is_what_the_pattern_s_s_takes() -> None:
    assert docdate._WHITESPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def test_lines_holding_only_a_date_are_found_as_a_search_of_the_whole_text_finds_them() -> None:
    date_line = docdate._pattern(docdate.DATE_LINE)
    found = 0
    for text in texts():
        spans = [m.span() for m in docdate._date_lines(text)]
        assert spans == [m.span() for m in date_line.finditer(text)], text
        found += bool(spans)
    assert found > 300  # the pieces make many such lines, over line breaks and blank lines too


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("正文。\n\n  2019年3月5日  \n\n附件", [(4, 19)]),  # the blank lines before and the spaces after are its own
        ("2019年\n3月5日\n正文", [(0, 10)]),  # a date over two lines: \s takes the break
        ("正文2019年3月5日\n（2020年1月2日）", [(12, 23)]),  # the first date shares its line with words
        ("2019年3月5日", [(0, 9)]),
        ("正文\r\n2019年3月5日\r\n", [(4, 15)]),  # \s takes the last \r\n: $ at the very end
    ],
)
def test_date_lines_by_example(text: str, spans: list[tuple[int, int]]) -> None:
    date_line = docdate._pattern(docdate.DATE_LINE)
    assert [m.span() for m in docdate._date_lines(text)] == spans
    assert [m.span() for m in date_line.finditer(text)] == spans


def test_first_lines_are_splitlines_first_lines() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 8)
        long = "字" * rng.choice([10, 4094, 4095, 4096, 5000, 20000])
        breaks = ["\n", "\r\n", "\r", "\u2028", "\x0c"]
        text = "".join(rng.choice([long, "短行", ""]) + rng.choice(breaks) for _ in range(rng.randint(0, 9)))
        assert docdate._first_lines(text, n) == text.splitlines()[:n]
    text = "字" * 4095 + "\r\n" + "第二行\n" * 10  # the prefix ends between \r and \n
    assert docdate._first_lines(text, 5) == text.splitlines()[:5]


def test_find_date_reads_the_same_dates() -> None:
    assert docdate.find_date("关于……的通知\n正文。\n\n2019年3月5日\n") == (docdate.dt.date(2019, 3, 5),) * 2
    assert docdate.find_date("成文日期：2018年1月2日\n……\n2019年3月5日") == (docdate.dt.date(2018, 1, 2),) * 2
    assert docdate.find_date("发布日期：2018-01-02\n正文", None) == (docdate.dt.date(2018, 1, 2),) * 2
    assert docdate.find_date("国办发〔1996〕32号\n正文") == (docdate.dt.date(1996, 1, 1), docdate.dt.date(1996, 12, 31))
    assert docdate.find_date("正文" + "\n正文" * 5 + "，写于2019年3月5日前后。") is None  # a sixth line's: no heading
    assert docdate.find_date("正文2019年3月5日前后。") == (docdate.dt.date(2019, 3, 5),) * 2  # in the first lines
