"""Positions are exact on any text: CRLF, astral characters, mixed scripts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errscan import Scanner

PIECES = ["\r\n", "\n", "😀", "𠀋", "é", "x²", "a", " ", "，", "。", "的", "再接再励", "中华人民共合国", "工作", "Ω"]
PLANT = "中华人民共合国"  # boundary: any, so every planted copy must be found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_offsets_slice_text_and_agree_with_line_column(core: Scanner, pieces: list[str]) -> None:
    text = "".join(pieces)
    findings = core.scan_text(text)
    for f in findings:
        assert text[f.offset : f.offset + f.length] == f.text
        assert f.line == text.count("\n", 0, f.offset) + 1
        assert f.column == f.offset - (text.rfind("\n", 0, f.offset) + 1) + 1
    assert findings == sorted(findings)
    planted, at = [], text.find(PLANT)
    while at != -1:
        planted.append(at)
        at = text.find(PLANT, at + 1)
    assert [f.offset for f in findings if f.text == PLANT] == planted
