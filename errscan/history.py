"""Whether an outdated name is written about the past: then it is right, whatever the document's date.

An organ abolished in 2018 is still named in 不再保留国务院法制办公室, 将国家计委改组为…, 原国家计委, 他1998年至
2003年任国家计委副主任, or 美国农业部 (a foreign body, not ours). `historical` looks at the sentence around a
dated entry's match for these signs; the pipeline then reports nothing.
"""

from __future__ import annotations

import re

__all__ = ["former", "historical", "sentence"]

SENTENCE = "。！？；\n"
# words of change or of former times shortly before the name, in its clause (时任国家计委副主任, 不再保留…)
BEFORE = re.compile(
    r"(?:时任|曾任|历任|先后任|前身(?:是|为)?|不再保留|撤销|撤并|裁撤|组建|整合|合并|并入|划入|更名|改名|改称|改组|"
    r"旧称|原名|原称|曾称|曾名|当时的?)[^，。！？；\n]{0,8}$"
    r"|(?:原|前)[“\"]?$"  # right before it: 原国家计委
)
# right after it, in the same clause (国家计委改组为…, 将国务院法制办公室的职责整合)
AFTER = re.compile(
    r"^[^，。！？；\n]{0,12}?(?:不再保留|被?撤销|撤并|更名为|改名为|改称|改为|改组为|整合为|并入|划入|"
    r"的?职责整合|职责划入|的?前身|旧称|时期|期间|成立于|成立时)"
)
YEAR = re.compile(r"(?<![\d])((?:19|20)\d\d)\s*年")
ONGOING = re.compile(r"\s*(?:以来|至今|起|开始|后|以后)")
LOOK = 40  # characters of the sentence looked at either side of the name


def historical(text: str, start: int, end: int, since_year: int) -> bool:
    """Whether the name at text[start:end], outdated since `since_year`, is written about the past here: a word
    of change or of former times before or after it in its clause, or years in its sentence before the name, all
    of them up to the change (他1998年至2003年任…), none of them the start of a period up to now (2018年以来)."""
    left, right = sentence(text, start, end)
    before, after = text[left:start], text[end:right]
    if BEFORE.search(before) or AFTER.search(after):
        return True
    years = list(YEAR.finditer(before))
    return bool(years) and all(
        int(m.group(1)) <= since_year and not ONGOING.match(before, m.end()) for m in years
    )


def sentence(text: str, start: int, end: int, look: int = LOOK) -> tuple[int, int]:
    """Where the sentence around text[start:end] begins and ends, at most `look` characters either side."""
    left = start
    while left > max(0, start - look) and text[left - 1] not in SENTENCE:
        left -= 1
    right = end
    while right < min(len(text), end + look) and text[right] not in SENTENCE:
        right += 1
    return left, right


_FORMER = re.compile(r"(?:原|时任|前|已故|首任|老|历任|曾任|先后任)[“\"]?$")


def former(text: str, start: int) -> bool:
    """Whether a post written at `start` is marked as a former one right before it (原, 时任, 已故 …)."""
    return _FORMER.search(text, max(0, start - 3), start) is not None
