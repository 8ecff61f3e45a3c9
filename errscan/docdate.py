"""The date a document was written: from `--as-of`, or found in the document itself.

Outdated names are only wrong in documents written after the change, so the date decides whether
an old name is reported. Looked for, in this order:
1. a labelled date anywhere: 成文日期：2019年1月3日, 发布日期：2019-01-03 …;
2. the last line that holds nothing but a date (the 成文日期 line closing an official document);
3. a date in the first five lines (a dated heading: ——2018年3月5日在第十三届全国人民代表大会…);
4. the year of a document number in the first five lines (国办发〔1996〕32号): the whole year.
Full-width digits and Chinese numerals (二〇一九年一月三日) are read too.

A date is a range (first day, last day): a year or a month stands for all its days, and the
comparison with the date a name changed only decides when the whole range is on one side.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_CN = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0}

_D = r"[0-9０-９]"
_C = r"[〇○零一二三四五六七八九十]"
_YMD = (  # digits may be spaced out, as PDFs' text has them: 1 9 9 8 年3 月5 日
    rf"(?P<y>{_D}(?: ?{_D}){{3}}|{_C}{{4}})\s*(?:年|[-./])\s*(?P<m>{_D}(?: ?{_D})?|{_C}{{1,3}})\s*(?:月|[-./])"
    rf"\s*(?P<d>{_D}(?: ?{_D})?|{_C}{{1,3}})\s*日?"
)


_SOURCES = (
    rf"(?:成文日期|发文日期|印发日期|签发日期)\s*[:：]?\s*{_YMD}",
    rf"(?:发布日期|发布时间)\s*[:：]?\s*{_YMD}",
    rf"^[\s（(]*{_YMD}[\s）)]*$",
    _YMD,
    r"[〔［\[]((?:19|20)\d\d)[〕］\]]\s*\d+\s*号",
)
WRITTEN, PUBLISHED, DATE_LINE, ANY_DATE, DOC_NUMBER = range(5)


@functools.cache
def _pattern(which: int) -> re.Pattern[str]:
    """Compiled on first use, each on its own: only a document with an outdated name or a leader's post needs its
    date, and most need two of the five (~0.5 ms each to compile)."""
    return re.compile(_SOURCES[which], re.M if which == DATE_LINE else 0)

DateRange = tuple[dt.date, dt.date]


def _number(s: str) -> int:
    s = s.translate(_FULLWIDTH).replace(" ", "")
    if s.isdigit():
        return int(s)
    if "十" in s:  # 十, 十二, 二十, 二十一, 三十
        tens, _, ones = s.partition("十")
        return (_CN.get(tens, 1) if tens else 1) * 10 + (_CN.get(ones, 0) if ones else 0)
    value = 0
    for ch in s:
        value = value * 10 + _CN[ch]
    return value


def _date(m: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(_number(m["y"]), _number(m["m"]), _number(m["d"]))
    except (ValueError, KeyError):
        return None


def find_date(text: str, published: str | None = None) -> DateRange | None:
    """The date the document was written, or None when nothing says.

    The document's own 成文日期 (labelled, or a line holding only a date) wins over `published` (a page's
    publication date from its metadata: portals republish old documents under a new date), which wins over
    a labelled 发布日期 in the text, a date in the first five lines and the year of a 文号.
    """
    if "日期" in text:  # in every label of `written`: a text without it spares the search
        for m in _pattern(WRITTEN).finditer(text):
            if found := _date(m):
                return found, found
    for m in reversed(_date_lines(text)):
        if found := _date(m):
            return found, found
    if published:
        try:
            return parse_date(published)
        except ValueError:
            pass
    if "发布" in text:
        for m in _pattern(PUBLISHED).finditer(text):
            if found := _date(m):
                return found, found
    head = "\n".join(_first_lines(text, 5))
    for m in _pattern(ANY_DATE).finditer(head):
        if found := _date(m):
            return found, found
    if "号" in head and (m := _pattern(DOC_NUMBER).search(head)):
        return parse_date(m[1])
    return None


# Every character a line holding only a date can hold (date_line's pattern): whitespace (as \s has it,
# str.isspace), brackets, digits, Chinese numerals, the separators.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_DATE_LINE_CHARS = _WHITESPACE + "（(）)0123456789０１２３４５６７８９〇○零一二三四五六七八九十年月日-./"


def _date_lines(text: str) -> list[re.Match[str]]:
    """DATE_LINE's finditer(text) as a list, searched only in the runs of whole lines that hold nothing but the
    characters such a line can hold. A match spans whole lines of those characters alone (its \\s may take line
    breaks), so none is lost; the pattern tried at every position of a page costs about four times as much."""
    out: list[re.Match[str]] = []
    lo = -1  # where the run of such lines began
    at = 0
    for line in text.split("\n"):
        if not line.strip(_DATE_LINE_CHARS):
            if lo < 0:
                lo = at
        elif lo >= 0:
            out += _pattern(DATE_LINE).finditer(text, lo, at - 1)  # up to the line break before this line
            lo = -1
        at += len(line) + 1
    if lo >= 0:
        out += _pattern(DATE_LINE).finditer(text, lo, len(text))
    return out


def _first_lines(text: str, n: int) -> list[str]:
    """text.splitlines()[:n], without splitting all of a long text: a prefix that holds more than n lines holds
    the first n whole."""
    size = 4096
    while size < len(text):
        lines = text[:size].splitlines()
        if len(lines) > n:
            return lines[:n]
        size *= 4
    return text.splitlines()[:n]


_GIVEN = re.compile(r"(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?|月)?|年)?")


def parse_date(value: str) -> DateRange:
    """A date as a person writes it — 2025-03-10, 2025/03/10, 2025.3.10, 2025年3月10日; 2025-03, 2025年3月;
    2025, 2025年 — as the range of days it covers. Raises ValueError."""
    m = _GIVEN.fullmatch(value.strip())
    if m is None:
        raise ValueError(f"not a date: {value!r}")
    parts = [int(p) for p in m.groups() if p is not None]
    if len(parts) == 3:
        day = dt.date(*parts)
        return day, day
    if len(parts) == 2:
        year, month = parts
        first = dt.date(year, month, 1)
        return first, (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    if len(parts) == 1:
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    raise ValueError(f"not a date: {value!r}")
