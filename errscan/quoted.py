"""Formulations written in quotation marks (固有表述加引号): “两个维护”, “四个意识”, “一带一路”, “十四五”.

Official texts quote these numbered slogans and coined names every time: in the clean corpus and the official
corpus of ../shared (laws, reports, congress reports, 20.7 million characters) each of them below is quoted in
every one of its occurrences (2 to 128 each). Formulations that official texts also write bare (五位一体 in the
Party Constitution, 放管服改革, 一国两制, 八项规定, 一网通办) are not here.

A formulation is fine when quotation marks of any kind enclose it, alone or inside a longer quotation of the same
sentence (“增强四个意识”); not the slogan where a numeral or 第 comes before it or a word of its own goes on
after it (三农户, 四风险, 十四五岁).
"""

from __future__ import annotations

import functools
import re

from errscan.history import sentence
from errscan.model import Severity

__all__ = ["FORMULATIONS", "find"]

# formulation: what it is (shown to the clerk), and the characters after it that make it another word (三农户)
MEASURE = "岁个天年人次家分米斤元万亿名位户只条件台辆所张本月日号届级层倍公千百"
FORMULATIONS: dict[str, tuple[str, str]] = {
    "两个确立": ("确立习近平同志党中央的核心、全党的核心地位，确立习近平新时代中国特色社会主义思想的指导地位", ""),
    "两个维护": ("坚决维护习近平总书记党中央的核心、全党的核心地位，坚决维护党中央权威和集中统一领导", ""),
    "四个意识": ("政治意识、大局意识、核心意识、看齐意识", ""),
    "四个自信": ("道路自信、理论自信、制度自信、文化自信", ""),
    "四个全面": ("全面建设社会主义现代化国家、全面深化改革、全面依法治国、全面从严治党", ""),
    "一带一路": ("丝绸之路经济带和21世纪海上丝绸之路", ""),
    "两学一做": ("学党章党规、学系列讲话，做合格党员", ""),
    "三严三实": ("严以修身、严以用权、严以律己，谋事要实、创业要实、做人要实", ""),
    "三个代表": ("“三个代表”重要思想", "团队处性作人委权名席点区机室会大员"),
    "两个一百年": ("“两个一百年”奋斗目标", ""),
    "十三五": ("第十三个五年规划", MEASURE),
    "十四五": ("第十四个五年规划", MEASURE),
    "十五五": ("第十五个五年规划", MEASURE),
    "三农": ("农业、农村、农民", "户场民村业产机药田家资副贸林技作行区"),
    "四风": ("形式主义、官僚主义、享乐主义和奢靡之风", "险景格貌采俗力电机向雨味筝光"),
    "六稳": ("稳就业、稳金融、稳外贸、稳外资、稳投资、稳预期", "定妥"),
    "六保": ("保居民就业、保基本民生、保市场主体、保粮食能源安全、保产业链供应链稳定、保基层运转",
             "险障护持证安存管洁育健养留供温密"),
    "三去一降一补": ("去产能、去库存、去杠杆、降成本、补短板", ""),
    "两不愁三保障": ("不愁吃、不愁穿，义务教育、基本医疗、住房安全有保障", ""),
}
SOURCE = "党的十八大以来的党内法规、中央文件和国务院政府工作报告的写法"

OPEN = "“‘\"'「『"
CLOSE = "”’\"'」』"
NUMERALS = "0123456789０１２３４５６７８９一二三四五六七八九十百千第两零〇"
NOT_BEFORE = NUMERALS + "这那前后头"  # 这两个确立了…, 第三农场: not the slogan


@functools.cache
def _pattern() -> re.Pattern[str]:
    return re.compile("|".join(sorted(map(re.escape, FORMULATIONS), key=len, reverse=True)))


def _quoted(text: str, start: int, end: int) -> bool:
    """Enclosed in quotation marks: right around it, or an opening one earlier in the sentence that is not closed
    before it and a closing one later in the sentence."""
    if 0 < start and end < len(text) and text[start - 1] in OPEN and text[end] in CLOSE:
        return True
    left, right = sentence(text, start, end, 200)  # a quotation may be long
    before = text[left:start]
    opened = max(before.rfind(q) for q in OPEN)
    closed = max(before.rfind(q) for q in CLOSE if q not in OPEN)
    if opened < 0 or closed > opened:
        return False
    return any(q in text[end : right + 2] for q in CLOSE)  # 他说：“要做到两个维护。”: closed after the full stop


def find(text: str) -> list[tuple[int, int, tuple[str, ...], str, Severity, str]]:
    """(start, end, suggestions, rule, severity, message) for each formulation written without quotation marks."""
    out = []
    for m in _pattern().finditer(text):
        start, end, name = m.start(), m.end(), m.group()
        what, not_after = FORMULATIONS[name]
        if (start and text[start - 1] in NOT_BEFORE) or (end < len(text) and text[end] in NUMERALS + not_after):
            continue  # 第三农场, 二十四五, 十四五岁, 三农户 …: not the slogan
        if _quoted(text, start, end):
            continue
        out.append((start, end, (f"“{name}”",), f"quoted/{name}", Severity.WARNING,
                    f"固有表述“{name}”（{what}）应加引号。"))
    return out
