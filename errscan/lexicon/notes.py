"""The note of a generated entry: how its slip was made from the canonical name.

Shared by the generator (which makes the slips) and the compact entry store (which makes each generated
Entry, note included, on first use): neither needs to import the other.
"""

from __future__ import annotations

KIND_ZH = {"pinyin": "同音字", "stroke": "形近字"}


def note(name: str, method: str, i: int, char: str) -> str:
    """How a slip was made, for the finding's message: 由“中华人民共和国”生成：第5字“共”误作同音字“公”."""
    head = f"由“{name}”生成："
    if method in KIND_ZH:
        return head + f"第{i + 1}字“{name[i]}”误作{KIND_ZH[method]}“{char}”"
    if method == "omit":
        return head + f"漏第{i + 1}字“{name[i]}”"
    if method == "insert":
        return head + f"固定表述，“{name[:i]}”与“{name[i:]}”之间不加“{char}”"
    return head + f"第{i + 1}、{i + 2}字“{name[i:i + 2]}”颠倒"
